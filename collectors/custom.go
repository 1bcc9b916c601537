package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var byCustomDesc = newDesc(MetricIncidentsByCustom,
	`Incidents started in the window by the value of each custom field named in --metrics.custom-labels; only the top values of each field by count, the rest summed as value="other".`,
	[]string{LabelWindow, LabelKey, LabelValue})

// customCollector publishes the breakdown by the configured custom fields.
type customCollector struct{}

func (customCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for _, w := range s.Windows {
		for k, n := range w.Custom {
			gauge(ch, byCustomDesc, float64(n), w.Window.Name, k.Key, k.Value)
		}
	}
	return nil
}
