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

// buildChecked aggregates the records as checked by record.Check with the
// default rules at now, so that they carry the findings and the items left
// out that the check gives them.
func buildChecked(records []*record.Record, now time.Time, opts Options) *Snapshot {
	if opts.Windows == nil {
		opts.Windows = []Window{{Name: "1d", Length: 24 * time.Hour}}
	}
	rules := record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: now}
	return FromRecords("files", record.Check(records, nil, rules), asOf, opts)
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

// TestItemsDueInTheWindow checks which items a window counts as due: those
// whose due day ended in it. As of 2026-03-01 12:00 a 30-day window is
// (01-30 12:00, 03-01 12:00]: due 01-30 (its day ends 01-31 00:00) is in,
// 01-29 (ends 01-30 00:00) out; 02-28 (ends 03-01 00:00) in; 03-01
// (today, ends 03-02) out. Outcomes are as of asOf: an item done after
// asOf is still open then; an item created after asOf, or without a due
// day, is not counted.
func TestItemsDueInTheWindow(t *testing.T) {
	day := func(month time.Month, d int) time.Time { return time.Date(2026, month, d, 0, 0, 0, 0, time.UTC) }
	item := func(id string, due time.Time, status string, closed time.Time) record.ActionItem {
		return record.ActionItem{ID: id, Owner: "o", Team: "a", Status: status, Due: due, ClosedAt: closed,
			CreatedAt: asOf.Add(-90 * 24 * time.Hour)}
	}
	createdLater := item("created-later", day(time.February, 20), record.ItemOpen, time.Time{})
	createdLater.CreatedAt = asOf.Add(time.Hour)
	s := build([]*record.Record{incident("PM-1", "a", asOf.Add(-100*24*time.Hour),
		item("due-01-29", day(time.January, 29), record.ItemOpen, time.Time{}),
		item("due-01-30", day(time.January, 30), record.ItemDone, day(time.January, 30).Add(23*time.Hour)), // on time
		item("due-02-10", day(time.February, 10), record.ItemDone, day(time.February, 11)),                 // late: at the day's end
		item("due-02-28", day(time.February, 28), record.ItemOpen, time.Time{}),
		item("done-after-asof", day(time.February, 15), record.ItemDone, asOf.Add(time.Hour)), // open as of asOf
		item("dropped", day(time.February, 16), record.ItemWontDo, day(time.February, 1)),
		item("due-today", day(time.March, 1), record.ItemOpen, time.Time{}),
		item("no-due", time.Time{}, record.ItemOpen, time.Time{}),
		createdLater,
	)}, Options{Windows: []Window{{Name: "30d", Length: 30 * 24 * time.Hour}}})
	want := map[TeamValue]int{{"a", ItemOnTime}: 1, {"a", ItemLate}: 1, {"a", ItemStillOpen}: 2, {"a", ItemWontDo}: 1}
	if got := s.Windows[0].ItemsDue; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("items due = %v, want %v", got, want)
	}
	first, end := s.Windows[0].Window.DueDays(asOf)
	if !first.Equal(day(time.January, 30)) || !end.Equal(day(time.March, 1)) {
		t.Fatalf("due days [%s, %s), want [01-30, 03-01)", first, end)
	}
}

// TestExceptionItems checks the open items with an exception are listed
// with their approver, the earliest due first and those without a due day
// last, up to the limit; closed ones are not listed (an item closed after
// asOf was open then).
func TestExceptionItems(t *testing.T) {
	item := func(id string, dueInDays int, status string, closed time.Time) record.ActionItem {
		a := record.ActionItem{ID: id, Owner: "o", Team: "a", Status: status, ClosedAt: closed,
			CreatedAt: asOf.Add(-30 * 24 * time.Hour), Exception: "approved", ExceptionApprover: "vera"}
		if dueInDays != 0 {
			a.Due = asOf.Truncate(24*time.Hour).AddDate(0, 0, dueInDays)
		}
		return a
	}
	plain := item("no-approver", 5, record.ItemOpen, time.Time{})
	plain.ExceptionApprover = ""
	records := []*record.Record{incident("PM-1", "a", asOf.Add(-40*24*time.Hour),
		item("due-later", 30, record.ItemOpen, time.Time{}),
		item("no-due", 0, record.ItemOpen, time.Time{}),
		item("overdue", -3, record.ItemOpen, time.Time{}),
		item("done", 1, record.ItemDone, asOf.Add(-time.Hour)),
		item("done-after-asof", 10, record.ItemDone, asOf.Add(time.Hour)),
		plain,
	)}
	s := build(records, Options{ExceptionItemsLimit: 4})
	var got []string
	for _, it := range s.ExceptionItems {
		got = append(got, it.ID+"/"+it.Approver)
	}
	if want := "[overdue/vera no-approver/ done-after-asof/vera due-later/vera]"; fmt.Sprint(got) != want || s.ExceptionItemsDropped != 1 {
		t.Fatalf("listed %v, dropped %d; want %s, dropped 1 (no-due)", got, s.ExceptionItemsDropped, want)
	}
	if s := build(records, Options{}); len(s.ExceptionItems) != 5 || s.ExceptionItems[4].ID != "no-due" {
		t.Fatalf("with the default limit: %v, want the five open ones, no-due last", s.ExceptionItems)
	}
}
