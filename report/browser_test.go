package report

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// screenshotPath is where TestBrowserReport leaves its screenshot of the
// page (testdata/.gitignore keeps it out of git).
var screenshotPath = filepath.Join("testdata", "out", "report.png")

// browserPage is what the test reads from the rendered page.
type browserPage struct {
	AsOf       string                    `json:"asOf"`
	Charts     map[string][]browserValue `json:"charts"`
	Cells      []browserValue            `json:"cells"`
	Exceptions []browserRow              `json:"exceptions"`
	// ExceptionsDropped is the number the page says the limit left out,
	// "0" when it says nothing.
	ExceptionsDropped string `json:"exceptionsDropped"`
}

// browserRow is a listed item: its cells by their data-field.
type browserRow struct {
	Item   string                  `json:"item"`
	Fields map[string]browserField `json:"fields"`
}

// browserField is a cell's text and the address of its link, if any.
type browserField struct {
	Text string `json:"text"`
	Href string `json:"href"`
}

// browserValue is a bar or a table cell with its figure.
type browserValue struct {
	Period   string `json:"period"`
	Team     string `json:"team"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Key      string `json:"key"`
	Value    string `json:"value"`
	Text     string `json:"text"`
}

const readPage = `(() => {
  const charts = {};
  for (const svg of document.querySelectorAll('svg[id^="chart-"]')) {
    charts[svg.id] = [...svg.querySelectorAll('rect.bar')].map(r => ({period: r.dataset.period, value: r.dataset.value}));
  }
  const cells = [...document.querySelectorAll('td[data-key]:not(#rolling td)')].map(td => ({
    period: td.parentElement.dataset.period || '', team: td.parentElement.dataset.team || '', status: td.parentElement.dataset.status || '',
    severity: td.dataset.severity || '', key: td.dataset.key, value: td.dataset.value, text: td.textContent}));
  const exceptions = [...document.querySelectorAll('#exceptions tbody tr[data-item]')].map(tr => {
    const fields = {};
    for (const td of tr.querySelectorAll('td[data-field]')) {
      const a = td.querySelector('a');
      fields[td.dataset.field] = {text: td.textContent, href: a ? a.getAttribute('href') : ''};
    }
    return {item: tr.dataset.item, fields};
  });
  const dropped = document.getElementById('exceptions-dropped');
  return {asOf: document.getElementById('as-of').getAttribute('datetime'), charts, cells, exceptions,
    exceptionsDropped: dropped ? dropped.dataset.value : '0'};
})()`

// TestBrowserReport has a real headless Chromium load /report from the
// running exporter (the bundled examples): the page logs no console
// error, each chart has one bar per calendar period, and its figures
// equal the metrics scraped from the same exporter, at the same snapshot
// (the refresh interval is an hour, and the page and the scrape name the
// same instant).
func TestBrowserReport(t *testing.T) {
	chromium := testenv.RequireCommand(t, "chromium")
	e := testenv.StartExporter(t, nil, "--refresh.interval=1h")
	metrics := scrapeFamilies(t, e)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 1400))
	defer cancelAlloc()
	tab, closeTab := chromedp.NewContext(allocCtx)
	defer closeTab()
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	console := collectConsole(tab)

	if err := chromedp.Do(tab, chromedp.Navigate("http://"+e.Addr+"/report"), chromedp.WaitVisible("#quality")); err != nil {
		t.Fatalf("load /report: %v", err)
	}
	page, err := chromedp.Run(tab, chromedp.Evaluate[browserPage](readPage))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", screenshotPath)
	checkPrint(t, tab)

	// The console listener does hear errors: a page that logs one is seen.
	if err := chromedp.Do(tab, chromedp.Navigate(`data:text/html,<script>console.error("probe")</script>`)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if !slices.ContainsFunc(console.messages(), func(m string) bool { return strings.Contains(m, "probe") }) {
			return fmt.Errorf("the console probe was not heard: %v", console.messages())
		}
		return nil
	})
	for _, m := range console.messages() {
		if !strings.Contains(m, "probe") {
			t.Errorf("console of /report: %s", m)
		}
	}

	checkSameSnapshot(t, page, metrics)
	checkCharts(t, page, metrics)
	checkCells(t, page, metrics)
	checkExceptions(t, page, metrics)
}

// checkPrint prints the page as the browser's print dialog would, at the
// page size its CSS asks for: A4 portrait (595 × 842 points), the
// examples on a few pages. The PDF is left beside the screenshot.
func checkPrint(t *testing.T, tab context.Context) {
	t.Helper()
	pdf, err := chromedp.Run(tab, func(ctx context.Context, target *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, target, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: ptr(true)})
		return res.Data, err
	})
	if err != nil {
		t.Fatalf("print: %v", err)
	}
	out := filepath.Join(filepath.Dir(screenshotPath), "report.pdf")
	if err := os.WriteFile(out, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	boxes := regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]`).FindAllSubmatch(pdf, -1)
	if len(boxes) == 0 || len(boxes) > 10 {
		t.Fatalf("%s has %d pages, want 1 to 10", out, len(boxes))
	}
	for _, b := range boxes {
		w, _ := strconv.ParseFloat(string(b[1]), 64)
		h, _ := strconv.ParseFloat(string(b[2]), 64)
		if math.Abs(w-595.3) > 1 || math.Abs(h-841.9) > 1 {
			t.Errorf("%s has a page of %v × %v points, want A4 portrait (595 × 842)", out, w, h)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// consoleLog collects the errors and warnings a tab logs.
type consoleLog struct {
	mu   sync.Mutex
	list []string
}

func collectConsole(tab context.Context) *consoleLog {
	c := &consoleLog{}
	messages := chromedp.Console(tab) // subscribes now
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				c.mu.Lock()
				c.list = append(c.list, m.String()+" ("+m.URL+")")
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *consoleLog) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

func scrapeFamilies(t *testing.T, e *testenv.Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(e.Scrape(t)))
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return families
}

// series returns the samples of a family whose labels include want.
func series(families map[string]*dto.MetricFamily, name string, want map[string]string) []*dto.Metric {
	var out []*dto.Metric
	mf := families[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		for k, v := range want {
			if label(m, k) != v {
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func sum(ms []*dto.Metric) float64 {
	total := 0.0
	for _, m := range ms {
		total += m.GetGauge().GetValue()
	}
	return total
}

// meanOf is Σ sum ÷ Σ count over summaries: PromQL's sum/sum.
func meanOf(ms []*dto.Metric) (float64, uint64) {
	var total float64
	var n uint64
	for _, m := range ms {
		total += m.GetSummary().GetSampleSum()
		n += m.GetSummary().GetSampleCount()
	}
	if n == 0 {
		return 0, 0
	}
	return total / float64(n), n
}

// near compares a figure of the page with one from the metrics: sums
// added in another order may differ in the last bits.
func near(page string, want float64) bool {
	got, err := strconv.ParseFloat(page, 64)
	return err == nil && math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func checkSameSnapshot(t *testing.T, page browserPage, families map[string]*dto.MetricFamily) {
	t.Helper()
	ts := series(families, collectors.MetricSnapshotTimestamp, nil)
	if len(ts) != 1 {
		t.Fatalf("%s: %d samples", collectors.MetricSnapshotTimestamp, len(ts))
	}
	sec, frac := math.Modf(ts[0].GetGauge().GetValue())
	want := time.Unix(int64(sec), int64(frac*1e9)).UTC().Format(time.RFC3339)
	if page.AsOf != want {
		t.Fatalf("the page is as of %s, the metrics as of %s: not the same snapshot", page.AsOf, want)
	}
}

// periodsOf returns the period labels of the metrics, oldest first.
func periodsOf(families map[string]*dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range series(families, collectors.MetricPeriodIncidents, nil) {
		seen[label(m, collectors.LabelPeriod)] = true
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func checkCharts(t *testing.T, page browserPage, families map[string]*dto.MetricFamily) {
	t.Helper()
	periods := periodsOf(families)
	if len(periods) != 13 {
		t.Fatalf("the metrics have %d periods, want the default 13", len(periods))
	}
	want := map[string]func(period string) float64{
		"chart-incidents": func(p string) float64 {
			return sum(series(families, collectors.MetricPeriodIncidents, map[string]string{"period": p}))
		},
		"chart-mttr": func(p string) float64 {
			m, _ := meanOf(series(families, collectors.MetricPeriodTimeToRecover, map[string]string{"period": p}))
			return m
		},
		"chart-mttd": func(p string) float64 {
			m, _ := meanOf(series(families, collectors.MetricPeriodTimeToDetect, map[string]string{"period": p}))
			return m
		},
		"chart-mttm": func(p string) float64 {
			m, _ := meanOf(series(families, collectors.MetricPeriodTimeToMitigate, map[string]string{"period": p}))
			return m
		},
		"chart-customer": func(p string) float64 {
			all := sum(series(families, collectors.MetricPeriodIncidents, map[string]string{"period": p}))
			if all == 0 {
				return 0
			}
			return sum(series(families, collectors.MetricPeriodIncidentsByDetection, map[string]string{"period": p, "detection": "customer"})) / all
		},
	}
	for id, value := range want {
		bars := page.Charts[id]
		if len(bars) != len(periods) {
			t.Errorf("%s has %d bars, want one per period (%d)", id, len(bars), len(periods))
			continue
		}
		for i, b := range bars {
			if b.Period != periods[i] {
				t.Errorf("%s bar %d is %s, want %s", id, i, b.Period, periods[i])
			}
			if w := value(periods[i]); !near(b.Value, w) {
				t.Errorf("%s %s = %s, metrics say %v", id, b.Period, b.Value, w)
			}
		}
	}
	if len(page.Charts) != len(want) {
		t.Errorf("charts %v, want %d", page.Charts, len(want))
	}
}

func checkCells(t *testing.T, page browserPage, families map[string]*dto.MetricFamily) {
	t.Helper()
	checked := map[string]int{}
	for _, c := range page.Cells {
		var want float64
		text := ""
		switch c.Key {
		case "incidents":
			want = sum(series(families, collectors.MetricPeriodIncidents, map[string]string{"period": c.Period}))
			text = strconv.FormatFloat(want, 'f', -1, 64)
		case "mttr", "mttm":
			metric := map[string]string{"mttr": collectors.MetricPeriodTimeToRecover, "mttm": collectors.MetricPeriodTimeToMitigate}[c.Key]
			mean, n := meanOf(series(families, metric, map[string]string{"period": c.Period}))
			want, text = mean, "–"
			if n > 0 {
				text = fmt.Sprintf("%s (n=%d)", formatDuration(mean), n)
			}
		case "recover-median":
			ms := series(families, collectors.MetricPeriodTimeToRecover, map[string]string{"period": c.Period, "severity": c.Severity})
			if len(ms) != 1 {
				t.Errorf("%s %s %s: %d series", collectors.MetricPeriodTimeToRecover, c.Period, c.Severity, len(ms))
				continue
			}
			q := ms[0].GetSummary().GetQuantile()
			if len(q) == 0 {
				if c.Value != "" {
					t.Errorf("median %s %s = %s, the metrics have none", c.Period, c.Severity, c.Value)
				}
				checked[c.Key]++
				continue
			}
			want = q[0].GetValue() // quantile 0.5 comes first
		case "overdue":
			want = sum(series(families, collectors.MetricActionItemsOverdue, map[string]string{"team": c.Team}))
			text = strconv.FormatFloat(want, 'f', -1, 64)
		case "findings":
			want = sum(series(families, collectors.MetricTeamQualityFindings, map[string]string{"team": c.Team}))
			text = strconv.FormatFloat(want, 'f', -1, 64)
		case "pending":
			want = sum(series(families, collectors.MetricReviewsPending, map[string]string{"team": c.Team, "status": c.Status}))
			text = strconv.FormatFloat(want, 'f', -1, 64)
		case "on-time-ratio":
			// Of the items due in the window, done or still open, those
			// done on time (the items dropped as wont_do aside).
			due := func(outcome string) float64 {
				return sum(series(families, collectors.MetricActionItemsDue, map[string]string{"team": c.Team, "window": "365d", "outcome": outcome}))
			}
			want = due("on_time") / (due("on_time") + due("late") + due("open"))
		default:
			continue
		}
		if !near(c.Value, want) {
			t.Errorf("%s of %s%s%s shows %s, the metrics say %v", c.Key, c.Period, c.Team, c.Severity, c.Value, want)
		}
		if text != "" && strings.TrimSpace(c.Text) != text {
			t.Errorf("%s of %s%s reads %q, want %q", c.Key, c.Period, c.Team, c.Text, text)
		}
		checked[c.Key]++
	}
	for key, n := range map[string]int{"incidents": 13, "mttr": 13, "mttm": 13, "recover-median": 13 * 4, "overdue": 4, "on-time-ratio": 4,
		"findings": 3, "pending": 4} {
		if checked[key] != n {
			t.Errorf("%d cells %s checked, want %d", checked[key], key, n)
		}
	}
}

// checkExceptions compares the open exceptions listed on the page with
// the series of postmortem_action_item_exception_info: the same items, in
// the order of their due day, each cell showing its label (the approver
// "not named" when the label is empty), the links their addresses, and
// the number the limit left out.
func checkExceptions(t *testing.T, page browserPage, families map[string]*dto.MetricFamily) {
	t.Helper()
	ms := series(families, collectors.MetricActionItemException, nil)
	// The examples have two: PM-2026-033-2 approved by nadia, and
	// PM-2026-033-3 whose plain-text exception names no approver.
	if len(ms) != 2 || label(ms[0], collectors.LabelApprover) == label(ms[1], collectors.LabelApprover) {
		t.Fatalf("%s: %d series, want 2, one with an approver and one without", collectors.MetricActionItemException, len(ms))
	}
	// An item without a due day comes last ("~" sorts after the digits).
	due := func(m *dto.Metric) string { return cmp.Or(label(m, collectors.LabelDue), "~") }
	slices.SortFunc(ms, func(a, b *dto.Metric) int {
		return cmp.Or(cmp.Compare(due(a), due(b)), cmp.Compare(label(a, collectors.LabelID), label(b, collectors.LabelID)))
	})
	if len(page.Exceptions) != len(ms) {
		t.Fatalf("the page lists %d open exceptions, the metrics %d", len(page.Exceptions), len(ms))
	}
	for i, m := range ms {
		row, id := page.Exceptions[i], label(m, collectors.LabelID)
		if row.Item != id {
			t.Errorf("open exception %d is %s, the metrics say %s (earliest due first)", i, row.Item, id)
			continue
		}
		approver := cmp.Or(label(m, collectors.LabelApprover), "not named")
		for field, want := range map[string]browserField{
			"due":      {Text: cmp.Or(label(m, collectors.LabelDue), "–")},
			"team":     {Text: label(m, collectors.LabelTeam)},
			"owner":    {Text: label(m, collectors.LabelOwner)},
			"approver": {Text: approver},
			"item":     {Text: id, Href: label(m, collectors.LabelTicketURL)},
			"incident": {Text: label(m, collectors.LabelIncident), Href: label(m, collectors.LabelRecordURL)},
		} {
			got := row.Fields[field]
			// The item and incident cells add the title after the id.
			if text := got.Text; text != want.Text && !strings.HasPrefix(text, want.Text+" ") || got.Href != want.Href {
				t.Errorf("open exception %s, %s: the page shows %+v, the metrics say %+v", id, field, got, want)
			}
		}
	}
	if w := sum(series(families, collectors.MetricActionItemExceptionDrop, nil)); !near(page.ExceptionsDropped, w) {
		t.Errorf("the page says %s open exceptions are left out, the metrics %v", page.ExceptionsDropped, w)
	}
}

// tableBox is how a table sits in its box on the page.
type tableBox struct {
	ID string `json:"id"`
	// Width is the table's width; Box the width of its box (.table-wrap),
	// Right the box's right edge; Scrolls tells whether the box scrolls
	// sideways (its CSS overflow-x is auto or scroll).
	Width   float64 `json:"width"`
	Box     float64 `json:"box"`
	Right   float64 `json:"right"`
	Scrolls bool    `json:"scrolls"`
}

// pageLayout is the page's width against the window's, and its tables.
type pageLayout struct {
	PageWidth   float64    `json:"pageWidth"`
	WindowWidth float64    `json:"windowWidth"`
	Tables      []tableBox `json:"tables"`
}

const readLayout = `(() => ({
  pageWidth: document.documentElement.scrollWidth, windowWidth: window.innerWidth,
  tables: [...document.querySelectorAll('table')].map(t => {
    const box = t.closest('.table-wrap') || t.parentElement;
    const overflow = getComputedStyle(box).overflowX;
    return {id: t.id, width: t.getBoundingClientRect().width, box: box.clientWidth, right: box.getBoundingClientRect().right,
      scrolls: overflow === 'auto' || overflow === 'scroll'};
  }),
}))()`

// TestBrowserTablesFit renders the report of the examples, with a
// finding of every quality rule for every team (the widest findings
// table there can be), in a real headless Chromium at 1280 px and 390 px
// wide. At 1280 px every table is shown whole; at 390 px (a phone) a
// table wider than the screen scrolls inside its own box; at both the
// page itself never scrolls sideways, so nothing is cut off. The
// screenshots are left in testdata/out (git-ignored), named in the log.
func TestBrowserTablesFit(t *testing.T) {
	chromium := testenv.RequireCommand(t, "chromium")
	src, rules := examplesSource(t)
	snap, err := src.Snapshot(t.Context(), examples.Anchor, rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, team := range Teams(snap) {
		for _, rule := range record.RuleNames() {
			snap.Findings[snapshot.TeamValue{Team: team, Value: rule}] += 12
		}
	}
	srv := httptest.NewServer(Handler(func() *snapshot.Snapshot { return snap }, 0, slog.New(slog.DiscardHandler)))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	tab, closeTab := chromedp.NewContext(allocCtx)
	defer closeTab()
	if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 900), chromedp.Navigate(srv.URL+"/report"), chromedp.WaitVisible("#quality")); err != nil {
			t.Fatalf("load /report at %d px: %v", width, err)
		}
		layout, err := chromedp.Run(tab, chromedp.Evaluate[pageLayout](readLayout))
		if err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(filepath.Dir(screenshotPath), "report-"+formatCount(float64(width))+".png")
		if err := os.WriteFile(out, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot at %d px: %s", width, out)

		if layout.WindowWidth != float64(width) || len(layout.Tables) < 20 {
			t.Fatalf("at %d px: a window of %v px with %d tables", width, layout.WindowWidth, len(layout.Tables))
		}
		if layout.PageWidth > layout.WindowWidth {
			t.Errorf("at %d px the page is %v px wide: it scrolls sideways", width, layout.PageWidth)
		}
		for _, tb := range layout.Tables {
			switch {
			case tb.Right > layout.WindowWidth+0.5:
				t.Errorf("at %d px the box of table %q ends at %v px, past the window", width, tb.ID, tb.Right)
			case width >= 1280 && tb.Width > tb.Box+0.5:
				t.Errorf("at %d px table %q is %v px wide in a box of %v px: cut off", width, tb.ID, tb.Width, tb.Box)
			case tb.Width > tb.Box+0.5 && !tb.Scrolls:
				t.Errorf("at %d px table %q is %v px wide in a box of %v px that does not scroll: cut off", width, tb.ID, tb.Width, tb.Box)
			}
		}
	}
}
