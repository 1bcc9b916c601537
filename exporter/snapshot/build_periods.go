package snapshot

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// addItemToPeriods counts an action item, as it stood at AsOf, in the
// period it is due in, and in those it was created and closed in.
func (b *Builder) addItemToPeriods(a record.ActionItem) {
	asOf := b.s.AsOf
	if a.CreatedAt.After(asOf) {
		return
	}
	if i := PeriodOfDay(b.periods, a.Due); i >= 0 {
		b.s.Periods[i].ItemsDue[TeamValue{b.periodTeam(a.Team), ItemOutcome(a, asOf)}]++
	}
	if i := PeriodOf(b.periods, a.CreatedAt); i >= 0 {
		b.s.Periods[i].ItemsCreated[""]++
	}
	if i := PeriodOf(b.periods, a.ClosedAt); i >= 0 && ClosedBy(a, asOf) {
		b.s.Periods[i].ItemsClosed[""]++
	}
}

// ClosedBy reports whether an item was done or dropped by t.
func ClosedBy(a record.ActionItem, t time.Time) bool {
	return a.Status != record.ItemOpen && !a.ClosedAt.After(t)
}

// ItemOutcome is how an item due in a period stands at t: ItemStillOpen
// until it is closed, then ItemWontDo, ItemOnTime or ItemLate.
func ItemOutcome(a record.ActionItem, t time.Time) string {
	switch {
	case !ClosedBy(a, t):
		return ItemStillOpen
	case a.Status == record.ItemWontDo:
		return ItemWontDo
	case a.ClosedAt.Before(a.OverdueAt()):
		return ItemOnTime
	default:
		return ItemLate
	}
}

// periodTeam is the team key of the period aggregates the dashboard
// narrows by team: the team, unless they are always summed over the
// teams, or the periods have shown more teams than auto keeps (the sums
// are then cheaper to add up). decidePeriodTeams sums them when the
// snapshot has too many teams to keep them.
func (b *Builder) periodTeam(team string) string {
	switch b.opts.Periods.ByTeam {
	case TeamsOn:
		return team
	case TeamsOff:
		return ""
	}
	if !b.manyTeams && !b.periodTeams[team] {
		b.periodTeams[team] = true
		b.manyTeams = len(b.periodTeams) > b.teamsLimit
	}
	if b.manyTeams {
		return ""
	}
	return team
}

// decidePeriodTeams counts the teams the snapshot has series for, and
// decides whether the period aggregates keep them; if not, it sums those
// it kept over the teams.
func (b *Builder) decidePeriodTeams() {
	s := b.s
	teams := map[string]bool{}
	addTeams(teams, s.OpenIncidents, func(k SeverityTeam) string { return k.Team })
	addTeams(teams, s.ActionItems, func(k TeamStatus) string { return k.Team })
	addTeams(teams, s.Exceptions, func(k TeamStatus) string { return k.Team })
	addTeams(teams, s.ReviewsPending, func(k TeamStatus) string { return k.Team })
	addTeams(teams, s.OverdueByTeam, func(k string) string { return k })
	addTeams(teams, s.UnownedByTeam, func(k string) string { return k })
	for _, w := range s.Windows {
		addTeams(teams, w.Incidents, func(k SeverityTeam) string { return k.Team })
		addTeams(teams, w.Completion, func(k string) string { return k })
	}
	for i, p := range s.Periods {
		addTeams(teams, p.Incidents, func(k SeverityTeam) string { return k.Team })
		addTeams(teams, p.ItemsDue, func(k TeamValue) string { return k.Team })
		addTeams(teams, b.periodSamples[i], func(k SeverityTeam) string { return k.Team })
	}
	delete(teams, "") // the sums over all teams
	s.Teams, s.PeriodTeamsLimit = len(teams), b.teamsLimit
	switch b.opts.Periods.ByTeam {
	case TeamsOn:
		s.PeriodsByTeam = true
	case TeamsOff:
		s.PeriodsByTeam = false
	default:
		s.PeriodsByTeam = s.Teams <= s.PeriodTeamsLimit
	}
	if s.PeriodsByTeam {
		return
	}
	for i := range s.Periods {
		ps := &s.Periods[i]
		ps.Incidents = sumOverTeams(ps.Incidents, func(k SeverityTeam) SeverityTeam { return SeverityTeam{k.Severity, ""} })
		for _, m := range []*map[TeamValue]int{&ps.ByDetection, &ps.ByOrigin, &ps.ByResolution, &ps.ItemsDue} {
			*m = sumOverTeams(*m, func(k TeamValue) TeamValue { return TeamValue{"", k.Value} })
		}
	}
}

func addTeams[K comparable, V any](teams map[string]bool, m map[K]V, team func(K) string) {
	for k := range m {
		teams[team(k)] = true
	}
}

// sumOverTeams sums counts under the keys without their team.
func sumOverTeams[K comparable](counts map[K]int, withoutTeam func(K) K) map[K]int {
	out := make(map[K]int, len(counts))
	for k, n := range counts {
		out[withoutTeam(k)] += n
	}
	return out
}

// preparePeriods drops the counts a correction brought back to 0 (they
// were never there), and decides whether the periods keep the teams.
func (b *Builder) preparePeriods() {
	for i := range b.s.Periods {
		dropZeros(b.s.Periods[i].ItemsDue)
		dropZeros(b.s.Periods[i].ItemsCreated, b.s.Periods[i].ItemsClosed)
	}
	b.decidePeriodTeams()
}

// periodSummaries are the tasks that summarize the durations of each
// period, per severity, and per team when the periods keep the teams
// (time to detect and recover only, the ones published).
func (b *Builder) periodSummaries() []func() {
	var tasks []func()
	for i := range b.s.Periods {
		ps, samples := &b.s.Periods[i], b.periodSamples[i]
		tasks = append(tasks, func() { ps.BySeverity = summarize(samples, bySeverity, SummaryQuantiles, allKinds) })
		if b.s.PeriodsByTeam {
			tasks = append(tasks, func() { ps.ByTeam = summarize(samples, byTeam, TeamQuantiles, detectRecoverOnly) })
		}
	}
	return tasks
}

// finishPeriods gives every period the same keys, 0 included, so that
// each period shows every severity, outcome and value seen in any of
// them, and a month without incidents shows 0.
func (b *Builder) finishPeriods() {
	periods := b.s.Periods
	teams := map[string]bool{}
	if !b.s.PeriodsByTeam && len(periods) > 0 {
		teams[""] = true
	}
	for i := range periods {
		ps := &periods[i]
		addTeams(teams, ps.Incidents, func(k SeverityTeam) string { return k.Team })
		addTeams(teams, ps.ItemsDue, func(k TeamValue) string { return k.Team })
	}
	for i := range periods {
		ps := &periods[i]
		for _, m := range []map[string]int{ps.Security, ps.DataLoss, ps.Repeat, ps.ItemsCreated, ps.ItemsClosed} {
			m[""] += 0
		}
		for _, sev := range b.opts.Severities {
			fillKeys(ps.BySeverity, map[string]*DurationSummaries{sev: nil}, noDurations)
		}
		for team := range teams {
			for _, sev := range b.opts.Severities {
				ps.Incidents[SeverityTeam{sev, team}] += 0
			}
			for _, outcome := range ItemOutcomes {
				ps.ItemsDue[TeamValue{team, outcome}] += 0
			}
			if b.s.PeriodsByTeam {
				fillKeys(ps.ByTeam, map[string]*DurationSummaries{team: nil}, noDurations)
			}
		}
		for j := range periods {
			other := &periods[j]
			fillKeys(ps.Incidents, other.Incidents, zero)
			fillKeys(ps.BySeverity, other.BySeverity, noDurations)
			fillKeys(ps.ByDetection, other.ByDetection, zero)
			fillKeys(ps.ByOrigin, other.ByOrigin, zero)
			fillKeys(ps.ByResolution, other.ByResolution, zero)
		}
	}
}

func newPeriodStats(p Period) PeriodStats {
	return PeriodStats{
		Period: p, Incidents: map[SeverityTeam]int{},
		Security: map[string]int{}, DataLoss: map[string]int{}, Repeat: map[string]int{},
		ByDetection: map[TeamValue]int{}, ByOrigin: map[TeamValue]int{}, ByResolution: map[TeamValue]int{},
		ItemsDue: map[TeamValue]int{}, ItemsCreated: map[string]int{}, ItemsClosed: map[string]int{},
	}
}

func samplesOf(m map[SeverityTeam]*durationSamples, k SeverityTeam) *durationSamples {
	s, ok := m[k]
	if !ok {
		s = &durationSamples{}
		m[k] = s
	}
	return s
}

func bySeverity(k SeverityTeam) string { return k.Severity }
func byTeam(k SeverityTeam) string     { return k.Team }

// noDurations is the summaries of no incident.
func noDurations() *DurationSummaries {
	d := &DurationSummaries{}
	for i := range d {
		d[i].Quantiles = map[float64]float64{}
	}
	return d
}
