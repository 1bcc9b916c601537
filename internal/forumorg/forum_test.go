package forumorg_test

import (
	"fmt"
	"maps"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// forumWindows are the exporter's default windows.
var forumWindows = []figures.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour}}

// forumPeriods is the exporter's default number of months, and
// forumPossibleWithin its default span of a possible repeat.
const (
	forumPeriods        = 13
	forumPossibleWithin = 30 * 24 * time.Hour
)

// servedOrganisation is the generated organisation served by the real
// binary, and its figures worked out as of the snapshot's instant.
type servedOrganisation struct {
	org      *forumorg.Org
	dir      string // the folder of records
	exporter *testenv.Exporter
	want     *figures.Figures
}

// serveOrganisation writes the default organisation, generated up to now,
// serves it, and computes the expected figures as of the instant of the
// one snapshot the exporter serves (it refreshes once an hour, so every
// page and scrape of the test reads the same snapshot).
func serveOrganisation(t *testing.T) servedOrganisation {
	t.Helper()
	org := forumorg.Generate(forumorg.Default(time.Now()))
	dir := t.TempDir()
	if err := org.Write(dir); err != nil {
		t.Fatal(err)
	}
	e := testenv.StartExporter(t, nil, "--source.dir="+dir, "--refresh.interval=1h")
	asOf := snapshotInstant(t, e)
	return servedOrganisation{org: org, dir: dir, exporter: e, want: figures.Compute(org, figures.Settings{AsOf: asOf, Windows: forumWindows, Periods: forumPeriods, PossibleWithin: forumPossibleWithin})}
}

// scrape parses the exporter's metrics.
func scrape(t *testing.T, e *testenv.Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(e.Scrape(t)))
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// snapshotInstant reads postmortem_exporter_snapshot_timestamp_seconds.
func snapshotInstant(t *testing.T, e *testenv.Exporter) time.Time {
	t.Helper()
	mf := scrape(t, e)["postmortem_exporter_snapshot_timestamp_seconds"]
	if mf == nil || len(mf.GetMetric()) != 1 {
		t.Fatalf("no postmortem_exporter_snapshot_timestamp_seconds in the scrape")
	}
	sec := mf.GetMetric()[0].GetGauge().GetValue()
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(math.Round(frac*1e9))).UTC()
}

// TestGeneratedOrganisation serves an organisation of 8 teams over 18
// months with known trends and sloppy records (package forumorg), and
// compares what the forum reads, the report's Markdown and the
// dashboards' panels evaluated by a real Prometheus, with the figures a
// separate program (package figures) works out from the generator's own
// incidents.
func TestGeneratedOrganisation(t *testing.T) {
	s := serveOrganisation(t)
	t.Logf("%d incidents (%d invalid), %d overdue items, %d repeats in 365d, as of %s",
		len(s.org.Incidents), s.want.Invalid, len(s.want.Overdue), len(s.want.RepeatList), s.want.Settings.AsOf.Format(time.RFC3339Nano))
	t.Run("report", func(t *testing.T) {
		for _, w := range forumWindows {
			page := testenv.Get(t, "http://"+s.exporter.Addr+"/report?format=md&window="+w.Name)
			checkReport(t, newScopes(s.org, s.want.Settings), w.Name, parseMarkdown(page))
		}
	})
	t.Run("report filtered", func(t *testing.T) {
		for _, f := range []struct{ team, severity, window, period string }{
			{"payments", "sev1", "90d", ""}, {"support-tools", "", "365d", ""}, {"", "sev2", "30d", ""},
			{"", "", "365d", "quarter"}, {"payments", "sev1", "90d", "quarter"}, {"", "", "30d", "week"}, {"support-tools", "", "365d", "week"},
		} {
			settings := s.want.Settings
			settings.Team, settings.Severity, settings.Unit = f.team, f.severity, f.period
			page := testenv.Get(t, "http://"+s.exporter.Addr+"/report?format=md&team="+f.team+"&severity="+f.severity+"&window="+f.window+"&period="+f.period)
			checkReport(t, newScopes(s.org, settings), f.window, parseMarkdown(page))
		}
	})
	t.Run("report later", func(t *testing.T) {
		// The same records read later, by the command: windows, months and
		// due days fall elsewhere in the records, as on another day.
		for _, later := range []time.Duration{9*24*time.Hour + 7*time.Hour, 40 * 24 * time.Hour} {
			asOf := s.want.Settings.AsOf.Add(later)
			sc := newScopes(s.org, figures.Settings{AsOf: asOf, Windows: forumWindows, Periods: forumPeriods, PossibleWithin: forumPossibleWithin})
			for _, w := range []string{"30d", "365d"} {
				cmd := exec.Command(testenv.BuildExporter(t), "report", "--format=md", "--source.dir="+s.dir, "--window="+w, "--as-of="+asOf.Format(time.RFC3339Nano))
				page, err := cmd.Output()
				if err != nil {
					t.Fatalf("report --as-of %s: %v", asOf, err)
				}
				checkReport(t, sc, w, parseMarkdown(string(page)))
			}
		}
	})
	t.Run("invalid records", func(t *testing.T) { checkInvalidMetric(t, s) })
	t.Run("csv", func(t *testing.T) { checkCSV(t, s) })
	t.Run("panels", func(t *testing.T) { checkPanels(t, s) })
}

// TestOrganisationHasWhatTheForumNeeds checks that the generated
// organisation holds every case the forum test compares: enough teams,
// months and incidents, trends that move, overdue and unowned items,
// repeats of both kinds, possible repeats and invalid records.
func TestOrganisationHasWhatTheForumNeeds(t *testing.T) {
	org := forumorg.Generate(forumorg.Default(time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)))
	f := figures.Compute(org, figures.Settings{AsOf: org.Params.Anchor, Windows: forumWindows, Periods: 19, PossibleWithin: forumPossibleWithin})
	teams := map[string]bool{}
	for _, in := range org.Valid() {
		teams[in.Team] = true
	}
	unowned, fixNotDone, afterFix := 0, 0, 0
	for _, it := range f.Overdue {
		if it.Owner == "" {
			unowned++
		}
	}
	for _, r := range f.RepeatList {
		if r.FixNotDone {
			fixNotDone++
		} else {
			afterFix++
		}
	}
	oldest, newest := f.Periods[1], f.Periods[len(f.Periods)-1]
	share := func(p figures.Period) float64 {
		return float64(f.Incidents[figures.Key{Window: p.Name, Severity: "sev1"}]) / float64(f.Incidents[figures.Key{Window: p.Name}])
	}
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{fmt.Sprintf("8 teams or more: %d", len(teams)), len(teams) >= 8},
		{fmt.Sprintf("300 incidents or more: %d", f.Valid), f.Valid >= 300},
		{fmt.Sprintf("incidents in the oldest of 18 months: %d", f.Incidents[figures.Key{Window: oldest.Name}]), f.Incidents[figures.Key{Window: oldest.Name}] > 0},
		{fmt.Sprintf("the SEV1 share falls: %.2f in %s, %.2f in %s", share(oldest), oldest.Name, share(newest), newest.Name), share(oldest) > share(newest)},
		{fmt.Sprintf("2 invalid records: %d", f.Invalid), f.Invalid == 2},
		{fmt.Sprintf("overdue items: %d", len(f.Overdue)), len(f.Overdue) >= 10},
		{fmt.Sprintf("overdue items without an owner: %d", unowned), unowned == 2},
		{fmt.Sprintf("repeats, fix not done: %d", fixNotDone), fixNotDone > 0},
		{fmt.Sprintf("repeats despite the fix: %d", afterFix), afterFix > 0},
		{fmt.Sprintf("possible repeats: %d", len(f.PossibleRepeats)), len(f.PossibleRepeats) > 0},
		{fmt.Sprintf("learnings in 365d: %d", f.Learnings[figures.Key{Window: "365d"}]), f.Learnings[figures.Key{Window: "365d"}] > 0},
	} {
		if !c.ok {
			t.Errorf("the organisation lacks %s", c.what)
		}
	}
}

// checkInvalidMetric compares postmortem_records_invalid, by team and
// reason, with the records the generator broke.
func checkInvalidMetric(t *testing.T, s servedOrganisation) {
	got, want := map[string]float64{}, map[string]float64{}
	for _, m := range scrape(t, s.exporter)["postmortem_records_invalid"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if v := m.GetGauge().GetValue(); v != 0 {
			got[labels["team"]+" "+labels["reason"]] += v
		}
	}
	for _, in := range s.want.InvalidRecords {
		want[in.Team+" "+in.Invalid]++
	}
	if !maps.Equal(got, want) {
		t.Errorf("postmortem_records_invalid by team and reason: %v, want %v", got, want)
	}
}
