package dashboards_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestTrendsShowThirteenMonthsOnFirstScrape starts the real exporter on
// the bundled examples (4 teams: --periods.by-team=auto keeps the team)
// and a fresh Prometheus that has scraped it once: every query of the
// trend dashboard must already answer for the last 13 months, 0
// included, since the exporter computes the periods itself, with Team set
// to All and with one team. The exact medians, means and shares exist only for
// the months with incidents, so they must answer for at least one. The team filter
// panel says the team narrows the trends.
func TestTrendsShowThirteenMonthsOnFirstScrape(t *testing.T) {
	checkTrends(t, testenv.StartExporter(t, nil), "payments")
}

// TestTrendsNarrowFiftyTeams does the same for a synthetic organisation
// of 50 teams, within --periods.by-team=auto's limit with the defaults.
func TestTrendsNarrowFiftyTeams(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command(testenv.BuildExporter(t), "synthesize-files", "--records", "5000", "--items-per-incident", "2", "--teams", "50", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("synthesize-files: %v\n%s", err, out)
	}
	if teams, err := os.ReadDir(dir); err != nil || len(teams) != 50 {
		t.Fatalf("%d team folders (%v), want 50", len(teams), err)
	}
	checkTrends(t, testenv.StartExporter(t, nil, "--source.dir="+dir), "team-007")
}

// checkTrends evaluates every query of the trend dashboard against a
// fresh Prometheus that has scraped the exporter once, with Team set to
// All and to team.
func checkTrends(t *testing.T, exporter *testenv.Exporter, team string) {
	t.Helper()
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{exporter.Addr}})
	prom.WaitForData(t, `up{job="postmortem"} == 1`, 30*time.Second)
	d, ok := loadDashboards(t)[filepath.Base("trends.json")]
	if !ok {
		t.Fatalf("no trends.json in %s", filepath.Join(deployDir, dashboards.DashboardsDir))
	}
	current := time.Now().UTC().Format("2006-01")
	for _, team := range []string{".*", team} {
		queries := 0
		for _, pr := range d.Panels {
			if pr.Panel == nil {
				continue
			}
			title := *pr.Panel.Title
			if team != ".*" && strings.Contains(title, "all teams") {
				continue // said: over all teams only
			}
			for i, expr := range panelQueries(pr.Panel) {
				queries++
				v, err := prom.Query(t, templateValues.Replace(strings.ReplaceAll(expr, "$team", team)))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(expr, collectors.MetricPeriodsByTeam) {
					if len(v) != 1 || v[0].Value != 1 {
						t.Errorf("%s: %s = %v, want 1: the teams fit the budget", title, expr, v)
					}
					continue
				}
				periods := map[model.LabelValue]bool{}
				for _, s := range v {
					periods[s.Metric["period"]] = true
				}
				// A mean or share over a month without incidents has no
				// bar, never NaN: at least one month has one. A change
				// needs the month before (12 months), a rolling view the
				// two before (11); "so far" is the current month alone.
				atLeast, most := 13, 13
				switch {
				case strings.HasPrefix(title, "This month so far"):
					atLeast, most = 1, 1
				case strings.Contains(expr, `quantile="0.5"`) || strings.Contains(expr, " > 0)"):
					atLeast = 1
				case strings.HasPrefix(title, "Rolling"):
					atLeast, most = 11, 11
				case strings.HasPrefix(title, "Change against") && i%3 == 1:
					atLeast, most = 12, 12
				}
				if len(periods) < atLeast || len(periods) > most {
					t.Errorf("team %s: %s: %s answers for %d months, want %d to %d", team, title, expr, len(periods), atLeast, most)
				}
				// The current month is drawn as partial wherever it is
				// drawn (the stat that counts its days names it).
				if (periods[model.LabelValue(current)] && most != 1) || (most == 13 && atLeast == 13 && !periods[model.LabelValue(current+" (so far)")]) {
					t.Errorf("team %s: %s: the current month is not marked \"%s (so far)\": %v", team, title, current, periods)
				}
			}
		}
		if queries < 10 {
			t.Fatalf("only %d queries in the trend dashboard", queries)
		}
	}
}
