package snapshot

import (
	"fmt"
	"sort"
	"time"
)

// Calendar units of a period.
const (
	Month   = "month"
	Week    = "week" // ISO 8601 weeks, Monday to Sunday
	Quarter = "quarter"
)

// PeriodUnits are the calendar units a period can have.
var PeriodUnits = []string{Month, Week, Quarter}

// PeriodOptions shape the calendar periods of a snapshot: the last Count
// periods of a Unit, the current one included, with edges at midnight in
// Location. A zero Count means no periods.
type PeriodOptions struct {
	Unit     string
	Count    int
	Location *time.Location
	// ByTeam says when the period aggregates the trend dashboard narrows
	// by team keep the team; otherwise they are summed over the teams.
	ByTeam TeamMode
}

// TeamMode says when the period aggregates keep the team.
type TeamMode string

// The team modes of the periods. The zero value is TeamsAuto.
const (
	// TeamsAuto keeps the team while the number of teams keeps the
	// series within collectors.SeriesBudget (Options.PeriodTeamsLimit), and sums
	// over the teams above.
	TeamsAuto TeamMode = "auto"
	TeamsOn   TeamMode = "true"  // always keep the team
	TeamsOff  TeamMode = "false" // always sum over the teams
)

// TeamModes are the values of a TeamMode, for flags.
var TeamModes = []string{string(TeamsAuto), string(TeamsOn), string(TeamsOff)}

// Period is one calendar period, the instants [Start, End).
type Period struct {
	Name       string // the `period` label: 2026-05, 2026-W21, 2026-Q2
	Start, End time.Time
}

// Periods returns the last o.Count periods as of asOf, oldest first; the
// last one contains asOf.
func (o PeriodOptions) Periods(asOf time.Time) []Period {
	if o.Count <= 0 {
		return nil
	}
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	t := asOf.In(loc)
	var start time.Time
	switch o.Unit {
	case Week:
		start = time.Date(t.Year(), t.Month(), t.Day()-(int(t.Weekday())+6)%7, 0, 0, 0, 0, loc)
	case Quarter:
		start = time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, loc)
	default:
		start = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	}
	out := make([]Period, o.Count)
	for i := o.Count - 1; i >= 0; i-- {
		end := o.next(start)
		out[i] = Period{Name: o.name(start), Start: start, End: end}
		start = o.previous(start)
	}
	return out
}

// next returns the start of the period after the one starting at start;
// time.Date keeps it at local midnight across DST changes.
func (o PeriodOptions) next(start time.Time) time.Time {
	switch o.Unit {
	case Week:
		return time.Date(start.Year(), start.Month(), start.Day()+7, 0, 0, 0, 0, start.Location())
	case Quarter:
		return time.Date(start.Year(), start.Month()+3, 1, 0, 0, 0, 0, start.Location())
	default:
		return time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, start.Location())
	}
}

func (o PeriodOptions) previous(start time.Time) time.Time {
	switch o.Unit {
	case Week:
		return time.Date(start.Year(), start.Month(), start.Day()-7, 0, 0, 0, 0, start.Location())
	case Quarter:
		return time.Date(start.Year(), start.Month()-3, 1, 0, 0, 0, 0, start.Location())
	default:
		return time.Date(start.Year(), start.Month()-1, 1, 0, 0, 0, 0, start.Location())
	}
}

func (o PeriodOptions) name(start time.Time) string {
	switch o.Unit {
	case Week:
		year, week := start.ISOWeek()
		return fmt.Sprintf("%d-W%02d", year, week)
	case Quarter:
		return fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1)
	default:
		return start.Format("2006-01")
	}
}

// PeriodOf returns the index of the period holding t, or -1.
func PeriodOf(periods []Period, t time.Time) int {
	i := sort.Search(len(periods), func(i int) bool { return t.Before(periods[i].End) })
	if i == len(periods) || t.Before(periods[i].Start) {
		return -1
	}
	return i
}

// PeriodOfDay returns the index of the period holding a calendar day (a
// due date, stored as midnight UTC), taken as that day in the periods'
// time zone, or -1.
func PeriodOfDay(periods []Period, day time.Time) int {
	if len(periods) == 0 {
		return -1
	}
	d := day.UTC()
	return PeriodOf(periods, time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, periods[0].Start.Location()))
}
