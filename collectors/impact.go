package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// The impact sums are by window and team; with --metrics.detail also by
// severity. Without it the severity label is empty, which Prometheus
// stores as no label at all: one descriptor serves both.
var (
	customersAffectedDesc = newDesc(MetricImpactCustomers,
		"Customers affected, summed over the incidents started in the window.", []string{LabelWindow, LabelSeverity, LabelTeam},
		emptyUnless(LabelSeverity, withDetail))
	failedRequestsDesc = newDesc(MetricImpactFailedRequests,
		"Failed requests, summed over the incidents started in the window.", []string{LabelWindow, LabelSeverity, LabelTeam},
		emptyUnless(LabelSeverity, withDetail))
	dataLossDesc = newDesc(MetricIncidentsDataLoss,
		"Incidents started in the window that lost data.", []string{LabelWindow, LabelTeam})
	securityDesc = newDesc(MetricSecurityIncidents,
		"Incidents started in the window that were security incidents.", []string{LabelWindow, LabelTeam})
)

// impactCollector publishes what the incidents cost.
type impactCollector struct{}

func (impactCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for _, w := range s.Windows {
		name := w.Window.Name
		dataLoss := map[string]int{}
		security := map[string]int{}
		customers := map[string]int64{}
		failed := map[string]int64{}
		for k, st := range w.Incidents {
			if s.Detail {
				gauge(ch, customersAffectedDesc, float64(st.CustomersAffected), name, k.Severity, k.Team)
				gauge(ch, failedRequestsDesc, float64(st.FailedRequests), name, k.Severity, k.Team)
			}
			customers[k.Team] += st.CustomersAffected
			failed[k.Team] += st.FailedRequests
			dataLoss[k.Team] += st.DataLoss
			security[k.Team] += st.Security
		}
		for team, n := range dataLoss {
			if !s.Detail {
				gauge(ch, customersAffectedDesc, float64(customers[team]), name, "", team)
				gauge(ch, failedRequestsDesc, float64(failed[team]), name, "", team)
			}
			gauge(ch, dataLossDesc, float64(n), name, team)
			gauge(ch, securityDesc, float64(security[team]), name, team)
		}
	}
	return nil
}
