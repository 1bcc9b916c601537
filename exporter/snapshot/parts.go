package snapshot

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// This file holds the parts of Builder.Add, for sources that keep part of
// the aggregates precomputed (PostgreSQL's rollups) and correct them
// record by record: a sign of -1 takes back what a sign of 1 counted.
// The period counterparts are in build_periods.go.

// CountRecords adds n to the number of valid records.
func (b *Builder) CountRecords(n int) { b.s.Records += n }

// AddToWindows counts r in every window it started in, with the events
// (detection, mitigation, resolution) that happened by eventsUntil.
func (b *Builder) AddToWindows(r *record.Record, repeat bool, eventsUntil time.Time, sign int) {
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if !ws.Window.Contains(r.StartedAt, b.s.AsOf) {
			continue
		}
		ws.incident(SeverityTeam{r.Severity, r.Team}).add(r, eventsUntil, repeat, sign)
		ws.ByDetection[TeamValue{r.Team, r.Detection}] += sign
		ws.ByOrigin[TeamValue{r.Team, r.Origin}] += sign
		if r.Resolved() && !r.ResolvedAt.After(eventsUntil) {
			ws.ByResolution[TeamValue{r.Team, r.Resolution}] += sign
		}
		for _, svc := range r.LabelServices() {
			b.services[i][svc] += sign
		}
	}
}

// AddCompletion counts a done action item in every window it was done in.
func (b *Builder) AddCompletion(a record.ActionItem, sign int) {
	if a.Status != record.ItemDone {
		return
	}
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if ws.Window.Contains(a.ClosedAt, b.s.AsOf) {
			ws.completion(a.Team).add(a, sign)
		}
	}
}

// AddWindowSums adds aggregates counted over a stretch of time that starts
// span before AsOf to every window at least span long.
func (b *Builder) AddWindowSums(span time.Duration, sums *WindowStats) {
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if ws.Window.Length < span {
			continue
		}
		for k, st := range sums.Incidents {
			ws.incident(k).merge(st)
		}
		for k, c := range sums.Completion {
			ws.completion(k).merge(c)
		}
		addCounts(ws.ByDetection, sums.ByDetection)
		addCounts(ws.ByOrigin, sums.ByOrigin)
		addCounts(ws.ByResolution, sums.ByResolution)
		addCounts(b.services[i], sums.Services)
	}
}

// CountActionItems adds n items of a team and status, with or without an
// exception.
func (b *Builder) CountActionItems(team, status string, exception bool, n int) {
	b.s.ActionItems[TeamStatus{team, status}] += n
	if exception {
		b.s.Exceptions[TeamStatus{team, status}] += n
	}
}

// AddActionItem counts an item of r by its status as of AsOf, and keeps it
// when it is overdue.
func (b *Builder) AddActionItem(r *record.Record, a record.ActionItem) {
	if a.CreatedAt.After(b.s.AsOf) {
		return
	}
	status := a.Status
	if a.OpenAt(b.s.AsOf) {
		status = record.ItemOpen
	}
	b.CountActionItems(a.Team, status, a.Exception != "", 1)
	b.AddOverdue(r, a)
	b.AddException(r, a)
}

// AddException lists an item of r that has an exception and was open as
// of AsOf.
func (b *Builder) AddException(r *record.Record, a record.ActionItem) {
	if a.Exception == "" || !a.OpenAt(b.s.AsOf) {
		return
	}
	b.exceptions.keep(ExceptionItem{
		ID: a.ID, Incident: r.ID, Owner: a.Owner, Team: a.Team, Severity: r.Severity, Approver: a.ExceptionApprover,
		Due: a.Due, URL: a.URL, IncidentURL: r.LabelURL(),
	})
}

// AddItemDue counts an item that existed as of AsOf in the windows its
// due day ended in, by its outcome as of AsOf.
func (b *Builder) AddItemDue(a record.ActionItem) {
	if !a.CreatedAt.After(b.s.AsOf) {
		b.CountItemDue(a, ItemOutcome(a, b.s.AsOf), 1)
	}
}

// CountItemDue adds n items like a, with the outcome given, in the
// windows its due day ended in.
func (b *Builder) CountItemDue(a record.ActionItem, outcome string, n int) {
	if a.Due.IsZero() {
		return
	}
	for i := range b.s.Windows {
		first, end := b.s.Windows[i].Window.DueDays(b.s.AsOf)
		if !a.Due.Before(first) && a.Due.Before(end) {
			b.CountWindowItemsDue(i, a.Team, outcome, n)
		}
	}
}

// CountWindowItemsDue adds n items of a team and outcome due in the i-th
// window.
func (b *Builder) CountWindowItemsDue(i int, team, outcome string, n int) {
	b.s.Windows[i].ItemsDue[TeamValue{team, outcome}] += n
}

// AddOverdue counts an item of r when it was open and overdue as of AsOf.
func (b *Builder) AddOverdue(r *record.Record, a record.ActionItem) {
	overdueAt := a.OverdueAt()
	if a.Due.IsZero() || !a.OpenAt(b.s.AsOf) || !b.s.AsOf.After(overdueAt) {
		return
	}
	b.s.OverdueByTeam[a.Team]++
	b.overdue.keep(OverdueItem{
		ID: a.ID, Incident: r.ID, Owner: a.Owner, Team: a.Team, Severity: r.Severity,
		Overdue: b.s.AsOf.Sub(overdueAt), Due: a.Due, URL: a.URL, IncidentURL: r.LabelURL(),
	})
}

// AddIncidentState counts r when it is unresolved or its review pending as
// of AsOf.
func (b *Builder) AddIncidentState(r *record.Record) {
	s := b.s
	resolved := r.Resolved() && !r.ResolvedAt.After(s.AsOf)
	if !resolved {
		s.OpenIncidents[SeverityTeam{r.Severity, r.Team}]++
	}
	if r.Status == record.StatusPublished && !r.PublishedAt.After(s.AsOf) {
		return
	}
	status := r.Status
	if status == record.StatusPublished {
		status = record.StatusInReview // published later than AsOf
	}
	key := TeamStatus{r.Team, status}
	p := s.ReviewsPending[key]
	p.Count++
	if resolved && (p.OldestResolved.IsZero() || r.ResolvedAt.Before(p.OldestResolved)) {
		p.OldestResolved = r.ResolvedAt
	}
	s.ReviewsPending[key] = p
}
