package dashboards_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestMonthOverMonth checks the trend dashboard's change table and
// rolling view against figures worked out by hand, on records of one
// team written for the last three months, evaluated by a real Prometheus
// scraping the real exporter:
//
//	two months ago: 2 × sev2, recovered in 4 h, detected in 20 min
//	last month:     1 × sev1 (1 h), 3 × sev2 (1 h, 1 h, 5 h), detected in 10 min
//	this month:     nothing yet
//
// Last month against the one before: incidents 4 − 2 = +2 (+100%), SEV1
// share 1/4 − 0 = +0.25 (no relative change from 0), MTTR 8 h/4 − 4 h =
// −2 h (−50%), MTTD 10 − 20 min = −10 min (−50%), customer-detected 0 − 0.
// With severity sev2: incidents 3 − 2 = +1 (+50%), MTTR 7 h/3 − 4 h =
// −6,000 s (−6,000/14,400). This month "(so far)": 0 − 4 = −4 (−100%).
// Rolling three months at last month (with the empty month before):
// MTTR (8 h + 8 h) / 6 = 9,600 s, MTTD (4 × 600 + 2 × 1,200) / 6 = 800 s,
// 6 incidents.
func TestMonthOverMonth(t *testing.T) {
	now := time.Now().UTC()
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	last, before := thisMonth.AddDate(0, -1, 0), thisMonth.AddDate(0, -2, 0)
	dir := t.TempDir()
	write := func(id, severity string, started time.Time, detect, recover time.Duration) {
		text := fmt.Sprintf("---\nid: %s\ntitle: incident %s\nseverity: %s\nteam: alpha\nstarted_at: %s\ndetected_at: %s\nresolved_at: %s\n"+
			"origin: code_change\nresolution: rollback\ndetection: automated\nstatus: in_review\n---\n",
			id, id, severity, started.Format(time.RFC3339), started.Add(detect).Format(time.RFC3339), started.Add(recover).Format(time.RFC3339))
		if err := os.WriteFile(filepath.Join(dir, id+".md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour
	write("B-1", "sev2", before.Add(2*day), 20*time.Minute, 4*time.Hour)
	write("B-2", "sev2", before.Add(3*day), 20*time.Minute, 4*time.Hour)
	write("L-1", "sev1", last.Add(2*day), 10*time.Minute, time.Hour)
	write("L-2", "sev2", last.Add(3*day), 10*time.Minute, time.Hour)
	write("L-3", "sev2", last.Add(4*day), 10*time.Minute, time.Hour)
	write("L-4", "sev2", last.Add(5*day), 10*time.Minute, 5*time.Hour)

	exporter := testenv.StartExporter(t, nil, "--source.dir="+dir)
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{exporter.Addr}})
	prom.WaitForData(t, `postmortem_period_covered_seconds`, 30*time.Second)
	trends := loadDashboards(t)["trends.json"]
	lastName, current := last.Format("2006-01"), thisMonth.Format("2006-01")+" (so far)"
	none := math.NaN()

	for _, c := range []struct {
		panel, severity, period string
		want                    []float64 // by query, in order; NaN: no value
	}{
		{"Change against the previous month", ".*", lastName, []float64{4, 2, 1, 0.25, 0.25, none, 7200, -7200, -0.5, 600, -600, -0.5, 0, 0, none}},
		{"Change against the previous month", "sev2", lastName, []float64{3, 1, 0.5, 0.25, 0.25, none, 8400, -6000, -6000.0 / 14400, 600, -600, -0.5, 0, 0, none}},
		{"Change against the previous month", ".*", current, []float64{0, -4, -1}},
		{"Rolling three months: MTTR and MTTD", ".*", lastName, []float64{9600, 800, 6}},
	} {
		p := panelTitled(t, trends, c.panel)
		for i, expr := range panelQueries(p)[:len(c.want)] {
			q := strings.NewReplacer("$job", "postmortem", "$team", ".*", "$severity", c.severity).Replace(expr)
			v, err := prom.Query(t, q)
			if err != nil {
				t.Fatal(err)
			}
			got := none
			for _, s := range v {
				if string(s.Metric["period"]) == c.period {
					got = float64(s.Value)
				}
			}
			want := c.want[i]
			if (math.IsNaN(want) != math.IsNaN(got)) || (!math.IsNaN(want) && math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want))) {
				t.Errorf("%s, severity %s, %s, query %c: got %v, want %v", c.panel, c.severity, c.period, 'A'+i, got, want)
			}
		}
	}
}

// panelTitled finds a panel by its title.
func panelTitled(t *testing.T, d dashboard.Dashboard, title string) *dashboard.Panel {
	t.Helper()
	for _, pr := range d.Panels {
		if pr.Panel != nil && derefString(pr.Panel.Title) == title {
			return pr.Panel
		}
	}
	t.Fatalf("no panel %q", title)
	return nil
}
