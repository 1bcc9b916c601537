// Package figures computes, from a generated organisation's incidents as
// they were meant (package forumorg), every figure the forum must see:
// written from the definitions in docs/metrics.md and docs/report.md,
// independently of the exporter's code, which it must never import
// (exporter/snapshot, collectors, report): the forum test compares the
// exporter's answers with these.
package figures

import (
	"cmp"
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
	Periods int       // calendar months, the current one included (UTC)
	// Team and Severity, when set, keep only the incidents of that team
	// and severity (and their items) in the figures, as the report's
	// filters do; Valid and Invalid still count every record.
	Team, Severity string
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
	// Unpublished lists them, PublishedLate lists the post-mortems
	// published more than LateAfter after the resolution.
	Unpublished, PublishedLate []forumorg.Incident
	// Completion is the time from created_at to closed_at of the items
	// done in a window, by window and team ("" every team).
	Completion map[Key]Durations
	// Repeats by window and team ("" every team; Key.Severity empty), of
	// both kinds.
	RepeatsFixNotDone, RepeatsAfterFix map[Key]int
	// RepeatList is every repeat of the longest window, the newest first.
	RepeatList []Repeat
	// PossibleRepeats are the incidents that repeat an earlier one of
	// their team (a shared service, the same origin, within the span)
	// without naming it in related, the newest first.
	PossibleRepeats []Repeat
	// Items counts action items by team and status.
	Items map[[2]string]int
	// Overdue lists the overdue items, the most overdue first.
	Overdue []OverdueItem
	// DueToday counts the open items due on the snapshot's day (UTC), by
	// owner ("" for none).
	DueToday map[string]int
	// InvalidRecords are the records whose core is broken, of the team
	// filtered to.
	InvalidRecords []forumorg.Incident
	// Due counts the items due in a window by team and outcome (on_time,
	// late, open, wont_do).
	Due map[[3]string]int
	// Periods are the calendar months, the oldest first.
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

// OverdueItem is an open item past the end of its due day (UTC).
type OverdueItem struct {
	ID, Incident, Team, Owner string
	Severity                  string // the incident's
	Due                       time.Time
	Overdue                   time.Duration // since the end of the due day
}

// Period is one calendar month.
type Period struct {
	Name       string // 2026-05
	Start, End time.Time
}

// Compute works the figures out.
func Compute(org *forumorg.Org, s Settings) *Figures {
	f := &Figures{
		Settings: s, Incidents: map[Key]int{}, CustomerDetected: map[Key]int{},
		CustomersAffected: map[Key]int{}, FailedRequests: map[Key]int{}, DataLoss: map[Key]int{}, Security: map[Key]int{},
		Recover: map[Key]Durations{}, Detect: map[Key]Durations{}, Mitigate: map[Key]Durations{},
		Detection: map[[3]string]int{}, Services: map[[2]string]int{}, ServiceRecover: map[[2]string]Durations{}, OriginResolution: map[[4]string]int{},
		Open: map[Key]int{}, Pending: map[[2]string]int{}, Completion: map[Key]Durations{},
		Classes: map[ClassKey]int{}, PeriodDue: map[[3]string]int{}, Findings: map[[2]string]int{},
		RepeatsFixNotDone: map[Key]int{}, RepeatsAfterFix: map[Key]int{},
		Items: map[[2]string]int{}, Due: map[[3]string]int{}, DueToday: map[string]int{},
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
	f.Periods = months(s.AsOf, s.Periods)
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
			f.Findings[[2]string{in.Team, "security_review"}]++
		}
		if in.Resolved.IsZero() {
			for _, k := range keys("", in) {
				f.Open[k]++
			}
		}
		if in.Status != "published" {
			f.Pending[[2]string{in.Team, in.Status}]++
			f.Unpublished = append(f.Unpublished, in)
		} else if in.Published.Sub(in.Resolved) > LateAfter {
			f.PublishedLate = append(f.PublishedLate, in)
			f.Findings[[2]string{in.Team, "published_late"}]++
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
	f.PossibleRepeats = possibleRepeats(valid, org.Params.EchoWithin)
	slices.SortFunc(f.PossibleRepeats, newestFirst)
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
		if window == f.longest() {
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

// longest is the name of the longest window.
func (f *Figures) longest() string {
	return slices.MaxFunc(f.Settings.Windows, func(a, b Window) int { return cmp.Compare(a.Length, b.Length) }).Name
}

// countItems counts an incident's action items: by status, overdue, due
// in each window by outcome, and the time to complete those done in it.
func (f *Figures) countItems(in forumorg.Incident, samples map[Key]map[string][]float64) {
	asOf := f.Settings.AsOf
	for _, it := range in.Items {
		f.Items[[2]string{in.Team, it.Status}]++
		if it.Owner == "" {
			f.Findings[[2]string{in.Team, "action_item_owner"}]++
		}
		endOfDue := it.Due.Add(24 * time.Hour)
		if it.Status == forumorg.ItemOpen && it.Due.Equal(asOf.UTC().Truncate(24*time.Hour)) {
			f.DueToday[it.Owner]++
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

// possibleRepeats finds, for each incident, the latest earlier one of its
// team within span that shares a service and the origin, when neither
// names the other in related.
func possibleRepeats(incs []forumorg.Incident, span time.Duration) []Repeat {
	var out []Repeat
	for i, in := range incs {
		for j := i - 1; j >= 0; j-- {
			e := incs[j]
			if in.Started.Sub(e.Started) > span {
				break
			}
			if e.Team == in.Team && e.Origin == in.Origin && shareService(e, in) && !slices.Contains(in.Related, e.ID) && !slices.Contains(e.Related, in.ID) {
				out = append(out, Repeat{Incident: in.ID, Team: in.Team, Earlier: e.ID, Started: in.Started})
				break
			}
		}
	}
	return out
}

func shareService(a, b forumorg.Incident) bool {
	for _, s := range a.Services {
		if slices.Contains(b.Services, s) {
			return true
		}
	}
	return false
}
