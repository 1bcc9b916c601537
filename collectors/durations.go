package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// duration is one of the incident durations: an exact summary per
// severity and one per team (quantiles do not add up, so each breakdown
// has its own), a plain mean per severity, and, with --metrics.detail, a
// histogram per severity and team. The time to acknowledge has the
// summary and mean per severity only (nil byTeam and histogram).
type duration struct {
	kind       int // snapshot.TimeToDetect, ...
	bySeverity *prometheus.Desc
	byTeam     *prometheus.Desc
	mean       *prometheus.Desc
	histogram  *prometheus.Desc
	// teamByDefault: the per-team summary is in the default series budget;
	// otherwise it comes with --metrics.detail.
	teamByDefault bool
	of            func(*snapshot.IncidentStats) *snapshot.Histogram
}

func newDuration(kind int, metric, teamMetric, detailMetric, meanMetric, what string, teamByDefault bool,
	of func(*snapshot.IncidentStats) *snapshot.Histogram,
) duration {
	teamShape := []shapeOption{summaryOf(snapshot.TeamQuantiles)}
	if !teamByDefault {
		teamShape = append(teamShape, onlyWith(withDetail))
	}
	d := newSeverityDuration(kind, metric, meanMetric, what)
	d.byTeam = newDesc(teamMetric,
		"Exact summary (median, sum, count) of "+what+" started in the window, over all severities.", []string{LabelWindow, LabelTeam}, teamShape...)
	d.histogram = newDesc(detailMetric,
		"Histogram of "+what+" started in the window (--metrics.detail).", []string{LabelWindow, LabelSeverity, LabelTeam},
		histogramOf(snapshot.IncidentDurationBuckets), onlyWith(withDetail))
	d.teamByDefault, d.of = teamByDefault, of
	return d
}

// newSeverityDuration is a duration published per severity only.
func newSeverityDuration(kind int, metric, meanMetric, what string) duration {
	return duration{
		kind: kind,
		bySeverity: newDesc(metric,
			"Exact summary (median, p90, sum, count) of "+what+" started in the window, over all teams.", []string{LabelWindow, LabelSeverity},
			summaryOf(snapshot.SummaryQuantiles)),
		mean: newDesc(meanMetric,
			"Mean of "+what+" started in the window, over all teams.", []string{LabelWindow, LabelSeverity}),
	}
}

var durations = []duration{
	newDuration(snapshot.TimeToDetect, MetricTimeToDetect, MetricTeamTimeToDetect, MetricTeamSeverityTimeToDetect, MetricMTTD,
		"detected_at − started_at of the incidents", true,
		func(st *snapshot.IncidentStats) *snapshot.Histogram { return &st.TimeToDetect }),
	newDuration(snapshot.TimeToMitigate, MetricTimeToMitigate, MetricTeamTimeToMitigate, MetricTeamSeverityTimeToMitigate, MetricMTTM,
		"mitigated_at − started_at of the mitigated incidents", false,
		func(st *snapshot.IncidentStats) *snapshot.Histogram { return &st.TimeToMitigate }),
	newDuration(snapshot.TimeToRecover, MetricTimeToRecover, MetricTeamTimeToRecover, MetricTeamSeverityTimeToRecover, MetricMTTR,
		"resolved_at − started_at of the resolved incidents", true,
		func(st *snapshot.IncidentStats) *snapshot.Histogram { return &st.TimeToRecover }),
	newSeverityDuration(snapshot.TimeToAcknowledge, MetricTimeToAcknowledge, MetricMTTA,
		"acknowledged_at − started_at of the acknowledged incidents"),
}

// durationsCollector publishes time to detect, mitigate, recover and
// acknowledge.
type durationsCollector struct{}

func (durationsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for _, d := range durations {
		for _, w := range s.Windows {
			name := w.Window.Name
			for sev, sums := range w.BySeverity {
				sm := &sums[d.kind]
				summary(ch, d.bySeverity, sm, name, sev)
				if sm.Count > 0 {
					gauge(ch, d.mean, sm.Sum/float64(sm.Count), name, sev)
				}
			}
			if d.byTeam != nil && (d.teamByDefault || s.Detail) {
				for team, sums := range w.ByTeam {
					summary(ch, d.byTeam, &sums[d.kind], name, team)
				}
			}
			if d.histogram != nil && s.Detail {
				for k, st := range w.Incidents {
					histogram(ch, d.histogram, d.of(st), name, k.Severity, k.Team)
				}
			}
		}
	}
	return nil
}
