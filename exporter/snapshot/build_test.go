package snapshot

import (
	"fmt"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

var asOf = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

func incident(id, team string, started time.Time, items ...record.ActionItem) *record.Record {
	return &record.Record{
		ID: id, Severity: "sev2", Team: team, StartedAt: started, DetectedAt: started.Add(time.Minute),
		Origin: "unknown", Detection: "internal", Status: record.StatusDraft, ActionItems: items,
	}
}

func build(records []*record.Record, opts Options) *Snapshot {
	if opts.Windows == nil {
		opts.Windows = []Window{{Name: "1d", Length: 24 * time.Hour}}
	}
	return FromRecords("files", record.Result{Valid: records}, asOf, opts)
}

// TestWindowEdges checks a window is (asOf − length, asOf]: an incident
// started exactly one length ago is out, one started at asOf is in, and one
// started after asOf is not counted anywhere.
func TestWindowEdges(t *testing.T) {
	s := build([]*record.Record{
		incident("edge-out", "a", asOf.Add(-24*time.Hour)),
		incident("edge-in", "a", asOf.Add(-24*time.Hour+time.Second)),
		incident("now", "a", asOf),
		incident("future", "a", asOf.Add(time.Second)),
	}, Options{})
	if got := s.Windows[0].Incidents[SeverityTeam{"sev2", "a"}].Count; got != 2 {
		t.Fatalf("incidents in window = %d, want 2 (edge-in and now)", got)
	}
	if got := s.OpenIncidents[SeverityTeam{"sev2", "a"}]; got != 3 {
		t.Fatalf("open incidents = %d, want 3 (the future one has not started)", got)
	}
}

// TestOverdueCap checks the most overdue items are kept and the rest counted.
func TestOverdueCap(t *testing.T) {
	var items []record.ActionItem
	for i := 1; i <= 5; i++ {
		items = append(items, record.ActionItem{
			ID: fmt.Sprintf("item-%d", i), Owner: "o", Team: "a", Status: record.ItemOpen,
			CreatedAt: asOf.Add(-60 * 24 * time.Hour), Due: asOf.Truncate(24 * time.Hour).Add(-time.Duration(i) * 24 * time.Hour),
		})
	}
	// Due today: not overdue until the day ends.
	items = append(items, record.ActionItem{ID: "due-today", Owner: "o", Team: "a", Status: record.ItemOpen,
		CreatedAt: asOf.Add(-time.Hour), Due: asOf.Truncate(24 * time.Hour)})
	s := build([]*record.Record{incident("PM-1", "a", asOf.Add(-90*24*time.Hour), items...)}, Options{OverdueItemsLimit: 2})
	if s.OverdueByTeam["a"] != 5 || s.OverdueItemsDropped != 3 || len(s.OverdueItems) != 2 {
		t.Fatalf("overdue %d, dropped %d, listed %d; want 5, 3, 2", s.OverdueByTeam["a"], s.OverdueItemsDropped, len(s.OverdueItems))
	}
	if s.OverdueItems[0].ID != "item-5" || s.OverdueItems[1].ID != "item-4" {
		t.Fatalf("kept %s and %s, want the most overdue item-5 and item-4", s.OverdueItems[0].ID, s.OverdueItems[1].ID)
	}
	// item-4 was due 4 days before asOf's day; overdue since the end of that day.
	if want := 3*24*time.Hour + 12*time.Hour; s.OverdueItems[1].Overdue != want {
		t.Fatalf("item-4 overdue by %s, want %s", s.OverdueItems[1].Overdue, want)
	}
}

// TestTopServices checks services beyond the top N are summed as "other".
func TestTopServices(t *testing.T) {
	var records []*record.Record
	for i, services := range [][]string{{"api", "db"}, {"api", "cache"}, {"api", "db"}, {"queue"}} {
		r := incident(fmt.Sprintf("PM-%d", i), "a", asOf.Add(-time.Hour))
		r.Services = services
		records = append(records, r)
	}
	got := build(records, Options{TopServices: 2}).Windows[0].Services
	want := map[string]int{"api": 3, "db": 2, OtherService: 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("services = %v, want %v", got, want)
	}
}

// TestRepeatNeedsAnItemOpenAtTheTime checks a related incident is a repeat
// only if an action item of the earlier one was open when it started.
func TestRepeatNeedsAnItemOpenAtTheTime(t *testing.T) {
	earlierStart := asOf.Add(-20 * time.Hour)
	closedBefore := record.ActionItem{ID: "i1", Status: record.ItemDone, CreatedAt: earlierStart, ClosedAt: earlierStart.Add(time.Hour)}
	closedAfter := record.ActionItem{ID: "i2", Status: record.ItemDone, CreatedAt: earlierStart, ClosedAt: earlierStart.Add(10 * time.Hour)}
	for _, tc := range []struct {
		item record.ActionItem
		want int
	}{{closedBefore, 0}, {closedAfter, 1}} {
		earlier := incident("E", "a", earlierStart, tc.item)
		later := incident("L", "b", earlierStart.Add(5*time.Hour))
		later.Related = []string{"E"}
		s := build([]*record.Record{earlier, later}, Options{})
		if got := s.Windows[0].Incidents[SeverityTeam{"sev2", "b"}].Repeat; got != tc.want {
			t.Errorf("item closed at %s: repeat = %d, want %d", tc.item.ClosedAt, got, tc.want)
		}
	}
}
