package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var byServiceDesc = newDesc(MetricIncidentsByService,
	`Incidents started in the window that affected the service; only the top services by count, the rest summed as service="other".`,
	[]string{LabelWindow, LabelService})

// servicesCollector publishes the services that keep failing.
type servicesCollector struct{}

func (servicesCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for _, w := range s.Windows {
		for svc, n := range w.Services {
			gauge(ch, byServiceDesc, float64(n), w.Window.Name, svc)
		}
	}
	return nil
}
