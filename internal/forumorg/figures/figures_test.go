package figures_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
)

// TestIndependentOfTheExporter: the expected figures must not come from
// the code they check, so the package depends on no package of the
// exporter's.
func TestIndependentOfTheExporter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const module = "github.com/postmortem-exporter/postmortem-exporter/"
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, module) && !strings.HasPrefix(dep, module+"internal/forumorg") {
			t.Errorf("figures depends on %s", dep)
		}
	}
}

// TestFiguresByHand checks the figures of four incidents worked out by
// hand, as of 2026-06-10 12:00 UTC with a 30d window and 2 months.
func TestFiguresByHand(t *testing.T) {
	asOf := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	at := func(day, hour int) time.Time { return time.Date(2026, 5, day, hour, 0, 0, 0, time.UTC) }
	minutes := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	due := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	org := &forumorg.Org{Incidents: []forumorg.Incident{
		// Started 2026-05-01: before the 30d window (it opens 2026-05-11 12:00), in May.
		{ID: "A", Team: "t", Severity: "sev1", Started: at(1, 0), Detected: at(1, 0).Add(minutes(10)), Resolved: at(1, 0).Add(minutes(60)), Detection: "customer"},
		{ID: "B", Team: "t", Severity: "sev1", Started: at(20, 0), Detected: at(20, 0).Add(minutes(20)), Resolved: at(20, 0).Add(minutes(120)), Detection: "automated",
			Status: "published", Items: []forumorg.Item{{ID: "B-1", Owner: "ann", Due: due, Status: forumorg.ItemOpen, Created: at(21, 0)}}},
		{ID: "C", Team: "u", Severity: "sev2", Started: at(25, 0), Detected: at(25, 0).Add(minutes(30)), Detection: "customer"}, // not resolved
		{ID: "D", Team: "u", Severity: "sev1", Started: at(30, 0), Detected: at(30, 0).Add(minutes(40)), Resolved: at(30, 0).Add(minutes(400)), Detection: "internal"},
		{ID: "X", Team: "u", Severity: "sev1", Started: at(30, 0), Invalid: "time_order"},
	}}
	f := figures.Compute(org, figures.Settings{AsOf: asOf, Windows: []figures.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Periods: 2})
	if f.Valid != 4 || f.Invalid != 1 {
		t.Errorf("valid %d, invalid %d; want 4 and 1", f.Valid, f.Invalid)
	}
	// In 30d: B, C, D; sev1: B and D.
	for k, want := range map[figures.Key]int{{Window: "30d"}: 3, {Window: "30d", Severity: "sev1"}: 2, {Window: "30d", Team: "u"}: 2,
		{Window: "2026-05"}: 4, {Window: "2026-06"}: 0, {Window: "2026-05", Severity: "sev1"}: 3} {
		if f.Incidents[k] != want {
			t.Errorf("incidents %+v = %d, want %d", k, f.Incidents[k], want)
		}
	}
	// Time to detect in 30d: 20, 30, 40 minutes: median 30, p90 at rank
	// 0.9·2 = 1.8, 30 + 0.8·10 = 38 minutes, sum 90 minutes.
	if d := f.Detect[figures.Key{Window: "30d"}]; d.N != 3 || d.Median != 1800 || d.P90 != 2280 || d.Sum != 5400 {
		t.Errorf("detect in 30d: %+v, want n 3, median 1800, p90 2280, sum 5400", d)
	}
	// Time to recover in May: 60, 120, 400 minutes (C not resolved):
	// median 120 minutes, mean 580/3 minutes.
	if d := f.Recover[figures.Key{Window: "2026-05"}]; d.N != 3 || d.Median != 7200 {
		t.Errorf("recover in May: %+v, want n 3, median 7200", d)
	} else if m, _ := d.Mean(); m != 580*60/3.0 {
		t.Errorf("recover in May: mean %v, want %v", m, 580*60/3.0)
	}
	// Two of four detected by customers in May.
	if n := f.CustomerDetected[figures.Key{Window: "2026-05"}]; n != 2 {
		t.Errorf("customer-detected in May: %d, want 2", n)
	}
	// B-1 was due 2026-06-01: overdue since 2026-06-02 00:00, 8.5 days
	// before 2026-06-10 12:00.
	if len(f.Overdue) != 1 || f.Overdue[0].Overdue != 8*24*time.Hour+12*time.Hour || f.Overdue[0].Owner != "ann" {
		t.Errorf("overdue: %+v, want B-1 of ann, 8.5 days", f.Overdue)
	}
	if f.Open[figures.Key{Team: "u"}] != 1 || f.Pending[[2]string{"u", ""}] != 2 {
		t.Errorf("open %v, pending %v; want C open, C and D not published", f.Open, f.Pending)
	}
}
