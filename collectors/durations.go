package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// duration is one of the three incident durations, as a histogram per team
// and as a plain mean across teams.
type duration struct {
	histogram *prometheus.Desc
	mean      *prometheus.Desc
	of        func(*snapshot.IncidentStats) *snapshot.Histogram
}

var durations = []duration{
	{
		histogram: newDesc(MetricTimeToDetect,
			"Time from started_at to detected_at of the incidents started in the window.", []string{LabelWindow, LabelSeverity, LabelTeam}, nil),
		mean: newDesc(MetricMTTD,
			"Mean time to detect (detected_at − started_at) of the incidents started in the window.", []string{LabelWindow, LabelSeverity}, nil),
		of: func(st *snapshot.IncidentStats) *snapshot.Histogram { return &st.TimeToDetect },
	},
	{
		histogram: newDesc(MetricTimeToMitigate,
			"Time from started_at to mitigated_at of the mitigated incidents started in the window.", []string{LabelWindow, LabelSeverity, LabelTeam}, nil),
		mean: newDesc(MetricMTTM,
			"Mean time to mitigate (mitigated_at − started_at) of the mitigated incidents started in the window.", []string{LabelWindow, LabelSeverity}, nil),
		of: func(st *snapshot.IncidentStats) *snapshot.Histogram { return &st.TimeToMitigate },
	},
	{
		histogram: newDesc(MetricTimeToRecover,
			"Time from started_at to resolved_at of the resolved incidents started in the window.", []string{LabelWindow, LabelSeverity, LabelTeam}, nil),
		mean: newDesc(MetricMTTR,
			"Mean time to recover (resolved_at − started_at) of the resolved incidents started in the window.", []string{LabelWindow, LabelSeverity}, nil),
		of: func(st *snapshot.IncidentStats) *snapshot.Histogram { return &st.TimeToRecover },
	},
}

// durationsCollector publishes time to detect, mitigate and recover.
type durationsCollector struct{}

func (durationsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for _, d := range durations {
		for _, w := range s.Windows {
			bySeverity := map[string]*snapshot.Histogram{}
			for k, st := range w.Incidents {
				h := d.of(st)
				histogram(ch, d.histogram, h, w.Window.Name, k.Severity, k.Team)
				total, ok := bySeverity[k.Severity]
				if !ok {
					empty := snapshot.NewHistogram(h.Bounds)
					total = &empty
					bySeverity[k.Severity] = total
				}
				total.Add(*h)
			}
			for sev, h := range bySeverity {
				if h.Count > 0 {
					gauge(ch, d.mean, h.Sum/float64(h.Count), w.Window.Name, sev)
				}
			}
		}
	}
	return nil
}
