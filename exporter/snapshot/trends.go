package snapshot

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// CustomerDetection is the detection value that counts as detected by a
// customer in the forum's trends.
const CustomerDetection = "customer"

// TrendPeriod is one calendar period's incidents as the forum's report
// reads them, by severity and team, so that the report can filter by
// either. Unlike PeriodStats it is never published as series: it is kept
// for every unit (PeriodUnits), so the report switches between months,
// weeks and quarters without a restart.
type TrendPeriod struct {
	Period Period
	// Incidents and CustomerDetected count the incidents started in the
	// period, all of them and those a customer detected.
	Incidents, CustomerDetected map[SeverityTeam]int
	// Durations are exact summaries (count, sum, median) per severity and
	// team; BySeverity the same over every team.
	Durations  map[SeverityTeam]*DurationSummaries
	BySeverity map[string]*DurationSummaries
}

// trendQuantiles are the quantiles of the trend summaries: the median.
var trendQuantiles = []float64{0.5}

// TrendPeriods returns, for every period unit, the periods that cover
// those of o: from the one holding the start of o's first period to the
// one holding asOf. Nil when o has no periods.
func (o PeriodOptions) TrendPeriods(asOf time.Time) map[string][]Period {
	configured := o.Periods(asOf)
	if len(configured) == 0 {
		return nil
	}
	first := configured[0].Start
	out := map[string][]Period{}
	for _, unit := range PeriodUnits {
		u := o
		u.Unit = unit
		// Enough periods to reach back to first: at least one a week.
		u.Count = int(asOf.Sub(first)/(7*24*time.Hour)) + 2
		periods := u.Periods(asOf)
		for len(periods) > 1 && !periods[1].Start.After(first) {
			periods = periods[1:]
		}
		out[unit] = periods
	}
	return out
}

// TrendsStart is the earliest instant the trend periods of o reach back
// to as of asOf: a source reads the incidents started since.
func (o PeriodOptions) TrendsStart(asOf time.Time) time.Time {
	start := asOf
	for _, periods := range o.TrendPeriods(asOf) {
		if len(periods) > 0 && periods[0].Start.Before(start) {
			start = periods[0].Start
		}
	}
	return start
}

// trendSamples keeps the durations of the trend periods of one unit.
type trendSamples struct {
	unit    string
	periods []Period
	samples []map[SeverityTeam]*durationSamples
}

// newTrends starts the trend periods of every unit.
func (b *Builder) newTrends() {
	periods := b.opts.Periods.TrendPeriods(b.s.AsOf)
	b.s.Trends = map[string][]TrendPeriod{}
	for _, unit := range PeriodUnits {
		ts := trendSamples{unit: unit, periods: periods[unit]}
		for _, p := range ts.periods {
			b.s.Trends[unit] = append(b.s.Trends[unit], TrendPeriod{Period: p,
				Incidents: map[SeverityTeam]int{}, CustomerDetected: map[SeverityTeam]int{}})
			ts.samples = append(ts.samples, map[SeverityTeam]*durationSamples{})
		}
		b.trends = append(b.trends, ts)
	}
}

// addToTrends counts r, of the group's severity and team, in the trend
// period of every unit it started in.
func (g *IncidentGroup) addToTrends(r *record.Record) {
	b := g.b
	for _, ts := range b.trends {
		i := PeriodOf(ts.periods, r.StartedAt)
		if i < 0 {
			continue
		}
		tp := &b.s.Trends[ts.unit][i]
		tp.Incidents[g.key]++
		if r.Detection == CustomerDetection {
			tp.CustomerDetected[g.key]++
		}
		samplesOf(ts.samples[i], g.key).add(r, b.s.AsOf)
	}
}

// trendSummaries are the tasks that summarize the trend periods' durations.
func (b *Builder) trendSummaries() []func() {
	var tasks []func()
	for _, ts := range b.trends {
		for i := range ts.periods {
			tp, samples := &b.s.Trends[ts.unit][i], ts.samples[i]
			tasks = append(tasks, func() {
				tp.BySeverity = summarize(samples, bySeverity, trendQuantiles, allKinds)
				tp.Durations = make(map[SeverityTeam]*DurationSummaries, len(samples))
				for k, s := range samples {
					tp.Durations[k] = summarize(map[SeverityTeam]*durationSamples{k: s}, bySeverity, trendQuantiles, allKinds)[k.Severity]
				}
			})
		}
	}
	return tasks
}
