package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// periodDesc is a period metric without and with the team label: the
// team is only there with --periods.by-team.
type periodDesc [2]*prometheus.Desc

func newPeriodDesc(name, help string, labels ...string) periodDesc {
	labels = append([]string{LabelPeriod}, labels...)
	return periodDesc{
		prometheus.NewDesc(name, help, labels, nil),
		prometheus.NewDesc(name, help, append(labels, LabelTeam), nil),
	}
}

// of returns the desc and the labels to send after the period's: the
// team's only when the snapshot keeps it.
func (d periodDesc) of(s *snapshot.Snapshot, team string, labels ...string) (*prometheus.Desc, []string) {
	if s.PeriodsByTeam {
		return d[1], append(labels, team)
	}
	return d[0], labels
}

var (
	periodIncidentsDesc = newPeriodDesc(MetricPeriodIncidents,
		"Incidents started in the calendar period (in the configured time zone), by severity.", LabelSeverity)
	periodClassDescs = [3]periodDesc{
		newPeriodDesc(MetricPeriodIncidentsByDetection, "Incidents started in the period, by who or what detected them first.", LabelDetection),
		newPeriodDesc(MetricPeriodIncidentsByOrigin, "Incidents started in the period, by where the fault came from.", LabelOrigin),
		newPeriodDesc(MetricPeriodIncidentsByResolution, "Resolved incidents started in the period, by how they were resolved.", LabelResolution),
	}
	periodSecurityDesc = newPeriodDesc(MetricPeriodSecurityIncidents, "Security incidents started in the period.")
	periodDataLossDesc = newPeriodDesc(MetricPeriodIncidentsDataLoss, "Incidents started in the period that lost data.")
	periodRepeatDesc   = newPeriodDesc(MetricPeriodRepeatIncidents,
		"Incidents started in the period that repeat an earlier incident which still had open action items when they started.")
	periodItemsDueDesc = newPeriodDesc(MetricPeriodActionItemsDue,
		"Action items due in the period, by outcome as of now: done on_time (before the end of the due day), done late, still open, wont_do.", LabelOutcome)
	periodItemsCreatedDesc = newPeriodDesc(MetricPeriodActionItemsCreated, "Action items created in the period.")
	periodItemsClosedDesc  = newPeriodDesc(MetricPeriodActionItemsClosed, "Action items done or dropped (wont_do) in the period.")

	periodDurationDescs = [snapshot.DurationKinds]*prometheus.Desc{
		prometheus.NewDesc(MetricPeriodTimeToDetect, "Exact summary of detected_at − started_at of the incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, nil),
		prometheus.NewDesc(MetricPeriodTimeToMitigate, "Exact summary of mitigated_at − started_at of the mitigated incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, nil),
		prometheus.NewDesc(MetricPeriodTimeToRecover, "Exact summary of resolved_at − started_at of the resolved incidents started in the period, by severity.",
			[]string{LabelPeriod, LabelSeverity}, nil),
	}
	periodTeamDurationDescs = [snapshot.DurationKinds]*prometheus.Desc{
		prometheus.NewDesc(MetricPeriodTeamTimeToDetect, "Sum and count of detected_at − started_at of the incidents started in the period, by team.",
			[]string{LabelPeriod, LabelTeam}, nil),
		prometheus.NewDesc(MetricPeriodTeamTimeToMitigate, "Sum and count of mitigated_at − started_at of the mitigated incidents started in the period, by team.",
			[]string{LabelPeriod, LabelTeam}, nil),
		prometheus.NewDesc(MetricPeriodTeamTimeToRecover, "Sum and count of resolved_at − started_at of the resolved incidents started in the period, by team.",
			[]string{LabelPeriod, LabelTeam}, nil),
	}
)

// periodsCollector publishes the calendar periods: the trends a forum
// reads, from the first scrape on.
type periodsCollector struct{}

func (periodsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for _, p := range s.Periods {
		name := p.Period.Name
		send := func(d periodDesc, v int, team string, labels ...string) {
			desc, rest := d.of(s, team, labels...)
			gauge(ch, desc, float64(v), append([]string{name}, rest...)...)
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
			desc   periodDesc
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
			for i := range d {
				summary(ch, periodTeamDurationDescs[i], &d[i], name, team)
			}
		}
	}
	return nil
}

// summary sends one summary in seconds.
func summary(ch chan<- prometheus.Metric, desc *prometheus.Desc, s *snapshot.Summary, labels ...string) {
	ch <- prometheus.MustNewConstSummary(desc, s.Count, s.Sum, s.Quantiles, labels...)
}
