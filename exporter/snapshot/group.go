package snapshot

import (
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// IncidentGroup adds the durations and period counts of incidents of one
// severity and team. It finds their aggregates once and adds their counts
// up until Close puts them in the snapshot, so a source that reads the
// incidents grouped by severity and team (PostgreSQL does, a million at a
// time) pays a few map lookups per group, not a dozen per incident.
type IncidentGroup struct {
	b *Builder
	// key is the incidents' severity and team; periodKey has the team of
	// the period aggregates (see periodTeam).
	key, periodKey SeverityTeam
	windows        []*durationSamples // per window, found on first use
	periods        []groupPeriod
}

// groupPeriod is what a group adds to one calendar period.
type groupPeriod struct {
	samples                               *durationSamples // nil until an incident started in the period
	incidents, security, dataLoss, repeat int
	detection, origin, resolution         valueCounts
}

// valueCounts counts the few values of a classification.
type valueCounts []valueCount

type valueCount struct {
	value string
	n     int
}

func (c *valueCounts) add(value string) {
	for i := range *c {
		if (*c)[i].value == value {
			(*c)[i].n++
			return
		}
	}
	*c = append(*c, valueCount{value, 1})
}

// IncidentGroup starts a group of incidents of a severity and team; Close
// it before the next. The builder reuses one group.
func (b *Builder) IncidentGroup(severity, team string) *IncidentGroup {
	g := &b.group
	if g.b == nil {
		*g = IncidentGroup{b: b, windows: make([]*durationSamples, len(b.s.Windows)), periods: make([]groupPeriod, len(b.periods))}
	}
	g.key, g.periodKey = SeverityTeam{severity, team}, SeverityTeam{severity, b.periodTeam(team)}
	clear(g.windows)
	for i := range g.periods {
		p := &g.periods[i]
		*p = groupPeriod{detection: p.detection[:0], origin: p.origin[:0], resolution: p.resolution[:0]}
	}
	return g
}

// Add keeps r's durations, with the events that happened by the
// snapshot's instant, for the exact summaries of every window r started
// in, and counts r in the calendar period it started in. r has the
// group's severity and team; repeat tells whether it repeats an earlier
// incident (see IsRepeat).
func (g *IncidentGroup) Add(r *record.Record, repeat bool) {
	b, asOf := g.b, g.b.s.AsOf
	if r.StartedAt.After(asOf) {
		return
	}
	for i, start := range b.windowStarts { // Window.Contains
		if r.StartedAt.After(start) {
			if g.windows[i] == nil {
				g.windows[i] = samplesOf(b.windowSamples[i], g.key)
			}
			g.windows[i].add(r, asOf)
		}
	}
	g.addToTrends(r)
	i := PeriodOf(b.periods, r.StartedAt)
	if i < 0 {
		return
	}
	p := &g.periods[i]
	if p.samples == nil {
		p.samples = samplesOf(b.periodSamples[i], g.periodKey)
	}
	p.samples.add(r, asOf)
	p.incidents++
	p.security += boolCount(r.SecurityIncident)
	p.dataLoss += boolCount(r.Impact.DataLoss)
	p.repeat += boolCount(repeat)
	p.detection.add(r.Detection)
	p.origin.add(r.Origin)
	if r.Resolved() && !r.ResolvedAt.After(asOf) {
		p.resolution.add(r.Resolution)
	}
}

// Close adds the group's counts to the snapshot's periods.
func (g *IncidentGroup) Close() {
	team := g.periodKey.Team
	for i := range g.periods {
		p := &g.periods[i]
		if p.incidents == 0 {
			continue
		}
		ps := &g.b.s.Periods[i]
		ps.Incidents[g.periodKey] += p.incidents
		// Summed over the teams (finishPeriods gives every period the key).
		ps.Security[""] += p.security
		ps.DataLoss[""] += p.dataLoss
		ps.Repeat[""] += p.repeat
		for _, c := range []struct {
			counts map[TeamValue]int
			values valueCounts
		}{{ps.ByDetection, p.detection}, {ps.ByOrigin, p.origin}, {ps.ByResolution, p.resolution}} {
			for _, v := range c.values {
				c.counts[TeamValue{team, v.value}] += v.n
			}
		}
	}
}
