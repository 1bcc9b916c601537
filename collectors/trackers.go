package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

var (
	trackerUpDesc = newDesc(MetricTrackerUp,
		"Whether the last sync read the tracker's tickets (1) or not (0: down, refused, rate-limited); when 0 its tickets' last known states are served.",
		[]string{LabelTracker}, onlyWith(withTrackers))
	trackerLastSuccessDesc = newDesc(MetricTrackerLastSuccess,
		"When the tracker's tickets were last read successfully, in Unix seconds (0 before the first).", []string{LabelTracker}, onlyWith(withTrackers))
	trackerRequestsDesc = newDesc(MetricTrackerRequests,
		"Requests to the tracker's API since the exporter started, by outcome (every attempt, retries included).",
		[]string{LabelTracker, LabelOutcome}, valuesOf(LabelOutcome, apiclient.Outcomes), onlyWith(withTrackers))
	trackerItemsDesc = newDesc(MetricTrackerItems,
		"Action items whose url names a ticket of the tracker.", []string{LabelTracker}, onlyWith(withTrackers))
	trackerStaleDesc = newDesc(MetricTrackerItemsStale,
		"Action items of the tracker whose ticket was not read in its last 3 syncs: they are served in the state last read, or the record's.",
		[]string{LabelTracker}, onlyWith(withTrackers))
)

// trackerDescs are the descriptors of the trackers' status, gathered on
// every scrape.
var trackerDescs = []*prometheus.Desc{trackerUpDesc, trackerLastSuccessDesc, trackerRequestsDesc, trackerItemsDesc, trackerStaleDesc}

// Trackers returns the collector of the trackers' status (ticketsync),
// gathered on every scrape: it reads what the sync loop keeps, never a
// tracker.
func Trackers(statuses func() []ticketsync.Status) prometheus.Collector {
	return trackersCollector(statuses)
}

type trackersCollector func() []ticketsync.Status

func (c trackersCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range trackerDescs {
		ch <- d
	}
}

func (c trackersCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c() {
		lastSuccess := 0.0
		if !st.LastSuccess.IsZero() {
			lastSuccess = unixSeconds(st.LastSuccess)
		}
		ch <- prometheus.MustNewConstMetric(trackerUpDesc, prometheus.GaugeValue, boolValue(st.Up), st.Tracker)
		ch <- prometheus.MustNewConstMetric(trackerLastSuccessDesc, prometheus.GaugeValue, lastSuccess, st.Tracker)
		for _, o := range apiclient.Outcomes {
			ch <- prometheus.MustNewConstMetric(trackerRequestsDesc, prometheus.CounterValue, float64(st.Requests[o]), st.Tracker, o)
		}
		ch <- prometheus.MustNewConstMetric(trackerItemsDesc, prometheus.GaugeValue, float64(st.Items), st.Tracker)
		ch <- prometheus.MustNewConstMetric(trackerStaleDesc, prometheus.GaugeValue, float64(st.Stale), st.Tracker)
	}
}
