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
// and their titles, and counts origin by resolution and the incidents per
// service with ListStored, but does not list the post-mortems published
// late.
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
	// ServiceIncidents counts, per window (as Windows), the incidents
	// started in the window by service, severity and team, with their
	// time to recover; nil when the source does not count them. It holds
	// every service named in the window, as WindowStats.Services does
	// before its top N.
	ServiceIncidents []map[ServiceKey]*ServiceStats
	// Unpublished are the incidents started by AsOf whose post-mortem is
	// not published as of AsOf, the longest resolved first (the
	// unresolved last), at most Options.OverdueItemsLimit.
	Unpublished        []ListedIncident
	UnpublishedDropped int
	// PublishedLate are the post-mortems with a published_late finding,
	// the latest published first, at most Options.OverdueItemsLimit; nil
	// when the source does not list them.
	PublishedLate        []ListedIncident
	PublishedLateDropped int
}

// ListedIncident is an incident the report lists for its post-mortem.
type ListedIncident struct {
	ID, Team, Severity, Status, URL string
	ResolvedAt, PublishedAt         time.Time // zero when not
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

// ServiceKey keys the incidents of a service by severity and team.
type ServiceKey struct{ Service, Severity, Team string }

// ServiceStats are the incidents of a service and their time to
// recover: the sum of the seconds of those Recovered by AsOf.
type ServiceStats struct {
	Incidents, Recovered int
	RecoverSeconds       float64
}

// agendaBuilder collects the agenda while records are added.
type agendaBuilder struct {
	titles      map[string]string // every record's and item's title seen, by FromRecords
	dueSoon     []ListedItem
	unpublished []ListedIncident
	late        []ListedIncident
}

// ListAgenda says the source lists the items due soon (ListDueSoon) and
// sets the titles; with crossed it also counts origin by resolution and
// the incidents per service, as FromRecords does.
func (b *Builder) ListAgenda(crossed bool) {
	s := b.s
	s.Listed = true
	if crossed && s.OriginResolution == nil {
		s.OriginResolution = make([]map[OriginResolution]int, len(s.Windows))
		s.ServiceIncidents = make([]map[ServiceKey]*ServiceStats, len(s.Windows))
		for i := range s.OriginResolution {
			s.OriginResolution[i] = map[OriginResolution]int{}
			s.ServiceIncidents[i] = map[ServiceKey]*ServiceStats{}
		}
	}
}

// addToAgenda lists r's items due soon, keeps its titles and counts it by
// origin and resolution.
func (b *Builder) addToAgenda(r *record.Record, v record.Verdict) {
	ab := &b.agenda
	if ab.titles == nil {
		ab.titles = map[string]string{}
		b.ListAgenda(true)
	}
	ab.titles[r.ID] = r.Title
	b.countOriginResolution(r)
	b.countServices(r)
	b.ListUnpublished(r)
	if slices.ContainsFunc(v.Findings, func(f record.Problem) bool { return f.Rule == record.RulePublishedLate }) &&
		!r.PublishedAt.After(b.s.AsOf) {
		ab.late = append(ab.late, listedIncident(r))
	}
	for _, a := range r.ActionItems {
		ab.titles[a.ID] = a.Title
		b.ListDueSoon(r, a)
	}
}

// countOriginResolution counts r by origin and resolution in every window
// it started in, when it was resolved by AsOf.
func (b *Builder) countOriginResolution(r *record.Record) {
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

// countServices counts r under each of its services in every window it
// started in, with its time to recover when it was resolved by AsOf.
func (b *Builder) countServices(r *record.Record) {
	s := b.s
	for i, ws := range s.Windows {
		if !ws.Window.Contains(r.StartedAt, s.AsOf) {
			continue
		}
		for _, svc := range r.LabelServices() {
			k := ServiceKey{Service: svc, Severity: r.Severity, Team: r.Team}
			st, ok := s.ServiceIncidents[i][k]
			if !ok {
				st = &ServiceStats{}
				s.ServiceIncidents[i][k] = st
			}
			st.Incidents++
			if r.Resolved() && !r.ResolvedAt.After(s.AsOf) {
				st.Recovered++
				st.RecoverSeconds += r.TimeToRecover()
			}
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
		Severity: r.Severity, Due: a.Due, URL: a.LabelURL(), IncidentURL: r.LabelURL()})
}

// ListUnpublished lists r when it started by AsOf and its post-mortem was
// not published as of AsOf.
func (b *Builder) ListUnpublished(r *record.Record) {
	asOf := b.s.AsOf
	if r.StartedAt.After(asOf) || r.Status == record.StatusPublished && !r.PublishedAt.After(asOf) {
		return
	}
	it := listedIncident(r)
	if it.Status == record.StatusPublished { // published after AsOf
		it.Status, it.PublishedAt = record.StatusInReview, time.Time{}
	}
	if it.ResolvedAt.After(asOf) {
		it.ResolvedAt = time.Time{}
	}
	b.agenda.unpublished = append(b.agenda.unpublished, it)
}

func listedIncident(r *record.Record) ListedIncident {
	return ListedIncident{ID: r.ID, Team: r.Team, Severity: r.Severity, Status: r.Status, URL: r.LabelURL(),
		ResolvedAt: r.ResolvedAt, PublishedAt: r.PublishedAt}
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
	limit := b.opts.OverdueItemsLimit
	s.DueSoon, s.DueSoonDropped = capped(ab.dueSoon, limit)
	slices.SortFunc(ab.unpublished, func(x, y ListedIncident) int {
		return cmp.Or(cmp.Compare(boolCount(x.ResolvedAt.IsZero()), boolCount(y.ResolvedAt.IsZero())),
			x.ResolvedAt.Compare(y.ResolvedAt), cmp.Compare(x.ID, y.ID))
	})
	s.Unpublished, s.UnpublishedDropped = capped(ab.unpublished, limit)
	if ab.titles == nil {
		return // a source that sets the titles and lists no late post-mortem
	}
	// FromRecords sees the findings: it lists the late post-mortems.
	slices.SortFunc(ab.late, func(x, y ListedIncident) int {
		return cmp.Or(y.PublishedAt.Compare(x.PublishedAt), cmp.Compare(x.ID, y.ID))
	})
	s.PublishedLate, s.PublishedLateDropped = capped(ab.late, limit)
	if s.PublishedLate == nil {
		s.PublishedLate = []ListedIncident{}
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
	for _, it := range s.ExceptionItems {
		keep(it.ID)
		keep(it.Incident)
	}
	for _, rp := range s.Repeats {
		keep(rp.Incident)
		keep(rp.Earlier)
	}
	for _, list := range [][]ListedIncident{s.Unpublished, s.PublishedLate} {
		for _, it := range list {
			keep(it.ID)
		}
	}
	if d := s.QualityDetail; d != nil {
		for _, f := range d.Findings {
			keep(f.Incident)
		}
		for _, rp := range d.PossibleRepeats {
			keep(rp.Incident)
			keep(rp.Earlier)
		}
	}
	ab.titles = nil
}

// capped returns the first limit elements of list and how many it left out.
func capped[T any](list []T, limit int) ([]T, int) {
	if len(list) > limit {
		return list[:limit], len(list) - limit
	}
	return list, 0
}
