package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// WriteMarkdown writes the report's tables as Markdown (GitHub flavour) for
// a wiki page. Charts are left out; the tables hold the same figures.
// Every text from a record is escaped (see mdText).
func WriteMarkdown(w io.Writer, r *Report) error {
	m := &mdWriter{w: bufio.NewWriter(w)}
	m.printf("# %s\n\n", mdText(r.Title))
	m.printf("As of %s · source %s · %d valid records", r.AsOf.UTC().Format(time.RFC3339), mdText(r.Source), r.Records)
	if r.Invalid > 0 {
		m.printf(" · %d invalid (see `validate`)", r.Invalid)
	}
	if r.Stale > 0 {
		m.printf(" · %d served in their last valid version", r.Stale)
	}
	m.printf(" · window %s (of %s)\n", mdText(r.Window), mdText(strings.Join(r.Windows, ", ")))
	m.printf("\nFilters: team %s · severity %s · window %s · periods by %s. Each table says which of them it holds.\n",
		mdText(orAll(r.Filters.Team)), mdText(orAll(r.Filters.Severity)), mdText(r.Filters.Window), mdText(r.Filters.Period))
	m.timeliness(r)
	m.trends(r)
	m.learnings(r)
	m.quality(r)
	if m.err != nil {
		return fmt.Errorf("write the Markdown report: %w", m.err)
	}
	if err := m.w.Flush(); err != nil {
		return fmt.Errorf("write the Markdown report: %w", err)
	}
	return nil
}

type mdWriter struct {
	w   *bufio.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// table writes a table under a line naming its scope; a header starting
// with "> " is right-aligned (a number). Cells must already be Markdown:
// record text goes through mdText or mdLink. With no rows it writes
// empty instead.
func (m *mdWriter) table(sc Scope, header []string, rows [][]string, empty string) {
	m.printf("_%s_\n\n", mdText(upperFirst(sc.String())))
	if len(rows) == 0 {
		m.printf("%s\n\n", empty)
		return
	}
	var head, rule strings.Builder
	for _, h := range header {
		name, right := strings.CutPrefix(h, "> ")
		head.WriteString("| " + name + " ")
		if right {
			rule.WriteString("|---:")
		} else {
			rule.WriteString("|---")
		}
	}
	m.printf("%s|\n%s|\n", head.String(), rule.String())
	for _, row := range rows {
		m.printf("| %s |\n", strings.Join(row, " | "))
	}
	m.printf("\n")
}

// mdEscaper makes text inert in a Markdown table cell: the pipe would end
// the cell, backticks open code, brackets make links, asterisks emphasis,
// a backslash escapes what follows; HTML is written as entities and line
// breaks become spaces, since a cell is one line.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "[", `\[`, "]", `\]`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes text from a record for a Markdown table cell or line.
func mdText(s string) string { return mdEscaper.Replace(s) }

// mdLink links text to an http(s) address; any other address (a
// javascript: one, say) is left out and the text shown alone.
func mdLink(text, address string) string {
	u, err := url.Parse(address)
	if address == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return mdText(text)
	}
	target := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u.String())
	return "[" + mdText(text) + "](" + target + ")"
}

func (m *mdWriter) timeliness(r *Report) {
	t := r.Timeliness
	m.printf("\n## 1. Timeliness of action items\n\n### Per team\n\n")
	var rows [][]string
	for _, ti := range t.Teams {
		ratio := "–"
		if ti.HasRatio {
			ratio = formatPercent(ti.OnTimeRatio)
		}
		rows = append(rows, []string{mdText(ti.Team), fmt.Sprint(ti.Open), fmt.Sprint(ti.Overdue), fmt.Sprint(ti.Due), fmt.Sprint(ti.OnTime), ratio})
	}
	m.table(t.TeamsScope, []string{"Team", "> Open", "> Overdue", "> Due in " + mdText(r.Window), "> On time", "> On-time ratio"}, rows, "No action items.")

	m.printf("### Overdue work by owner\n\n")
	rows = nil
	for _, o := range t.Owners {
		most := "–"
		if o.Overdue > 0 {
			most = lateness(o.MostDays)
		}
		rows = append(rows, []string{mdText(o.Owner), mdText(strings.Join(o.Teams, ", ")), fmt.Sprint(o.Overdue), most, fmt.Sprint(o.DueToday)})
	}
	m.table(t.OverdueScope, []string{"Owner", "Team", "> Overdue items", "> Most overdue", "> Due today"}, rows, "Nobody has overdue work.")

	m.printf("### Overdue items, most overdue first\n\n")
	rows = nil
	for _, it := range t.Overdue {
		rows = append(rows, []string{lateness(it.DaysOverdue), mdText(it.Team), mdText(cmp.Or(it.Owner, NoOwner)), itemCell(it), incidentCell(it), it.Due})
	}
	m.table(t.OverdueScope, []string{"> Overdue", "Team", "Owner", "Item", "Incident", "Due"}, rows, "No overdue item.")
	if t.OverdueDropped > 0 {
		m.printf("%d more overdue items are left out by `--overdue-items.limit`; the counts per team include them.\n\n", t.OverdueDropped)
	}

	m.printf("### Due in the next %d days\n\n", t.DueSoonDays)
	if r.Listed {
		rows = nil
		for _, it := range t.DueSoon {
			rows = append(rows, []string{it.Due, mdText(it.Team), mdText(cmp.Or(it.Owner, NoOwner)), itemCell(it), incidentCell(it)})
		}
		m.table(t.OverdueScope, []string{"Due", "Team", "Owner", "Item", "Incident"}, rows, "Nothing falls due.")
		if t.DueSoonDropped > 0 {
			m.printf("%d more items due soon are left out by the list's limit.\n\n", t.DueSoonDropped)
		}
	} else {
		m.printf("The %s source does not list items due soon.\n\n", mdText(r.Source))
	}

	m.printf("### Open exceptions\n\n")
	m.printf("Open items a leader approved as larger than the quality bar allows, with their own due day, the earliest first. " +
		"They count in the figures above too: an exception does not hide an item.\n\n")
	rows = nil
	for _, e := range t.Exceptions {
		approver := "not named"
		if e.Approver != "" {
			approver = mdText(e.Approver)
		}
		rows = append(rows, []string{orDash(e.Due), mdText(e.Team), mdText(cmp.Or(e.Owner, NoOwner)), itemCell(e.Item), incidentCell(e.Item), approver})
	}
	m.table(t.OverdueScope, []string{"Due", "Team", "Owner", "Item", "Incident", "Approved by"}, rows, "No open exceptions.")
	if t.ExceptionsDropped > 0 {
		m.printf("%d more open items with an exception are left out by `--exception-items.limit`.\n\n", t.ExceptionsDropped)
	}
}

// orDash shows a text, or a dash when it is empty.
func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func itemCell(it Item) string { return titled(it.ID, it.URL, it.Title) }

// incidentCell shows an item's incident, linked when it has an http(s)
// address, with its severity when known and its title.
func incidentCell(it Item) string {
	s := mdLink(it.Incident, it.IncidentURL)
	if it.Severity != "" {
		s += " (" + mdText(it.Severity) + ")"
	}
	if it.IncidentTitle != "" {
		s += " " + mdText(it.IncidentTitle)
	}
	return s
}

func (m *mdWriter) trends(r *Report) {
	t := r.Trends
	m.printf("## 2. Trends per %s\n\n", mdText(t.Unit))
	m.printf("An incident counts in the %s it started in. MTTR, MTTD, MTTA (time to acknowledge, of the incidents with acknowledged_at) and MTTM (time to mitigate) are means with n, the incidents behind them; medians are per severity below. "+
		"The %s share is of the incidents of every severity. The current %s has not ended: its figures are so far.\n\n", mdText(t.Unit), mdText(t.TopSeverity), mdText(t.Unit))
	var rows [][]string
	for _, p := range t.Periods {
		rows = append(rows, trendRow(t, p))
	}
	m.table(t.Scope, trendHeader(t), rows, "No calendar period is configured.")
	if len(t.Periods) == 0 {
		return
	}

	m.printf("### Change against the previous %s\n\n", mdText(t.Unit))
	top := mdText(t.TopSeverity)
	header := []string{"Period", "> Incidents", "> " + top + " share"}
	if t.CustomerDetection != "" {
		header = append(header, "> Customer-detected share")
	}
	header = append(header, "> MTTR", "> MTTD", "> MTTA", "> MTTM")
	rows = nil
	for _, c := range t.Changes {
		period := mdText(c.Period) + " vs " + mdText(c.Previous)
		if c.Partial {
			period += " (so far)"
		}
		row := []string{period, formatDelta(c.Incidents, formatSignedCount), formatDelta(c.TopSeverityShare, formatPoints)}
		if t.CustomerDetection != "" {
			row = append(row, formatDelta(c.CustomerDetectedShare, formatPoints))
		}
		rows = append(rows, append(row, formatDelta(c.Recover, formatSignedDuration), formatDelta(c.Detect, formatSignedDuration), formatDelta(c.Acknowledge, formatSignedDuration), formatDelta(c.Mitigate, formatSignedDuration)))
	}
	m.table(t.Scope, header, rows, "One period only: nothing to compare with.")

	m.printf("### Rolling %d %ss\n\n", RollingPeriods, mdText(t.Unit))
	rows = nil
	for _, p := range t.Rolling {
		rows = append(rows, trendRow(t, p))
	}
	m.table(t.Scope, trendHeader(t), rows, fmt.Sprintf("Fewer than %d periods.", RollingPeriods))

	m.printf("### Time to recover, detect and mitigate by severity: median / mean (n)\n\n")
	header = []string{"Period"}
	for _, kind := range []string{"recover", "detect", "mitigate"} {
		for _, sev := range t.Severities {
			header = append(header, "> "+mdText(sev)+" "+kind)
		}
	}
	rows = nil
	for _, p := range t.Periods {
		row := []string{mdText(p.Period)}
		for _, pick := range []func(SeverityDurations) Durations{
			func(d SeverityDurations) Durations { return d.Recover },
			func(d SeverityDurations) Durations { return d.Detect },
			func(d SeverityDurations) Durations { return d.Mitigate },
		} {
			for _, d := range p.BySeverity {
				row = append(row, formatMedianMean(pick(d)))
			}
		}
		rows = append(rows, row)
	}
	m.table(t.Scope, header, rows, "")
}

// trendHeader is the header of the per-period and rolling tables.
func trendHeader(t Trends) []string {
	top := mdText(t.TopSeverity)
	header := []string{"Period", "> Incidents", "> " + top + " share (n)"}
	if t.CustomerDetection != "" {
		header = append(header, "> Customer-detected (n)")
	}
	return append(header, "> MTTR", "> MTTD", "> MTTA", "> MTTM")
}

// trendRow is a row of the per-period and rolling tables.
func trendRow(t Trends, p PeriodRow) []string {
	period := mdText(p.Period)
	if p.Partial {
		period += " (" + partialNote(p) + ")"
	}
	row := []string{period, fmt.Sprint(p.Incidents), shareOf(p.TopSeverityShare, p.TopSeverity, p.AllSeverities)}
	if t.CustomerDetection != "" {
		row = append(row, shareOf(p.CustomerDetectedShare, p.CustomerDetected, p.Incidents))
	}
	return append(row, formatMean(p.Recover), formatMean(p.Detect), formatMean(p.Acknowledge), formatMean(p.Mitigate))
}
func shareOrDash(ratio float64, total int) string {
	if total == 0 {
		return "–"
	}
	return formatPercent(ratio)
}

func (m *mdWriter) learnings(r *Report) {
	l := r.Learnings
	m.printf("## 3. Aggregate learnings, last %s\n\n", mdText(r.Window))
	m.printf("### Where faults came from and how they were resolved\n\n")
	var rows [][]string
	if l.Crossed {
		m.printf("Code changes resolved by rollback are the argument for canary releases.\n\n")
		header := []string{"Origin / resolution"}
		for _, res := range l.Resolutions {
			header = append(header, "> "+mdText(res))
		}
		header = append(header, "> not resolved", "> all")
		for i, o := range l.Origins {
			row := []string{mdText(o)}
			for _, n := range l.Cross[i] {
				row = append(row, fmt.Sprint(n))
			}
			rows = append(rows, append(row, fmt.Sprint(l.Unresolved[i]), fmt.Sprint(l.OriginTot[i])))
		}
		m.table(l.Scope, header, rows, "No incident in the window.")
	} else {
		if r.Filters.Team != "" {
			m.printf("Origin crossed with resolution is not kept per team; per origin:\n\n")
		} else {
			m.printf("The %s source does not cross origin with resolution; per origin:\n\n", mdText(r.Source))
		}
		for i, o := range l.Origins {
			rows = append(rows, []string{mdText(o), fmt.Sprint(l.OriginTot[i])})
		}
		m.table(l.Scope, []string{"Origin", "> Incidents"}, rows, "No incident in the window.")
	}

	m.printf("### Who detected them first\n\n")
	rows = nil
	for _, c := range l.Detections {
		rows = append(rows, []string{mdText(c.Name), fmt.Sprint(c.N), formatPercent(c.Share)})
	}
	m.table(l.Scope, []string{"Detection", "> Incidents", "> Share"}, rows, "No incident in the window.")

	m.printf("### Services that keep failing\n\n")
	m.table(l.ServicesScope, []string{"Service", "> Incidents"}, countRows(l.Services), "No incident named a service.")

	m.printf("### Time to recover per service\n\n")
	if l.ServicesListed {
		rows = nil
		for _, sv := range l.ByService {
			rows = append(rows, []string{mdText(sv.Service), fmt.Sprint(sv.Incidents), formatMean(sv.Recover)})
		}
		m.table(l.ByServiceScope, []string{"Service", "> Incidents", "> MTTR"}, rows, "No incident named a service.")
		if l.ByServiceDropped > 0 {
			m.printf("%d more services had incidents (`--report.services` lists more).\n\n", l.ByServiceDropped)
		}
	} else {
		m.printf("The %s source does not count time to recover per service; the incidents per service are above.\n\n", mdText(r.Source))
	}

	m.printf("### Repeat incidents\n\n")
	m.printf("An incident repeats an earlier one when its `related` names it. *%s*: earlier incident's action items were still open when it started (finishing them would have prevented it). *%s*: they were all closed (the fix did not work).\n\n",
		snapshot.RepeatFixNotDone, snapshot.RepeatDespiteFix)
	rows = nil
	for _, tr := range l.Repeats {
		rows = append(rows, []string{mdText(tr.Team), fmt.Sprint(tr.FixNotDone), fmt.Sprint(tr.DespiteFix)})
	}
	m.table(l.RepeatsScope, []string{"Team", "> " + snapshot.RepeatFixNotDone, "> " + snapshot.RepeatDespiteFix}, rows, "No repeat incident.")

	m.printf("#### Which incident repeats which\n\n")
	m.printf("Incidents started in the longest window whose `related` names an earlier incident with action items.\n\n")
	rows = nil
	for _, rp := range l.RepeatList {
		rows = append(rows, []string{rp.Started, mdText(rp.Team), titled(rp.Incident, "", rp.Title), titled(rp.Earlier, "", rp.EarlierTitle), rp.Kind})
	}
	m.table(l.RepeatListScope, []string{"Started", "Team", "Incident", "Repeats", "Kind"}, rows, "No incident repeats an earlier one.")
	if l.RepeatsDropped > 0 {
		m.printf("%d more are left out by `--repeats.limit`.\n\n", l.RepeatsDropped)
	}

	m.printf("#### Possible repeats, to confirm\n\n")
	if !l.PossibleListed {
		m.printf("The %s source does not list them.\n\n", mdText(r.Source))
		return
	}
	m.printf("Incidents started in the longest window on the same service with the same origin as an earlier one started shortly before (`--repeats.possible-within`), neither naming the other in `related`: the forum confirms them, and the author adds `related`, or not.\n\n")
	rows = nil
	for _, p := range l.PossibleRepeats {
		rows = append(rows, []string{p.Started, mdText(p.Team), titled(p.Incident, "", p.Title), titled(p.Earlier, "", p.EarlierTitle), mdText(p.Service), mdText(p.Origin)})
	}
	m.table(l.RepeatListScope, []string{"Started", "Team", "Incident", "Earlier", "Service", "Origin"}, rows, "No possible repeat.")
	if l.PossibleRepeatsDropped > 0 {
		m.printf("%d more are left out by `--repeats.limit`.\n\n", l.PossibleRepeatsDropped)
	}
}

// countRows are the rows of a table of counts: the name and its count.
func countRows(counts []Count) [][]string {
	rows := make([][]string, 0, len(counts))
	for _, c := range counts {
		rows = append(rows, []string{mdText(c.Name), fmt.Sprint(c.N)})
	}
	return rows
}

// titled shows an id, linked when it has an http(s) address, and its title.
func titled(id, address, title string) string {
	s := mdLink(id, address)
	if title != "" {
		s += " " + mdText(title)
	}
	return s
}

func (m *mdWriter) quality(r *Report) {
	q := r.Quality
	m.printf("## 4. Quality bar\n\n### Findings per team\n\n")
	m.printf("What the quality rules found in the valid records (`postmortem-exporter validate` prints each with its file and line).\n\n")
	header := []string{"Team", "> Findings"}
	if q.Detailed {
		header = append(header, "> In the window")
	}
	var rows [][]string
	for _, tf := range q.Findings {
		row := []string{mdText(tf.Team), fmt.Sprint(tf.Total)}
		if q.Detailed {
			row = append(row, fmt.Sprint(tf.InWindow))
		}
		rows = append(rows, append(row, mdText(tf.ByRule)))
	}
	m.table(q.FindingsScope, append(header, "By rule"), rows, "No finding: every record meets the bar.")

	m.printf("### Findings per rule\n\n")
	m.table(q.FindingsScope, []string{"Rule", "> Findings"}, countRows(q.Rules), "No finding.")

	m.printf("### Post-mortems that pass the bar, by month of publication\n\n")
	if q.Detailed {
		m.printf("Of the post-mortems published in each period, those with no finding.\n\n")
		rows = nil
		for _, p := range q.Periods {
			share := "–"
			if p.Published > 0 {
				share = formatPercent(p.Share)
			}
			rows = append(rows, []string{mdText(p.Period), fmt.Sprint(p.Published), fmt.Sprint(p.Passing), share})
		}
		m.table(q.PeriodsScope, []string{"Period", "> Published", "> Pass the bar", "> Share"}, rows, "No period.")
	} else {
		m.printf("The %s source does not list them.\n\n", mdText(r.Source))
	}

	m.printf("### Findings, post-mortem by post-mortem\n\n")
	if q.Detailed {
		m.printf("The post-mortems of the incidents started in the longest window, the latest first.\n\n")
		rows = nil
		for _, f := range q.List {
			rows = append(rows, []string{titled(f.Incident, "", f.Title), mdText(f.Team), mdText(f.Rule), mdText(f.Item), mdText(f.Reason)})
		}
		m.table(q.FindingsScope, []string{"Post-mortem", "Team", "Rule", "Action item", "Reason"}, rows, "No finding.")
		if q.ListDropped > 0 {
			m.printf("%d more are left out by `--findings.limit`.\n\n", q.ListDropped)
		}
	} else {
		m.printf("The %s source does not list them.\n\n", mdText(r.Source))
	}

	m.printf("### Post-mortems published late\n\n")
	if q.LateListed {
		rows = nil
		for _, pm := range q.Late {
			rows = append(rows, []string{pmCell(pm), mdText(pm.Team), formatAge(pm.Delay)})
		}
		m.table(q.ListScope, []string{"Post-mortem", "Team", "> Published after resolution"}, rows, "No post-mortem was published late.")
		if q.LateDropped > 0 {
			m.printf("%d more are left out by the list's limit.\n\n", q.LateDropped)
		}
	} else {
		m.printf("The %s source does not list them; their count is the *published late* rule above.\n\n", mdText(r.Source))
	}

	m.printf("### Post-mortems not published yet\n\n")
	m.printf("Age: since the incident was resolved; a post-mortem is due once the incident is over.\n\n")
	if r.Listed {
		rows = nil
		for _, pm := range q.Unpublished {
			rows = append(rows, []string{pmCell(pm), mdText(pm.Team), mdText(pm.Status), ageOrOpen(pm.Age)})
		}
		m.table(q.ListScope, []string{"Post-mortem", "Team", "Status", "> Age"}, rows, "Every post-mortem is published.")
		if q.UnpublishedDropped > 0 {
			m.printf("%d more are left out by the list's limit.\n\n", q.UnpublishedDropped)
		}
	}
	rows = nil
	for _, p := range q.Pending {
		rows = append(rows, []string{mdText(p.Team), mdText(p.Status), fmt.Sprint(p.N), ageOrOpen(p.OldestAge)})
	}
	m.table(q.FindingsScope, []string{"Team", "Status", "> Post-mortems", "> Oldest age"}, rows, "Every post-mortem is published.")

	m.printf("### Invalid records\n\n")
	m.printf("Records whose incident core is broken are left out of every figure of this report and of the metrics until they are fixed; `validate` prints the same.\n\n")
	rows = nil
	for _, p := range q.Invalid {
		rows = append(rows, []string{mdText(orDash(p.Team)), mdText(string(p.Code)), mdText(p.Field), mdText(p.Message), mdText(location(p))})
	}
	m.table(q.InvalidScope, []string{"Team", "Reason", "Field", "Problem", "File or row"}, rows, "No invalid record.")
	if q.InvalidDropped > 0 {
		m.printf("%d more problems are left out of this list; `validate` prints them all.\n\n", q.InvalidDropped)
	}
}

func pmCell(pm PostMortem) string {
	return mdLink(pm.ID, pm.URL) + " (" + mdText(pm.Severity) + ")" + strings.TrimRight(" "+mdText(pm.Title), " ")
}

func ageOrOpen(age time.Duration) string {
	if age <= 0 {
		return "not resolved"
	}
	return formatAge(age)
}
