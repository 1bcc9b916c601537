package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Timeliness is the first section: action items.
type Timeliness struct {
	Teams      []TeamItems // every team with action items, most overdue first
	TeamsScope Scope
	// Overdue lists the overdue items the snapshot kept, the most overdue
	// first; Owners sums them per owner.
	Overdue        []Item
	OverdueScope   Scope
	Owners         []OwnerOverdue
	OverdueDropped int
	DueSoon        []Item
	DueSoonDropped int
	DueSoonDays    int
	// Exceptions lists the open items with an approved exception, the
	// earliest due first; ExceptionsDropped counts those the limit left
	// out.
	Exceptions        []Exception
	ExceptionsDropped int
}

// TeamItems are a team's action item counts and its on-time ratio over
// the window.
type TeamItems struct {
	Team          string
	Open, Overdue int
	// Due counts the items whose due day ended in the window, done or
	// still open (those dropped as wont_do aside), and OnTime those of
	// them done by the end of their due day.
	Due, OnTime int
	HasRatio    bool
	OnTimeRatio float64
}

// NoOwner is how an item without an owner shows its owner.
const NoOwner = "(no owner)"

// OwnerOverdue is one owner's overdue work: the items past their due
// day and those due today.
type OwnerOverdue struct {
	Owner string // NoOwner when the items name none
	Teams []string
	// Overdue counts the overdue items, MostDays the days the most
	// overdue one is late; DueToday counts the open items due today.
	Overdue, MostDays, DueToday int
}

// Item is a listed action item.
type Item struct {
	ID, Title, Owner, Team, Severity string
	Incident, IncidentTitle          string
	Due                              string // YYYY-MM-DD, empty when the item has none
	// DaysOverdue counts the calendar days (UTC) from the due day to the
	// report's: 1 for an item due yesterday, 0 for one due today or not
	// overdue.
	DaysOverdue      int
	URL, IncidentURL string
}

// Exception is an open action item a leader approved as larger than the
// quality bar allows: it keeps its own due day and is reported apart,
// with who approved it. Its Item has no severity nor days overdue.
type Exception struct {
	Item
	Approver string // empty when the record does not name one
}

func timeliness(s *snapshot.Snapshot, ws *snapshot.WindowStats, f Filters) Timeliness {
	t := Timeliness{OverdueDropped: s.OverdueItemsDropped, DueSoonDropped: s.DueSoonDropped, DueSoonDays: snapshot.DueSoonDays,
		ExceptionsDropped: s.ExceptionItemsDropped, TeamsScope: f.scope(true, false), OverdueScope: f.scope(true, true)}
	teams := map[string]*TeamItems{}
	team := func(name string) *TeamItems {
		if ti, ok := teams[name]; ok {
			return ti
		}
		ti := &TeamItems{Team: name}
		teams[name] = ti
		return ti
	}
	for k, n := range s.ActionItems {
		if k.Status == record.ItemOpen {
			team(k.Team).Open += n
		} else {
			team(k.Team)
		}
	}
	for name, n := range s.OverdueByTeam {
		team(name).Overdue = n
	}
	for k, n := range ws.ItemsDue {
		ti := team(k.Team)
		switch k.Value {
		case snapshot.ItemOnTime:
			ti.OnTime += n
			ti.Due += n
		case snapshot.ItemLate, snapshot.ItemStillOpen:
			ti.Due += n
		}
	}
	for _, ti := range teams {
		if ti.Due > 0 {
			ti.HasRatio, ti.OnTimeRatio = true, float64(ti.OnTime)/float64(ti.Due)
		}
		if f.keepsTeam(ti.Team) {
			t.Teams = append(t.Teams, *ti)
		}
	}
	slices.SortFunc(t.Teams, func(a, b TeamItems) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(a.Team, b.Team))
	})

	for _, it := range s.OverdueItems { // the most overdue first
		if !f.keeps(it.Team, it.Severity) {
			continue
		}
		item := listedItem(s, snapshot.ListedItem{ID: it.ID, Incident: it.Incident, Owner: it.Owner, Team: it.Team,
			Severity: it.Severity, Due: it.Due, URL: it.URL, IncidentURL: it.IncidentURL})
		item.DaysOverdue = daysLate(s.AsOf, it.Due)
		t.Overdue = append(t.Overdue, item)
	}
	for _, it := range s.DueSoon {
		if f.keeps(it.Team, it.Severity) {
			t.DueSoon = append(t.DueSoon, listedItem(s, it))
		}
	}
	t.Owners = owners(t.Overdue, t.DueSoon, snapshot.DueDay(s.AsOf))
	for _, it := range s.ExceptionItems {
		if !f.keeps(it.Team, it.Severity) {
			continue
		}
		t.Exceptions = append(t.Exceptions, Exception{Approver: it.Approver, Item: listedItem(s, snapshot.ListedItem{
			ID: it.ID, Incident: it.Incident, Owner: it.Owner, Team: it.Team, Severity: it.Severity,
			Due: it.Due, URL: it.URL, IncidentURL: it.IncidentURL})})
	}
	return t
}

// daysLate counts the calendar days (UTC) from the due day (midnight
// UTC) to asOf's.
func daysLate(asOf, due time.Time) int {
	return int(asOf.UTC().Truncate(24*time.Hour).Sub(due) / (24 * time.Hour))
}

// owners sums the overdue items, and the items of dueSoon due today (a
// YYYY-MM-DD day), per owner: the most overdue first, then the most items.
func owners(overdue, dueSoon []Item, today string) []OwnerOverdue {
	byOwner := map[string]*OwnerOverdue{}
	owner := func(it Item) *OwnerOverdue {
		name := cmp.Or(it.Owner, NoOwner)
		o, ok := byOwner[name]
		if !ok {
			o = &OwnerOverdue{Owner: name}
			byOwner[name] = o
		}
		if !slices.Contains(o.Teams, it.Team) {
			o.Teams = append(o.Teams, it.Team)
			slices.Sort(o.Teams)
		}
		return o
	}
	for _, it := range overdue {
		o := owner(it)
		o.Overdue++
		o.MostDays = max(o.MostDays, it.DaysOverdue)
	}
	for _, it := range dueSoon {
		if it.Due == today {
			owner(it).DueToday++
		}
	}
	out := make([]OwnerOverdue, 0, len(byOwner))
	for _, o := range byOwner {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b OwnerOverdue) int {
		return cmp.Or(cmp.Compare(b.MostDays, a.MostDays), cmp.Compare(b.Overdue, a.Overdue),
			cmp.Compare(b.DueToday, a.DueToday), cmp.Compare(a.Owner, b.Owner))
	})
	return out
}

// listedItem is the row of an action item the snapshot lists, with its
// and its incident's titles as the page shows them (see pageText).
func listedItem(s *snapshot.Snapshot, it snapshot.ListedItem) Item {
	return Item{ID: it.ID, Title: title(s, it.ID), Owner: it.Owner, Team: it.Team,
		Severity: it.Severity, Incident: it.Incident, IncidentTitle: title(s, it.Incident),
		Due: snapshot.DueDay(it.Due), URL: it.URL, IncidentURL: it.IncidentURL}
}
