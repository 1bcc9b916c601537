package snapshot

import (
	"fmt"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestAgendaDueSoon lists the open items due today up to DueSoonDays
// days later, soonest first, up to the limit, with the titles of what it lists: not one
// overdue, closed, later, or of an incident that has not started.
func TestAgendaDueSoon(t *testing.T) {
	today := asOf.Truncate(24 * time.Hour)
	item := func(id string, dueIn int, status string) record.ActionItem {
		a := record.ActionItem{ID: id, Title: "title of " + id, Owner: "o", Team: "a", Status: status,
			CreatedAt: asOf.Add(-time.Hour), Due: today.Add(time.Duration(dueIn) * 24 * time.Hour)}
		if status != record.ItemOpen {
			a.ClosedAt = asOf.Add(-time.Minute)
		}
		return a
	}
	var items []record.ActionItem
	for i := DueSoonDays; i >= 0; i-- { // due today .. in 14 days: 15 items due soon
		items = append(items, item(fmt.Sprintf("soon-%02d", i), i, record.ItemOpen))
	}
	items = append(items,
		item("overdue", -1, record.ItemOpen), // its due day has ended
		item("later", DueSoonDays+1, record.ItemOpen),
		item("done", 2, record.ItemDone),
	)
	r := incident("PM-1", "a", asOf.Add(-48*time.Hour), items...)
	r.Title = "the incident"
	future := incident("PM-2", "a", asOf.Add(time.Hour), item("future", 1, record.ItemOpen))
	s := build([]*record.Record{r, future}, Options{OverdueItemsLimit: 3})

	if !s.Listed || len(s.DueSoon) != 3 || s.DueSoonDropped != 12 {
		t.Fatalf("listed %v, due soon %v, dropped %d; want soon-00..02 and 12 dropped", s.Listed, s.DueSoon, s.DueSoonDropped)
	}
	for i, it := range s.DueSoon {
		if want := fmt.Sprintf("soon-%02d", i); it.ID != want || it.Incident != "PM-1" {
			t.Errorf("due soon %d = %s of %s, want %s of PM-1", i, it.ID, it.Incident, want)
		}
	}
	want := map[string]string{"soon-00": "title of soon-00", "soon-01": "title of soon-01", "soon-02": "title of soon-02",
		"overdue": "title of overdue", "PM-1": "the incident"}
	if fmt.Sprint(s.Titles) != fmt.Sprint(want) {
		t.Errorf("titles %v, want only those listed: %v", s.Titles, want)
	}
}

// TestAgendaOriginResolution crosses origin with resolution for the
// incidents started in each window and resolved by the snapshot's instant.
func TestAgendaOriginResolution(t *testing.T) {
	resolved := func(id, origin, resolution string, ago, resolvedAfter time.Duration) *record.Record {
		r := incident(id, "a", asOf.Add(-ago))
		r.Origin, r.Resolution, r.ResolvedAt = origin, resolution, r.StartedAt.Add(resolvedAfter)
		return r
	}
	s := build([]*record.Record{
		resolved("a", "code_change", "rollback", time.Hour, time.Minute),
		resolved("b", "code_change", "rollback", 3*24*time.Hour, time.Minute), // only in 7d
		resolved("c", "code_change", "fix_forward", time.Hour, 2*time.Hour),   // resolved after asOf
		incident("d", "a", asOf.Add(-time.Hour)),                              // not resolved
	}, Options{Windows: []Window{{Name: "1d", Length: 24 * time.Hour}, {Name: "7d", Length: 7 * 24 * time.Hour}}})
	key := OriginResolution{"code_change", "rollback"}
	if len(s.OriginResolution) != 2 || s.OriginResolution[0][key] != 1 || s.OriginResolution[1][key] != 2 ||
		len(s.OriginResolution[0]) != 1 || len(s.OriginResolution[1]) != 1 {
		t.Errorf("origin by resolution = %v, want code_change/rollback 1 in 1d and 2 in 7d, nothing else", s.OriginResolution)
	}
}

// TestAgendaNotListedByBuilder: a source that does not hand every record
// to FromRecords leaves the agenda empty and says so.
func TestAgendaNotListedByBuilder(t *testing.T) {
	b := NewBuilder("postgres", asOf, Options{Windows: []Window{{Name: "1d", Length: 24 * time.Hour}}})
	b.Add(incident("PM-1", "a", asOf.Add(-time.Hour)), record.Verdict{}, false)
	if s := b.Snapshot(); s.Listed || s.DueSoon != nil || s.Titles != nil {
		t.Errorf("agenda %+v, want none", s.Agenda)
	}
}

// TestAgendaPostMortems lists the post-mortems not published as of the
// snapshot's instant (the longest resolved first, the unresolved last)
// and those with a published_late finding.
func TestAgendaPostMortems(t *testing.T) {
	pm := func(id, status string, resolvedAgo time.Duration) *record.Record {
		r := incident(id, "a", asOf.Add(-30*24*time.Hour))
		r.Status = status
		if resolvedAgo > 0 {
			r.Resolution, r.ResolvedAt = "other", asOf.Add(-resolvedAgo)
		}
		if status == record.StatusPublished {
			r.PublishedAt = asOf.Add(-time.Hour)
		}
		return r
	}
	late := pm("late", record.StatusPublished, 20*24*time.Hour) // 20 days after resolution: published_late
	publishedLater := pm("published-later", record.StatusPublished, 2*24*time.Hour)
	publishedLater.PublishedAt = asOf.Add(time.Hour) // after the snapshot's instant: still in review then
	records := []*record.Record{
		pm("draft-open", record.StatusDraft, 0),
		pm("review-old", record.StatusInReview, 9*24*time.Hour),
		pm("draft-new", record.StatusDraft, 24*time.Hour),
		publishedLater, late, pm("on-time", record.StatusPublished, 3*24*time.Hour),
	}
	for _, r := range records {
		r.Path = r.ID + ".md"
	}
	s := buildChecked(records, asOf.Add(2*time.Hour), Options{OverdueItemsLimit: 10})
	var got []string
	for _, it := range s.Unpublished {
		got = append(got, it.ID+":"+it.Status)
	}
	want := "[review-old:in_review published-later:in_review draft-new:draft draft-open:draft]"
	if fmt.Sprint(got) != want {
		t.Errorf("unpublished %v, want %s", got, want)
	}
	if len(s.PublishedLate) != 1 || s.PublishedLate[0].ID != "late" || !s.PublishedLate[0].PublishedAt.Equal(late.PublishedAt) {
		t.Errorf("published late %+v, want the one with the finding", s.PublishedLate)
	}
}
