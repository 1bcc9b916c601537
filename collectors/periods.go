package collectors

import (
	"fmt"
	"math"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// periodDesc is a period metric. It always has the team label, which is
// empty when the metric is summed over the teams: always for the metrics
// made with team never, for those made with withPeriodsByTeam when the
// snapshot has not PeriodsByTeam. Prometheus stores an empty label as no
// label at all, so one descriptor serves both.
func periodDesc(name, help string, team func(bounds) bool, labels ...string) *prometheus.Desc {
	return newDesc(name, help, append(append([]string{LabelPeriod}, labels...), LabelTeam), emptyUnless(LabelTeam, team))
}

var (
	periodIncidentsDesc = periodDesc(MetricPeriodIncidents,
		"Incidents started in the calendar period (in the configured time zone), by severity.", withPeriodsByTeam, LabelSeverity)
	periodClassDescs = [3]*prometheus.Desc{
		periodDesc(MetricPeriodIncidentsByDetection, "Incidents started in the period, by who or what detected them first.", withPeriodsByTeam, LabelDetection),
		periodDesc(MetricPeriodIncidentsByOrigin, "Incidents started in the period, by where the fault came from.", withPeriodsByTeam, LabelOrigin),
		periodDesc(MetricPeriodIncidentsByResolution, "Resolved incidents started in the period, by how they were resolved.", withPeriodsByTeam, LabelResolution),
	}
	periodSecurityDesc = periodDesc(MetricPeriodSecurityIncidents, "Security incidents started in the period.", never)
	periodDataLossDesc = periodDesc(MetricPeriodIncidentsDataLoss, "Incidents started in the period that lost data.", never)
	periodRepeatDesc   = periodDesc(MetricPeriodRepeatIncidents,
		"Incidents started in the period that repeat an earlier incident which still had open action items when they started.", never)
	periodItemsDueDesc = periodDesc(MetricPeriodActionItemsDue,
		"Action items due in the period, by outcome as of now: done on_time (before the end of the due day), done late, still open, wont_do.", withPeriodsByTeam, LabelOutcome)
	periodItemsCreatedDesc = periodDesc(MetricPeriodActionItemsCreated, "Action items created in the period.", never)
	periodItemsClosedDesc  = periodDesc(MetricPeriodActionItemsClosed, "Action items done or dropped (wont_do) in the period.", never)

	periodDurationDescs = [snapshot.DurationKinds]*prometheus.Desc{
		newDesc(MetricPeriodTimeToDetect, "Exact summary of detected_at − started_at of the incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, summaryOf(snapshot.SummaryQuantiles)),
		newDesc(MetricPeriodTimeToMitigate, "Exact summary of mitigated_at − started_at of the mitigated incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, summaryOf(snapshot.SummaryQuantiles)),
		newDesc(MetricPeriodTimeToRecover, "Exact summary of resolved_at − started_at of the resolved incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, summaryOf(snapshot.SummaryQuantiles)),
		newDesc(MetricPeriodTimeToAcknowledge, "Exact summary of acknowledged_at − started_at of the acknowledged incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, summaryOf(snapshot.SummaryQuantiles)),
	}
	// periodTeamDurationDescs are the summaries per team the trend
	// dashboard shows; the time to mitigate is not among them.
	periodTeamDurationDescs = map[int]*prometheus.Desc{
		snapshot.TimeToDetect: newDesc(MetricPeriodTeamTimeToDetect,
			"Exact median, sum and count of detected_at − started_at of the incidents started in the period, by team.",
			[]string{LabelPeriod, LabelTeam}, summaryOf(snapshot.TeamQuantiles), onlyWith(withPeriodsByTeam)),
		snapshot.TimeToRecover: newDesc(MetricPeriodTeamTimeToRecover,
			"Exact median, sum and count of resolved_at − started_at of the resolved incidents started in the period, by team.",
			[]string{LabelPeriod, LabelTeam}, summaryOf(snapshot.TeamQuantiles), onlyWith(withPeriodsByTeam)),
	}
	periodCoveredDesc = newDesc(MetricPeriodCovered,
		"Time of the calendar period elapsed when the snapshot was built: the whole period for the past ones, the days so far for the current one, which is partial. "+
			"previous names the period before it (empty for the oldest), so that a query compares each period with the previous one.",
		[]string{LabelPeriod, LabelPrevious}, listedUpTo(func(b bounds) int { return b.opts.Periods.Count }))
	periodsByTeamDesc = newDesc(MetricPeriodsByTeam,
		"1 when the period metrics of incidents, classifications and items due carry the team (--periods.by-team, or auto while the teams fit the series budget); 0 when they are summed over the teams.",
		nil)
)

// periodsCollector publishes the calendar periods: the trends a forum
// reads, from the first scrape on.
type periodsCollector struct{}

func (periodsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	gauge(ch, periodsByTeamDesc, boolValue(s.PeriodsByTeam))
	previous := ""
	for _, p := range s.Periods {
		name := p.Period.Name
		end := p.Period.End
		if s.AsOf.Before(end) {
			end = s.AsOf
		}
		gauge(ch, periodCoveredDesc, max(end.Sub(p.Period.Start), 0).Seconds(), name, previous)
		previous = name
		send := func(d *prometheus.Desc, v int, team string, labels ...string) {
			gauge(ch, d, float64(v), append(append([]string{name}, labels...), team)...)
		}
		for k, n := range p.Incidents {
			send(periodIncidentsDesc, n, k.Team, k.Severity)
		}
		for i, counts := range []map[snapshot.TeamValue]int{p.ByDetection, p.ByOrigin, p.ByResolution} {
			for k, n := range counts {
				send(periodClassDescs[i], n, k.Team, k.Value)
			}
		}
		for k, n := range p.ItemsDue {
			send(periodItemsDueDesc, n, k.Team, k.Value)
		}
		for _, c := range []struct {
			desc   *prometheus.Desc
			counts map[string]int
		}{{periodSecurityDesc, p.Security}, {periodDataLossDesc, p.DataLoss}, {periodRepeatDesc, p.Repeat},
			{periodItemsCreatedDesc, p.ItemsCreated}, {periodItemsClosedDesc, p.ItemsClosed}} {
			for team, n := range c.counts {
				send(c.desc, n, team)
			}
		}
		for sev, d := range p.BySeverity {
			for i := range d {
				summary(ch, periodDurationDescs[i], &d[i], name, sev)
			}
		}
		for team, d := range p.ByTeam {
			for i, desc := range periodTeamDurationDescs {
				summary(ch, desc, &d[i], name, team)
			}
		}
	}
	return nil
}

// summary sends one summary in seconds. Durations are never negative: a
// sum or quantile that is negative or not a finite number is refused, like
// gauge refuses one, which fails the collector.
func summary(ch chan<- prometheus.Metric, desc *prometheus.Desc, s *snapshot.Summary, labels ...string) {
	values := []float64{s.Sum}
	for _, v := range s.Quantiles {
		values = append(values, v)
	}
	for _, v := range values {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			ch <- invalidSample{desc, fmt.Errorf("%s would hold %v: a duration is finite and never negative", series(desc, labels), v)}
			return
		}
	}
	ch <- prometheus.MustNewConstSummary(desc, s.Count, s.Sum, s.Quantiles, labels...)
}
