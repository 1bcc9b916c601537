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
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// itemsDueRecords writes two teams' records with dates relative to now,
// so that the windows of the live exporter hold them:
//
//	alpha, items due 10 days ago: A-1 done 12 days ago (on time), A-2 done
//	2 days ago (late), A-3 still open, A-4 dropped (wont_do, left out);
//	A-5 due in 20 days, open, with an exception approved by Vera Lead.
//	beta: B-1 due 60 days ago, done 5 days ago (late); B-2 due 5 days
//	ago, done 40 days ago (on time).
//
// On time of the items due (done or open): alpha 30d and 90d 1 of A-1..3
// = 1/3; beta 30d B-2 alone = 1, 90d B-2 of B-1, B-2 = 1/2. Counted over
// the items done in the window instead (the old scorecard), alpha 30d
// would read 1/2 (A-1 of) and beta 30d 0 (B-1 alone).
func itemsDueRecords(t *testing.T, now time.Time) string {
	t.Helper()
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	at := func(d int) string { return now.AddDate(0, 0, d).Format(time.RFC3339) }
	record := func(id, team string, startedDaysAgo int, items string) string {
		return fmt.Sprintf(`---
id: %[1]s
title: Incident %[1]s
severity: sev2
team: %[2]s
started_at: %[3]s
detected_at: %[3]s
resolved_at: %[4]s
origin: code_change
resolution: rollback
detection: automated
status: in_review
action_items:
%[5]s---
`, id, team, at(-startedDaysAgo), at(-startedDaysAgo+1), items)
	}
	item := func(id, due, status, closed, extra string) string {
		s := fmt.Sprintf("  - id: %s\n    title: Fix %s\n    owner: owner-%s\n    due: %s\n    status: %s\n", id, id, strings.ToLower(id), due, status)
		if closed != "" {
			s += "    closed_at: " + closed + "\n"
		}
		return s + extra
	}
	dir := t.TempDir()
	files := map[string]string{
		"alpha.md": record("A", "alpha", 40,
			item("A-1", day(-10), "done", at(-12), "")+
				item("A-2", day(-10), "done", at(-2), "")+
				item("A-3", day(-10), "open", "", "")+
				item("A-4", day(-10), "wont_do", at(-9), "")+
				item("A-5", day(20), "open", "", "    exception:\n      approver: Vera Lead\n      reason: a quarter of work\n")),
		"beta.md": record("B", "beta", 90,
			item("B-1", day(-60), "done", at(-5), "")+
				item("B-2", day(-5), "done", at(-40), "")),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestOnTimeCountsTheItemsDueInTheWindow evaluates the scorecard's on-time
// column, the action items dashboard's on-time stat and the open
// exceptions table, as generated, against a real Prometheus scraping the
// exporter.
func TestOnTimeCountsTheItemsDueInTheWindow(t *testing.T) {
	now := time.Now().UTC()
	exp := testenv.StartExporter(t, nil, "--source.dir="+itemsDueRecords(t, now))
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{exp.Addr}})
	prom.WaitForData(t, `postmortem_action_items_due`, 30*time.Second)
	boards := loadDashboards(t)
	query := func(expr, window, team string) model.Vector {
		t.Helper()
		q := strings.NewReplacer(`job=~"$job"`, `job=~"postmortem"`, "$window", window, "$team", team).Replace(expr)
		v, err := prom.Query(t, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	near := func(what string, got model.Vector, want float64) {
		t.Helper()
		if len(got) != 1 || math.Abs(float64(got[0].Value)-want) > 1e-9 {
			t.Errorf("%s = %v, want %.4f", what, got, want)
		}
	}

	var scorecard string
	for _, expr := range panelExprs(t, boards["overview.json"], "Team scorecard") {
		if strings.Contains(expr, "postmortem_action_items_due") {
			scorecard = expr
		}
	}
	for _, c := range []struct {
		window, team string
		want         float64
	}{{"30d", "alpha", 1.0 / 3}, {"90d", "alpha", 1.0 / 3}, {"30d", "beta", 1}, {"90d", "beta", 0.5}} {
		var row model.Vector
		for _, s := range query(scorecard, c.window, ".*") {
			if string(s.Metric["team"]) == c.team {
				row = append(row, s)
			}
		}
		near(fmt.Sprintf("scorecard on time of %s over %s", c.team, c.window), row, c.want)
	}

	stat := boards["action-items.json"]
	onTime := panelExprs(t, stat, "On-time ratio") // the ratio, then how many were due
	near("on-time ratio of alpha over 30d", query(onTime[0], "30d", "alpha"), 1.0/3)
	near("items due of alpha over 30d", query(onTime[1], "30d", "alpha"), 3)

	rows := query(panelExprs(t, stat, "Open exceptions")[0], "30d", ".*")
	if len(rows) != 1 || rows[0].Metric["id"] != "A-5" || rows[0].Metric["approver"] != "Vera Lead" ||
		rows[0].Metric["due"] != model.LabelValue(now.AddDate(0, 0, 20).Format(time.DateOnly)) || rows[0].Metric["team"] != "alpha" {
		t.Errorf("open exceptions: %v, want A-5 of alpha approved by Vera Lead, due in 20 days", rows)
	}
}

// panelExprs returns the queries of a dashboard's panel, in order.
func panelExprs(t *testing.T, d dashboard.Dashboard, title string) []string {
	t.Helper()
	for _, p := range d.Panels {
		if p.Panel != nil && derefString(p.Panel.Title) == title {
			return panelQueries(p.Panel)
		}
	}
	t.Fatalf("no panel %q", title)
	return nil
}
