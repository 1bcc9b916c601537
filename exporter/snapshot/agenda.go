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
// Only sources that hand every record to the snapshot (FromRecords: the
// files) fill it; Listed says so. A source that reads rollups (PostgreSQL)
// leaves it empty and the report says the lists are not available.
type Agenda struct {
	// Listed is true when the lists below were filled.
	Listed bool
	// DueSoon are the open items not overdue yet whose due day is at most
	// DueSoonDays after AsOf's day (UTC), the soonest first, at most
	// Options.OverdueItemsLimit.
	DueSoon []ListedItem
	// DueSoonDropped is how many due-soon items the limit left out.
	DueSoonDropped int
	// Titles maps the ids of the items and incidents named in
	// OverdueItems, DueSoon and the repeats to their titles.
	Titles map[string]string
	// OriginResolution counts, per window (as Windows), the incidents
	// started in the window and resolved by AsOf, by origin and resolution.
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
	titles  map[string]string // every record's and item's title seen
	dueSoon []ListedItem
}

// addToAgenda lists r's items due soon, keeps its titles and counts it by
// origin and resolution.
func (b *Builder) addToAgenda(r *record.Record) {
	s, ab := b.s, &b.agenda
	if ab.titles == nil {
		ab.titles = map[string]string{}
		s.OriginResolution = make([]map[OriginResolution]int, len(s.Windows))
		for i := range s.OriginResolution {
			s.OriginResolution[i] = map[OriginResolution]int{}
		}
	}
	s.Listed = true
	ab.titles[r.ID] = r.Title
	resolved := r.Resolved() && !r.ResolvedAt.After(s.AsOf)
	for i, ws := range s.Windows {
		if resolved && ws.Window.Contains(r.StartedAt, s.AsOf) {
			s.OriginResolution[i][OriginResolution{r.Origin, r.Resolution}]++
		}
	}
	// Due today (and not over) up to due DueSoonDays days after today.
	horizon := s.AsOf.UTC().Truncate(24*time.Hour).AddDate(0, 0, DueSoonDays+1)
	for _, a := range r.ActionItems {
		ab.titles[a.ID] = a.Title
		if !r.StartedAt.After(s.AsOf) && a.OpenAt(s.AsOf) && a.OverdueAt().After(s.AsOf) && a.Due.Before(horizon) {
			ab.dueSoon = append(ab.dueSoon, ListedItem{ID: a.ID, Incident: r.ID, Owner: a.Owner, Team: a.Team,
				Severity: r.Severity, Due: a.Due, URL: a.URL, IncidentURL: r.URL})
		}
	}
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
