// Package collectors publishes a snapshot of post-mortem aggregates as
// Prometheus metrics. Scrapes only read the current snapshot; they never
// touch the source.
package collectors

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// A collector publishes one group of metrics from a snapshot.
type collector interface {
	Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error
}

// collectorsByName are all collectors, run on every scrape; the name is the
// `collector` label of the per-collector self-metrics.
var collectorsByName = map[string]collector{
	"incidents":    incidentsCollector{},
	"durations":    durationsCollector{},
	"impact":       impactCollector{},
	"services":     servicesCollector{},
	"action_items": actionItemsCollector{},
	"reviews":      reviewsCollector{},
	"records":      recordsCollector{},
	"periods":      periodsCollector{},
}

// RefreshStatus is how the refresh loop stands, published as self-metrics.
type RefreshStatus struct {
	Source       string
	Up           bool          // the last refresh read the source
	LastDuration time.Duration // of the last refresh, successful or not
	LastSuccess  time.Time     // zero before the first success
	Errors       uint64        // failed refreshes since start
}

// Provider hands the collectors the snapshot to publish (nil before the
// first successful refresh) and the refresh status.
type Provider interface {
	Current() (*snapshot.Snapshot, RefreshStatus)
}

var (
	collectorSuccessDesc = prometheus.NewDesc(MetricCollectorSuccess,
		"Whether a collector succeeded on this scrape (1) or failed (0).", []string{LabelCollector}, nil)
	collectorDurationDesc = prometheus.NewDesc(MetricCollectorDuration,
		"How long a collector took on this scrape.", []string{LabelCollector}, nil)
	refreshDurationDesc = prometheus.NewDesc(MetricRefreshDuration,
		"How long the last refresh of the snapshot took, successful or not.", nil, nil)
	lastSuccessDesc = prometheus.NewDesc(MetricLastRefreshSuccess,
		"When the snapshot was last refreshed successfully, in Unix seconds.", nil, nil)
	sourceUpDesc = prometheus.NewDesc(MetricSourceUp,
		"Whether the last refresh could read the records source (1) or not (0); when 0 the last good snapshot is served.", []string{LabelSource}, nil)
	refreshErrorsDesc = prometheus.NewDesc(MetricRefreshErrors,
		"Refreshes that failed to read the source since the exporter started.", nil, nil)
	snapshotTimestampDesc = prometheus.NewDesc(MetricSnapshotTimestamp,
		"The instant the served snapshot was computed as of, in Unix seconds.", nil, nil)
)

// Exporter is the prometheus.Collector that runs every collector over the
// current snapshot, so one failing collector never hides the others.
type Exporter struct {
	provider Provider
	logger   *slog.Logger
}

// New returns an Exporter publishing what provider holds.
func New(provider Provider, logger *slog.Logger) *Exporter {
	return &Exporter{provider: provider, logger: logger}
}

// Describe sends nothing: the metrics depend on the snapshot, so the
// Exporter is an unchecked collector, like node_exporter's.
func (e *Exporter) Describe(chan<- *prometheus.Desc) {}

// Collect publishes the refresh status and, once there is a snapshot, every
// collector's metrics.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	snap, status := e.provider.Current()
	collectRefreshStatus(status, ch)
	if snap == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(snapshotTimestampDesc, prometheus.GaugeValue, unixSeconds(snap.AsOf))
	for name, c := range collectorsByName {
		start := time.Now()
		err := c.Update(snap, ch)
		ch <- prometheus.MustNewConstMetric(collectorDurationDesc, prometheus.GaugeValue, time.Since(start).Seconds(), name)
		success := 1.0
		if err != nil {
			success = 0
			e.logger.Error("collector failed", "collector", name, "err", err)
		}
		ch <- prometheus.MustNewConstMetric(collectorSuccessDesc, prometheus.GaugeValue, success, name)
	}
}

func collectRefreshStatus(st RefreshStatus, ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(sourceUpDesc, prometheus.GaugeValue, boolValue(st.Up), st.Source)
	ch <- prometheus.MustNewConstMetric(refreshDurationDesc, prometheus.GaugeValue, st.LastDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(refreshErrorsDesc, prometheus.CounterValue, float64(st.Errors))
	if !st.LastSuccess.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, unixSeconds(st.LastSuccess))
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// gauge sends one gauge sample.
func gauge(ch chan<- prometheus.Metric, desc *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
}

// histogram sends one histogram in seconds.
func histogram(ch chan<- prometheus.Metric, desc *prometheus.Desc, h *snapshot.Histogram, labels ...string) {
	ch <- prometheus.MustNewConstHistogram(desc, h.Count, h.Sum, h.Cumulative(), labels...)
}
