package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	reviewsPendingDesc = newDesc(MetricReviewsPending,
		"Incidents whose post-mortem is not published yet, by review status.", []string{LabelTeam, LabelStatus}, valuesOf(LabelStatus, pendingStatuses))
	reviewsPendingAgeDesc = newDesc(MetricReviewsPendingAge,
		"Time since the oldest resolved incident with an unpublished post-mortem was resolved.", []string{LabelTeam, LabelStatus}, valuesOf(LabelStatus, pendingStatuses))
)

// reviewsCollector publishes the post-mortems still waiting for review.
type reviewsCollector struct{}

func (reviewsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for k, p := range s.ReviewsPending {
		gauge(ch, reviewsPendingDesc, float64(p.Count), k.Team, k.Status)
		if !p.OldestResolved.IsZero() {
			gauge(ch, reviewsPendingAgeDesc, s.AsOf.Sub(p.OldestResolved).Seconds(), k.Team, k.Status)
		}
	}
	return nil
}
