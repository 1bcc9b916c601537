package report

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Timeliness is the first section: action items.
type Timeliness struct {
	Teams []TeamItems // every team with action items, most overdue first
	// Overdue lists the overdue items the snapshot kept, by team and owner.
	Overdue        []OwnerItems
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

// OwnerItems are the overdue items of one owner in one team.
type OwnerItems struct {
	Team, Owner string
	Items       []Item
}

// Item is a listed action item.
type Item struct {
	ID, Title, Owner, Team, Severity string
	Incident, IncidentTitle          string
	Due                              string // YYYY-MM-DD, empty when the item has none
	DaysOverdue                      int    // whole days past the end of the due day, 0 for items not overdue
	URL, IncidentURL                 string
}

// Exception is an open action item a leader approved as larger than the
// quality bar allows: it keeps its own due day and is reported apart,
// with who approved it. Its Item has no severity nor days overdue.
type Exception struct {
	Item
	Approver string // empty when the record does not name one
}

func timeliness(s *snapshot.Snapshot, ws *snapshot.WindowStats) Timeliness {
	t := Timeliness{OverdueDropped: s.OverdueItemsDropped, DueSoonDropped: s.DueSoonDropped, DueSoonDays: snapshot.DueSoonDays,
		ExceptionsDropped: s.ExceptionItemsDropped}
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
	}
	for _, ti := range teams {
		t.Teams = append(t.Teams, *ti)
	}
	slices.SortFunc(t.Teams, func(a, b TeamItems) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(a.Team, b.Team))
	})

	byOwner := map[[2]string]*OwnerItems{}
	for _, it := range s.OverdueItems {
		key := [2]string{it.Team, it.Owner}
		o, ok := byOwner[key]
		if !ok {
			o = &OwnerItems{Team: it.Team, Owner: it.Owner}
			byOwner[key] = o
		}
		item := listedItem(s, snapshot.ListedItem{ID: it.ID, Incident: it.Incident, Owner: it.Owner, Team: it.Team,
			Severity: it.Severity, Due: it.Due, URL: it.URL, IncidentURL: it.IncidentURL})
		item.DaysOverdue = int(it.Overdue / (24 * time.Hour))
		o.Items = append(o.Items, item)
	}
	for _, key := range slices.SortedFunc(maps.Keys(byOwner), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	}) {
		t.Overdue = append(t.Overdue, *byOwner[key]) // items stay most overdue first
	}
	for _, it := range s.DueSoon {
		t.DueSoon = append(t.DueSoon, listedItem(s, it))
	}
	for _, it := range s.ExceptionItems {
		t.Exceptions = append(t.Exceptions, Exception{Approver: it.Approver, Item: listedItem(s, snapshot.ListedItem{
			ID: it.ID, Incident: it.Incident, Owner: it.Owner, Team: it.Team, Severity: it.Severity,
			Due: it.Due, URL: it.URL, IncidentURL: it.IncidentURL})})
	}
	return t
}

// listedItem is the row of an action item the snapshot lists, with its
// and its incident's titles as the page shows them (see pageText).
func listedItem(s *snapshot.Snapshot, it snapshot.ListedItem) Item {
	return Item{ID: it.ID, Title: title(s, it.ID), Owner: it.Owner, Team: it.Team,
		Severity: it.Severity, Incident: it.Incident, IncidentTitle: title(s, it.Incident),
		Due: snapshot.DueDay(it.Due), URL: it.URL, IncidentURL: it.IncidentURL}
}
