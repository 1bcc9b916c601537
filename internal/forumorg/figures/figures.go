// Package figures computes, from a generated organisation's incidents as
// they were meant (package forumorg), every figure the forum must see:
// written from the definitions in docs/metrics.md and docs/report.md,
// independently of the exporter's code, which it must never import
// (exporter/snapshot, collectors, report): the forum test compares the
// exporter's answers with these.
package figures

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
)

// LateAfter is how long after the resolution a post-mortem may be
// published: the quality bar's default (docs/quality.md).
const LateAfter = 10 * 24 * time.Hour

// Settings are the exporter's settings the figures depend on.
type Settings struct {
	AsOf    time.Time // the snapshot's instant
	Windows []Window  // rolling windows
	Periods int       // calendar months configured, the current one included (UTC)
	// Unit is the report's period unit: "month" (or ""), "quarter" or
	// "week" (ISO, Monday to Sunday); a unit other than month covers the
	// span of the configured months, from the period holding the start
	// of the first one to the current one (docs/report.md, Filters).
	Unit string
	// Team and Severity, when set, keep only the incidents of that team
	// and severity (and their items) in the figures, as the report's
	// filters do; Valid and Invalid still count every record.
	Team, Severity string
	// PossibleWithin is how long after an incident another on the same
	// service with the same origin is a possible repeat.
	PossibleWithin time.Duration
}

// Window is a rolling window: incidents started in (AsOf − Length, AsOf].
type Window struct {
	Name   string
	Length time.Duration
}

// Key names a cell: a window (or a period), a team and a severity; an
// empty team or severity is every one.
type Key struct{ Window, Team, Severity string }

// Durations are a sample of durations in seconds.
type Durations struct {
	N           int
	Sum         float64
	Median, P90 float64 // exact: linear interpolation between closest ranks
}

// Mean returns the mean, and false for an empty sample.
func (d Durations) Mean() (float64, bool) {
	if d.N == 0 {
		return 0, false
	}
	return d.Sum / float64(d.N), true
}

// Figures are what the forum sees, as they must be.
type Figures struct {
	Settings Settings
	// Incidents counts incidents started in a window (Key.Window) or a
	// period (Key.Window holds the period's name).
	Incidents map[Key]int
	// CustomerDetected counts those detected first by customers.
	CustomerDetected map[Key]int
	// CustomersAffected and FailedRequests sum the impact; DataLoss and
	// Security count the incidents with data loss and security ones.
	CustomersAffected, FailedRequests, DataLoss, Security map[Key]int
	// Learnings sums the learnings their post-mortems write down.
	Learnings map[Key]int
	// Recover, Detect and Mitigate are their durations, by window or
	// period, team and severity (each also for every team or severity).
	Recover, Detect, Mitigate map[Key]Durations
	// Detection, by window, team ("" every team) and detection.
	Detection map[[3]string]int
	// Classes counts the incidents of a period by team ("" every team) and
	// origin (Class "origin") or resolution ("resolution"; resolved ones).
	Classes map[ClassKey]int
	// PeriodDue counts the items due in a period (by due day) by team
	// ("" every team) and outcome.
	PeriodDue map[[3]string]int
	// Findings counts the findings of the default quality rules this
	// organisation breaks, by team and rule: published_late (published
	// more than LateAfter after the resolution), action_item_owner (an
	// item with no owner) and security_review (a security incident
	// without its review).
	Findings map[[2]string]int
	// FindingList lists them, one per post-mortem, rule and item.
	FindingList []Finding
	// Services, by window and service: incidents that affected it, and
	// their time to recover.
	Services       map[[2]string]int
	ServiceRecover map[[2]string]Durations
	// OriginResolution, by window, team ("" every team), origin and
	// resolution ("" unresolved).
	OriginResolution map[[4]string]int
	// Open counts the incidents not resolved, by team and severity
	// (Key.Window empty).
	Open map[Key]int
	// Pending counts the post-mortems not published, by team and status.
	Pending map[[2]string]int
	// Unpublished lists them, Published the published post-mortems, and
	// PublishedLate those published more than LateAfter after the
	// resolution.
	Unpublished, Published, PublishedLate []forumorg.Incident
	// Completion is the time from created_at to closed_at of the items
	// done in a window, by window and team ("" every team).
	Completion map[Key]Durations
	// Repeats by window and team ("" every team; Key.Severity empty), of
	// both kinds.
	RepeatsFixNotDone, RepeatsAfterFix map[Key]int
	// RepeatList is every repeat of the longest window, the newest first.
	RepeatList []Repeat
	// PossibleRepeats are the pairs of incidents that may repeat one
	// another without saying so in related (see possibleRepeats), the
	// newest first.
	PossibleRepeats []PossibleRepeat
	// Items counts action items by team and status.
	Items map[[2]string]int
	// Overdue lists the overdue items, the most overdue first.
	Overdue []OverdueItem
	// DueToday counts the open items due on the snapshot's day (UTC), by
	// owner ("" for none) and team.
	DueToday map[[2]string]int
	// InvalidRecords are the records whose core is broken, of the team
	// filtered to.
	InvalidRecords []forumorg.Incident
	// Due counts the items due in a window by team and outcome (on_time,
	// late, open, wont_do).
	Due map[[3]string]int
	// Periods are the calendar periods of the unit, the oldest first.
	Periods []Period
	// Valid and Invalid count the records.
	Valid, Invalid int
}

// ClassKey names a count of a period's incidents by a classification.
type ClassKey struct{ Period, Team, Class, Value string }

// Repeat is an incident that repeats an earlier one.
type Repeat struct {
	Incident, Team, Earlier string
	Started                 time.Time
	FixNotDone              bool // an item of the earlier one was open when it started
}

// Finding is what a quality rule found on a post-mortem (Item is the
// action item's id, empty for the record).
type Finding struct {
	Incident, Team, Rule, Item string
	Started, Published         time.Time
}

// PossibleRepeat is an incident that may repeat an earlier one.
type PossibleRepeat struct {
	Incident, Team, Earlier, Service, Origin string
	Started                                  time.Time
}

// OverdueItem is an open item past the end of its due day (UTC).
type OverdueItem struct {
	ID, Incident, Team, Owner string
	Severity                  string // the incident's
	Due                       time.Time
	Overdue                   time.Duration // since the end of the due day
}

// Period is one calendar period.
type Period struct {
	Name       string // 2026-05, 2026-Q2 or 2026-W21
	Start, End time.Time
}

// Compute works the figures out.
func Compute(org *forumorg.Org, s Settings) *Figures {
	f := &Figures{
		Settings: s, Incidents: map[Key]int{}, CustomerDetected: map[Key]int{},
		CustomersAffected: map[Key]int{}, FailedRequests: map[Key]int{}, DataLoss: map[Key]int{}, Security: map[Key]int{}, Learnings: map[Key]int{},
		Recover: map[Key]Durations{}, Detect: map[Key]Durations{}, Mitigate: map[Key]Durations{},
		Detection: map[[3]string]int{}, Services: map[[2]string]int{}, ServiceRecover: map[[2]string]Durations{}, OriginResolution: map[[4]string]int{},
		Open: map[Key]int{}, Pending: map[[2]string]int{}, Completion: map[Key]Durations{},
		Classes: map[ClassKey]int{}, PeriodDue: map[[3]string]int{}, Findings: map[[2]string]int{},
		RepeatsFixNotDone: map[Key]int{}, RepeatsAfterFix: map[Key]int{},
		Items: map[[2]string]int{}, Due: map[[3]string]int{}, DueToday: map[[2]string]int{},
	}
	for _, in := range org.Incidents {
		if in.Invalid != "" && (s.Team == "" || s.Team == in.Team) {
			f.InvalidRecords = append(f.InvalidRecords, in)
		}
	}
	all := org.Valid()
	f.Valid, f.Invalid = len(all), len(org.Incidents)-len(all)
	byID := map[string]forumorg.Incident{}
	var valid []forumorg.Incident // those the filters keep
	for _, in := range all {
		byID[in.ID] = in
		if (s.Team == "" || s.Team == in.Team) && (s.Severity == "" || s.Severity == in.Severity) {
			valid = append(valid, in)
		}
	}
	f.Periods = periods(s.AsOf, s.Unit, s.Periods)
	samples := map[Key]map[string][]float64{} // key → kind → durations
	for _, in := range valid {
		var cells []string // the windows and the period the incident is in
		for _, w := range s.Windows {
			if in.Started.After(s.AsOf.Add(-w.Length)) && !in.Started.After(s.AsOf) {
				cells = append(cells, w.Name)
				f.countWindow(w.Name, in, byID)
			}
		}
		if p, ok := f.period(in.Started); ok {
			cells = append(cells, p)
			for _, team := range []string{in.Team, ""} {
				f.Classes[ClassKey{p, team, "origin", in.Origin}]++
				if in.Resolution != "" {
					f.Classes[ClassKey{p, team, "resolution", in.Resolution}]++
				}
			}
		}
		for _, cell := range cells {
			for _, k := range keys(cell, in) {
				f.Incidents[k]++
				if in.Detection == "customer" {
					f.CustomerDetected[k]++
				}
				if in.Impact != nil {
					f.CustomersAffected[k] += int(in.Impact.CustomersAffected)
					f.FailedRequests[k] += int(in.Impact.FailedRequests)
					if in.Impact.DataLoss {
						f.DataLoss[k]++
					}
				}
				if in.Security {
					f.Security[k]++
				}
				f.Learnings[k] += in.Learnings
				addSample(samples, k, "detect", in.Detected.Sub(in.Started))
				if !in.Mitigated.IsZero() {
					addSample(samples, k, "mitigate", in.Mitigated.Sub(in.Started))
				}
				if !in.Resolved.IsZero() {
					addSample(samples, k, "recover", in.Resolved.Sub(in.Started))
				}
			}
		}
		f.countItems(in, samples)
		if in.Security {
			f.addFinding(in, "security_review", "")
		}
		if in.Resolved.IsZero() {
			for _, k := range keys("", in) {
				f.Open[k]++
			}
		}
		if in.Status != "published" {
			f.Pending[[2]string{in.Team, in.Status}]++
			f.Unpublished = append(f.Unpublished, in)
		} else if f.Published = append(f.Published, in); in.Published.Sub(in.Resolved) > LateAfter {
			f.PublishedLate = append(f.PublishedLate, in)
			f.addFinding(in, "published_late", "")
		}
	}
	for k, kinds := range samples {
		for kind, xs := range kinds {
			d := summarise(xs)
			switch kind {
			case "detect":
				f.Detect[k] = d
			case "mitigate":
				f.Mitigate[k] = d
			case "recover":
				f.Recover[k] = d
			case "complete":
				f.Completion[k] = d
			}
		}
	}
	slices.SortFunc(f.Overdue, func(a, b OverdueItem) int {
		return cmp.Or(-cmp.Compare(a.Overdue, b.Overdue), cmp.Compare(a.ID, b.ID))
	})
	newestFirst := func(a, b Repeat) int {
		return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(a.Incident, b.Incident))
	}
	slices.SortFunc(f.RepeatList, newestFirst)
	f.possibleRepeats(valid, s.PossibleWithin)
	slices.SortFunc(f.PossibleRepeats, func(a, b PossibleRepeat) int {
		return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(a.Incident, b.Incident), cmp.Compare(a.Earlier, b.Earlier))
	})
	return f
}

// keys are the cells an incident counts in for one window or period: its
// team and severity, its team, its severity, and all.
func keys(cell string, in forumorg.Incident) []Key {
	return []Key{{cell, in.Team, in.Severity}, {cell, in.Team, ""}, {cell, "", in.Severity}, {cell, "", ""}}
}

func addSample(samples map[Key]map[string][]float64, k Key, kind string, d time.Duration) {
	if samples[k] == nil {
		samples[k] = map[string][]float64{}
	}
	samples[k][kind] = append(samples[k][kind], d.Seconds())
}

// summarise returns the sample's count, sum and exact quantiles.
func summarise(xs []float64) Durations {
	slices.Sort(xs)
	d := Durations{N: len(xs), Median: quantile(xs, 0.5), P90: quantile(xs, 0.9)}
	for _, x := range xs {
		d.Sum += x
	}
	return d
}

// quantile is the q-quantile of sorted xs: rank h = (n−1)·q, linear
// between the two closest ranks (docs/metrics.md).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	h := float64(len(xs)-1) * q
	lo := int(math.Floor(h))
	if lo+1 >= len(xs) {
		return xs[lo]
	}
	return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
}

// countWindow counts what only the windows have: detection, services,
// origin × resolution, repeats.
func (f *Figures) countWindow(window string, in forumorg.Incident, byID map[string]forumorg.Incident) {
	for _, team := range []string{in.Team, ""} {
		f.Detection[[3]string{window, team, in.Detection}]++
		f.OriginResolution[[4]string{window, team, in.Origin, in.Resolution}]++
	}
	for _, s := range in.Services {
		f.Services[[2]string{window, s}]++
		if !in.Resolved.IsZero() {
			d := f.ServiceRecover[[2]string{window, s}]
			d.N++
			d.Sum += in.Resolved.Sub(in.Started).Seconds()
			f.ServiceRecover[[2]string{window, s}] = d
		}
	}
	for _, id := range in.Related {
		earlier, ok := byID[id]
		if !ok || len(earlier.Items) == 0 || !earlier.Started.Before(in.Started) {
			continue
		}
		r := Repeat{Incident: in.ID, Team: in.Team, Earlier: id, Started: in.Started, FixNotDone: openAt(earlier.Items, in.Started)}
		for _, team := range []string{in.Team, ""} {
			if r.FixNotDone {
				f.RepeatsFixNotDone[Key{Window: window, Team: team}]++
			} else {
				f.RepeatsAfterFix[Key{Window: window, Team: team}]++
			}
		}
		if window == f.longestWindow().Name {
			f.RepeatList = append(f.RepeatList, r)
		}
	}
}

// openAt says whether any item existed and was not closed at t.
func openAt(items []forumorg.Item, t time.Time) bool {
	for _, it := range items {
		if !it.Created.After(t) && (it.Closed.IsZero() || it.Closed.After(t)) {
			return true
		}
	}
	return false
}

// longestWindow is the longest of the windows.
func (f *Figures) longestWindow() Window {
	return slices.MaxFunc(f.Settings.Windows, func(a, b Window) int { return cmp.Compare(a.Length, b.Length) })
}

// countItems counts an incident's action items: by status, overdue, due
// in each window by outcome, and the time to complete those done in it.
func (f *Figures) countItems(in forumorg.Incident, samples map[Key]map[string][]float64) {
	asOf := f.Settings.AsOf
	for _, it := range in.Items {
		f.Items[[2]string{in.Team, it.Status}]++
		if it.Owner == "" {
			f.addFinding(in, "action_item_owner", it.ID)
		}
		endOfDue := it.Due.Add(24 * time.Hour)
		if it.Status == forumorg.ItemOpen && it.Due.Equal(asOf.UTC().Truncate(24*time.Hour)) {
			f.DueToday[[2]string{it.Owner, in.Team}]++
		}
		if it.Status == forumorg.ItemOpen && endOfDue.Before(asOf) {
			f.Overdue = append(f.Overdue, OverdueItem{ID: it.ID, Incident: in.ID, Team: in.Team, Owner: it.Owner, Severity: in.Severity, Due: it.Due, Overdue: asOf.Sub(endOfDue)})
		}
		outcome := it.Status // open, wont_do
		if it.Status == forumorg.ItemDone {
			outcome = "late"
			if !it.Closed.After(endOfDue) {
				outcome = "on_time"
			}
		}
		if p, ok := f.period(it.Due); ok {
			f.PeriodDue[[3]string{p, in.Team, outcome}]++
			f.PeriodDue[[3]string{p, "", outcome}]++
		}
		for _, w := range f.Settings.Windows {
			if endOfDue.After(asOf.Add(-w.Length)) && !endOfDue.After(asOf) {
				f.Due[[3]string{w.Name, in.Team, outcome}]++
			}
			if it.Status == forumorg.ItemDone && it.Closed.After(asOf.Add(-w.Length)) && !it.Closed.After(asOf) {
				for _, team := range []string{in.Team, ""} {
					addSample(samples, Key{Window: w.Name, Team: team}, "complete", it.Closed.Sub(it.Created))
				}
			}
		}
	}
}

// addFinding counts and lists a finding of rule on in.
func (f *Figures) addFinding(in forumorg.Incident, rule, item string) {
	f.Findings[[2]string{in.Team, rule}]++
	f.FindingList = append(f.FindingList, Finding{Incident: in.ID, Team: in.Team, Rule: rule, Item: item, Started: in.Started, Published: in.Published})
}

// period names the period holding t, false when none does.
func (f *Figures) period(t time.Time) (string, bool) {
	for _, p := range f.Periods {
		if !t.Before(p.Start) && t.Before(p.End) {
			return p.Name, true
		}
	}
	return "", false
}

// months returns the last n calendar months (UTC) up to the one holding
// asOf.
func months(asOf time.Time, n int) []Period {
	asOf = asOf.UTC()
	current := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]Period, n)
	for i := range n {
		start := current.AddDate(0, i-n+1, 0)
		out[i] = Period{Name: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}
	}
	return out
}

// periods returns the periods of unit from the one holding the start of
// the first of the last n calendar months up to the one holding asOf.
func periods(asOf time.Time, unit string, n int) []Period {
	ms := months(asOf, n)
	var start time.Time
	var next func(time.Time) time.Time
	var name func(time.Time) string
	switch unit {
	case "", "month":
		return ms
	case "quarter":
		first := ms[0].Start
		start = time.Date(first.Year(), (first.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }
		name = func(t time.Time) string { return fmt.Sprintf("%d-Q%d", t.Year(), (t.Month()-1)/3+1) }
	case "week":
		first := ms[0].Start
		start = first.AddDate(0, 0, -(int(first.Weekday())+6)%7) // the Monday before
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
		name = func(t time.Time) string {
			year, week := t.ISOWeek()
			return fmt.Sprintf("%d-W%02d", year, week)
		}
	default:
		panic("figures: no period unit " + unit)
	}
	var out []Period
	for ; !start.After(asOf); start = next(start) {
		out = append(out, Period{Name: name(start), Start: start, End: next(start)})
	}
	return out
}

// possibleRepeats finds, for each incident of the longest window, every
// earlier one started at most within before it on a shared service (the
// first in name order) with the same origin, other than unknown, when
// neither names the other in related (docs/metrics.md).
func (f *Figures) possibleRepeats(incs []forumorg.Incident, within time.Duration) {
	for _, in := range incs {
		if !in.Started.After(f.Settings.AsOf.Add(-f.longestWindow().Length)) {
			continue
		}
		for _, e := range incs {
			gap := in.Started.Sub(e.Started)
			if e.ID == in.ID || gap < 0 || gap > within || e.Origin != in.Origin || in.Origin == "unknown" ||
				slices.Contains(in.Related, e.ID) || slices.Contains(e.Related, in.ID) {
				continue
			}
			if service, ok := sharedService(e, in); ok {
				f.PossibleRepeats = append(f.PossibleRepeats, PossibleRepeat{Incident: in.ID, Team: in.Team, Earlier: e.ID, Service: service, Origin: in.Origin, Started: in.Started})
			}
		}
	}
}

// sharedService returns the first service, in name order, both list.
func sharedService(a, b forumorg.Incident) (string, bool) {
	services := slices.Sorted(slices.Values(a.Services))
	for _, s := range services {
		if slices.Contains(b.Services, s) {
			return s, true
		}
	}
	return "", false
}
