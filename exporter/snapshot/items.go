package snapshot

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// This file holds the parts of Builder.Add for the windows and the action
// items, among them the rows a source that sums the rest (Builder.AddSums)
// hands in one by one: the items and incidents the snapshot lists or
// counts by their state as of AsOf. The period counterparts are in
// build_periods.go.

// addToWindows counts r in every window it started in, with the events
// that happened by AsOf.
func (b *Builder) addToWindows(r *record.Record, repeat bool) {
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if ws.Window.Contains(r.StartedAt, b.s.AsOf) {
			ws.AddIncident(r, repeat, b.s.AsOf)
			b.countCustom(ws, r)
		}
	}
}

// addCompletion counts a done action item in every window it was done in.
func (b *Builder) addCompletion(a record.ActionItem) {
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if ws.Window.Contains(a.ClosedAt, b.s.AsOf) {
			ws.AddCompletion(a)
		}
	}
}

// ItemStatusAt is an action item's status as it stood at t: open until it
// was closed, then the status it was closed with.
func ItemStatusAt(a record.ActionItem, t time.Time) string {
	if a.OpenAt(t) {
		return record.ItemOpen
	}
	return a.Status
}

// addActionItem counts an item of r by its status as of AsOf, and keeps
// it when it is overdue or has an exception.
func (b *Builder) addActionItem(r *record.Record, a record.ActionItem) {
	if a.CreatedAt.After(b.s.AsOf) {
		return
	}
	k := TeamStatus{a.Team, ItemStatusAt(a, b.s.AsOf)}
	b.s.ActionItems[k]++
	if a.Exception != "" {
		b.s.Exceptions[k]++
	}
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
		Due: a.Due, URL: a.LabelURL(), IncidentURL: r.LabelURL(),
	})
}

// addItemDue counts an item that existed as of AsOf in the windows its
// due day ended in, by its outcome as of AsOf.
func (b *Builder) addItemDue(a record.ActionItem) {
	if a.CreatedAt.After(b.s.AsOf) {
		return
	}
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if ws.Window.HasDue(a.Due, b.s.AsOf) {
			ws.ItemsDue[TeamValue{a.Team, ItemOutcome(a, b.s.AsOf)}]++
		}
	}
}

// AddOverdue counts an item of r when it was open and overdue as of AsOf.
func (b *Builder) AddOverdue(r *record.Record, a record.ActionItem) {
	overdueAt := a.OverdueAt()
	if a.Due.IsZero() || !a.OpenAt(b.s.AsOf) || !b.s.AsOf.After(overdueAt) {
		return
	}
	b.s.OverdueByTeam[a.Team]++
	b.overdue.keep(OverdueItem{
		ID: a.ID, Incident: r.ID, Owner: a.Owner, Team: a.Team, Severity: r.Severity, Title: a.Title,
		Overdue: b.s.AsOf.Sub(overdueAt), Due: a.Due, URL: a.LabelURL(), IncidentURL: r.LabelURL(),
		StateSource: a.StateSourceLabel(),
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
