package snapshot

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// DueSoonDays is how far ahead the forum's report lists the action items
// that fall due.
const DueSoonDays = 14

// Agenda holds what the forum's report (package report) lists beyond the
// aggregates the metrics publish: the items due soon, the titles of what
// the lists name, and origin crossed with resolution. Every list is
// bounded, so the snapshot's size does not grow with the records.
//
// A source fills it when it calls Builder.ListAgenda: FromRecords (the
// files) fills all of it; PostgreSQL, which reads rollups, lists the items
// and their titles but not origin by resolution.
type Agenda struct {
	// Listed is true when DueSoon and Titles were filled.
	Listed bool
	// DueSoon are the open items not overdue yet whose due day is at most
	// DueSoonDays after AsOf's day (UTC), the soonest first, at most
	// Options.OverdueItemsLimit.
	DueSoon []ListedItem
	// DueSoonDropped is how many due-soon items the limit left out.
	DueSoonDropped int
	// Titles maps the ids of the items and incidents named in
	// OverdueItems and DueSoon to their titles.
	Titles map[string]string
	// OriginResolution counts, per window (as Windows), the incidents
	// started in the window and resolved by AsOf, by origin and
	// resolution; nil when the source does not count them.
	OriginResolution []map[OriginResolution]int
}

// ListedItem is an open action item the report lists.
type ListedItem struct {
	ID, Incident, Owner, Team, Severity string
	Due                                 time.Time // the due day
	URL                                 string    // the item's ticket, may be empty
	IncidentURL                         string    // the post-mortem document, may be empty
}

// OriginResolution keys the incidents by where the fault came from and how
// it was resolved: code changes resolved by rollback are the argument for
// canary releases.
type OriginResolution struct{ Origin, Resolution string }

// agendaBuilder collects the agenda while records are added.
type agendaBuilder struct {
	titles  map[string]string // every record's and item's title seen, by FromRecords
	dueSoon []ListedItem
}

// ListAgenda says the source lists the items due soon (ListDueSoon) and
// sets the titles; with crossed it also counts origin by resolution
// (CountOriginResolution).
func (b *Builder) ListAgenda(crossed bool) {
	s := b.s
	s.Listed = true
	if crossed && s.OriginResolution == nil {
		s.OriginResolution = make([]map[OriginResolution]int, len(s.Windows))
		for i := range s.OriginResolution {
			s.OriginResolution[i] = map[OriginResolution]int{}
		}
	}
}

// addToAgenda lists r's items due soon, keeps its titles and counts it by
// origin and resolution.
func (b *Builder) addToAgenda(r *record.Record) {
	ab := &b.agenda
	if ab.titles == nil {
		ab.titles = map[string]string{}
		b.ListAgenda(true)
	}
	ab.titles[r.ID] = r.Title
	b.CountOriginResolution(r)
	for _, a := range r.ActionItems {
		ab.titles[a.ID] = a.Title
		b.ListDueSoon(r, a)
	}
}

// CountOriginResolution counts r by origin and resolution in every window
// it started in, when it was resolved by AsOf.
func (b *Builder) CountOriginResolution(r *record.Record) {
	s := b.s
	if !r.Resolved() || r.ResolvedAt.After(s.AsOf) {
		return
	}
	for i, ws := range s.Windows {
		if ws.Window.Contains(r.StartedAt, s.AsOf) {
			s.OriginResolution[i][OriginResolution{r.Origin, r.Resolution}]++
		}
	}
}

// ListDueSoon lists an item of r when, as of AsOf, it is open, not
// overdue, and due at most DueSoonDays after AsOf's day (UTC).
func (b *Builder) ListDueSoon(r *record.Record, a record.ActionItem) {
	asOf := b.s.AsOf
	_, last := DueSoonHorizon(asOf)
	if r.StartedAt.After(asOf) || !a.OpenAt(asOf) || !a.OverdueAt().After(asOf) || a.Due.After(last) {
		return
	}
	b.agenda.dueSoon = append(b.agenda.dueSoon, ListedItem{ID: a.ID, Incident: r.ID, Owner: a.Owner, Team: a.Team,
		Severity: r.Severity, Due: a.Due, URL: a.URL, IncidentURL: r.URL})
}

// DueSoonHorizon returns the due days ListDueSoon lists as of asOf: from
// first to last, both included (midnight UTC).
func DueSoonHorizon(asOf time.Time) (first, last time.Time) {
	// Not overdue: the due day ends after asOf.
	first = asOf.UTC().Add(-24 * time.Hour).Truncate(24 * time.Hour).Add(24 * time.Hour)
	return first, asOf.UTC().Truncate(24*time.Hour).AddDate(0, 0, DueSoonDays)
}

// finishAgenda orders and caps the due-soon list and keeps the titles of
// what the lists name.
func (b *Builder) finishAgenda() {
	s, ab := b.s, &b.agenda
	if !s.Listed {
		return
	}
	slices.SortFunc(ab.dueSoon, func(x, y ListedItem) int {
		return cmp.Or(x.Due.Compare(y.Due), cmp.Compare(x.ID, y.ID))
	})
	if limit := b.opts.OverdueItemsLimit; len(ab.dueSoon) > limit {
		s.DueSoonDropped = len(ab.dueSoon) - limit
		ab.dueSoon = ab.dueSoon[:limit]
	}
	s.DueSoon = ab.dueSoon
	if ab.titles == nil {
		return // the source sets the titles
	}
	s.Titles = map[string]string{}
	keep := func(id string) {
		if t, ok := ab.titles[id]; ok {
			s.Titles[id] = t
		}
	}
	for _, it := range s.OverdueItems {
		keep(it.ID)
		keep(it.Incident)
	}
	for _, it := range s.DueSoon {
		keep(it.ID)
		keep(it.Incident)
	}
	ab.titles = nil
}
