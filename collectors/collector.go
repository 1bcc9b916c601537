// Package collectors publishes a snapshot of post-mortem aggregates as
// Prometheus metrics. Scrapes only read the current snapshot; they never
// touch the source.
package collectors

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// A collector publishes one group of metrics from a snapshot. Update
// sends them on ch with gauge and histogram, which refuse a value that
// cannot be right (a negative count, NaN, a histogram whose counts went
// below zero); it returns an error when the snapshot lacks what the
// collector needs. Either way the collector fails, but one bad value never
// darkens the rest: the Exporter publishes every sample that was not
// refused, counts the refused ones in
// postmortem_exporter_collector_samples_refused, and reports the failure
// in postmortem_exporter_collector_success; a collector that panics
// publishes nothing. The other collectors are published as usual.
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
	"custom":       customCollector{},
	"action_items": actionItemsCollector{},
	"reviews":      reviewsCollector{},
	"records":      recordsCollector{},
	"periods":      periodsCollector{},
	"quality":      qualityCollector{},
}

// Provider hands the collectors the snapshot to publish (nil before the
// first successful refresh) and the refresh status.
type Provider interface {
	Current() (*snapshot.Snapshot, refresh.Status)
}

var (
	collectorSuccessDesc = newDesc(MetricCollectorSuccess,
		"Whether a collector succeeded on the served snapshot (1) or failed (0): a failed collector publishes the samples it could (postmortem_exporter_collector_samples_refused counts the others), and the exporter logs why.",
		[]string{LabelCollector})
	collectorDurationDesc = newDesc(MetricCollectorDuration,
		"How long a collector took to compute its metrics from the served snapshot (once per snapshot and format: its scrapes are served that result).", []string{LabelCollector})
	collectorRefusedDesc = newDesc(MetricCollectorRefused,
		"Samples a collector could not publish from the served snapshot (a negative count, NaN, a severity outside the taxonomy); the exporter logs why, and publishes the collector's other samples.",
		[]string{LabelCollector})
	refreshDurationDesc = newDesc(MetricRefreshDuration,
		"How long the last refresh of the snapshot took, successful or not.", nil)
	lastSuccessDesc = newDesc(MetricLastRefreshSuccess,
		"When the snapshot was last refreshed successfully, in Unix seconds.", nil)
	sourceUpDesc = newDesc(MetricSourceUp,
		"Whether the last refresh could read the records source (1) or not (0); when 0 the last good snapshot is served.", []string{LabelSource})
	refreshErrorsDesc = newDesc(MetricRefreshErrors,
		"Refreshes that failed to read the source since the exporter started.", nil)
	snapshotTimestampDesc = newDesc(MetricSnapshotTimestamp,
		"The instant the served snapshot was computed as of, in Unix seconds.", nil)
	reloadSuccessDesc = newDesc(MetricConfigReloadSuccess,
		"Whether the last reload of the taxonomy and quality rules files (on SIGHUP) succeeded (1) or was rejected (0); a rejected reload leaves both current ones in use.", nil)
	reloadErrorsDesc = newDesc(MetricConfigReloadErrors,
		"Reloads of the taxonomy and quality rules files (on SIGHUP) rejected since the exporter started.", nil)
)

// described are every descriptor of the package, in creation order, and
// their metric and label names: what Describe sends and what errors name.
var (
	described     []*prometheus.Desc
	describedName = map[*prometheus.Desc]descName{}
)

type descName struct {
	metric string
	labels []string
	shape  shape
}

// newDesc makes a descriptor without constant labels, a gauge unless its
// shape says otherwise, and remembers it for Describe and SeriesBound.
// Every descriptor of the package is made with it.
func newDesc(fqName, help string, labels []string, options ...shapeOption) *prometheus.Desc {
	d := prometheus.NewDesc(fqName, help, labels, nil)
	described = append(described, d)
	describedName[d] = descName{fqName, labels, newShape(labels, options)}
	return d
}

// series names one sample for an error message: metric{label="value"}.
func series(desc *prometheus.Desc, values []string) string {
	n := describedName[desc]
	pairs := make([]string, len(values))
	for i, v := range values {
		name := "?"
		if i < len(n.labels) {
			name = n.labels[i]
		}
		pairs[i] = fmt.Sprintf("%s=%q", name, v)
	}
	return n.metric + "{" + strings.Join(pairs, ",") + "}"
}

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

// Describe sends every descriptor of the package: whatever the snapshot
// holds, the Exporter publishes no other metric, so the registry checks
// each sample against its descriptor and catches a name collision when the
// Exporter is registered.
func (e *Exporter) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range described {
		ch <- d
	}
}

// Collect publishes the refresh status and, once there is a snapshot, every
// collector's metrics. All of them read the one snapshot taken here, so a
// scrape never mixes two refreshes.
func (e *Exporter) Collect(ch chan<- prometheus.Metric) {
	snap, status := e.provider.Current()
	collectRefreshStatus(status, ch)
	if snap != nil {
		e.collectSnapshot(snap, ch)
	}
}

// Status is the Exporter's refresh status alone: the part of its metrics
// that changes without a new snapshot, which an HTTP handler gathers on
// every scrape (see Snapshot for the rest).
func (e *Exporter) Status() prometheus.Collector { return statusCollector{e} }

// Snapshot returns the snapshot to serve (nil before the first) and the
// gatherer of the Exporter's metrics computed from it: everything but the
// refresh status. Those are the same for every scrape of the snapshot,
// so an HTTP handler may gather and encode them once per snapshot; its
// collectors then run once per gather, and
// postmortem_exporter_collector_duration_seconds says how long they took.
func (e *Exporter) Snapshot() (*snapshot.Snapshot, prometheus.Gatherer) {
	snap, _ := e.provider.Current()
	if snap == nil {
		return nil, nil
	}
	return snap, prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		reg := prometheus.NewRegistry()
		if err := reg.Register(snapshotCollector{e, snap}); err != nil {
			return nil, err
		}
		return reg.Gather()
	})
}

// statusDescs are the descriptors of the refresh status.
var statusDescs = []*prometheus.Desc{sourceUpDesc, refreshDurationDesc, refreshErrorsDesc, reloadSuccessDesc, reloadErrorsDesc, lastSuccessDesc}

type statusCollector struct{ e *Exporter }

func (c statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range statusDescs {
		ch <- d
	}
}

func (c statusCollector) Collect(ch chan<- prometheus.Metric) {
	_, status := c.e.provider.Current()
	collectRefreshStatus(status, ch)
}

// snapshotCollector publishes what the Exporter computes from one snapshot.
type snapshotCollector struct {
	e    *Exporter
	snap *snapshot.Snapshot
}

func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range described {
		if !slices.Contains(statusDescs, d) && !slices.Contains(trackerDescs, d) {
			ch <- d
		}
	}
}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) { c.e.collectSnapshot(c.snap, ch) }

// collectSnapshot publishes every collector's metrics from snap, with the
// success and duration of each.
func (e *Exporter) collectSnapshot(snap *snapshot.Snapshot, ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(snapshotTimestampDesc, prometheus.GaugeValue, unixSeconds(snap.AsOf))
	for name, c := range collectorsByName {
		start := time.Now()
		out := update(c, snap)
		ch <- prometheus.MustNewConstMetric(collectorDurationDesc, prometheus.GaugeValue, time.Since(start).Seconds(), name)
		success := 1.0
		if out.err != nil {
			success = 0
			e.logger.Error("collector failed; the samples it could not publish are counted", "collector", name,
				"refused", out.refused, "err", out.err)
		}
		for _, m := range out.metrics {
			ch <- m
		}
		ch <- prometheus.MustNewConstMetric(collectorRefusedDesc, prometheus.GaugeValue, float64(out.refused), name)
		ch <- prometheus.MustNewConstMetric(collectorSuccessDesc, prometheus.GaugeValue, success, name)
	}
}

// updated is what one collector published on a scrape.
type updated struct {
	metrics []prometheus.Metric // the samples to publish
	refused int                 // the samples gauge and histogram refused
	err     error               // why it failed, nil when it did not
}

// update runs one collector and returns what it sent but the refused
// samples, how many those were, and why it failed: an error it returned,
// the values gauge and histogram refused, or a panic. A collector that
// panicked publishes nothing: what it sent before may be any part of its
// series.
func update(c collector, snap *snapshot.Snapshot) updated {
	buf := make(chan prometheus.Metric, 256)
	result := make(chan error, 1)
	panicked := false
	go func() {
		defer close(buf)
		defer func() {
			if p := recover(); p != nil {
				panicked = true
				result <- fmt.Errorf("panic: %v", p)
			}
		}()
		result <- c.Update(snap, buf)
	}()
	var out updated
	var refused []error
	for m := range buf {
		if bad, ok := m.(invalidSample); ok {
			refused = append(refused, bad.err)
			continue
		}
		out.metrics = append(out.metrics, m)
	}
	out.err = <-result
	if panicked {
		out.metrics = nil
	}
	if out.refused = len(refused); out.refused > 0 {
		more := ""
		if len(refused) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(refused)-1)
		}
		out.err = errors.Join(out.err, fmt.Errorf("%w%s", refused[0], more))
	}
	return out
}

func collectRefreshStatus(st refresh.Status, ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(sourceUpDesc, prometheus.GaugeValue, boolValue(st.Up), st.Source)
	ch <- prometheus.MustNewConstMetric(refreshDurationDesc, prometheus.GaugeValue, st.LastDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(refreshErrorsDesc, prometheus.CounterValue, float64(st.Errors))
	ch <- prometheus.MustNewConstMetric(reloadSuccessDesc, prometheus.GaugeValue, boolValue(!st.ReloadFailed))
	ch <- prometheus.MustNewConstMetric(reloadErrorsDesc, prometheus.CounterValue, float64(st.ReloadErrors))
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

// gauge sends one gauge sample. Every value the collectors publish is a
// count, a duration, a ratio or a timestamp: one that is negative or not a
// finite number is refused, which fails the collector.
func gauge(ch chan<- prometheus.Metric, desc *prometheus.Desc, v float64, labels ...string) {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		ch <- invalidSample{desc, fmt.Errorf("%s would be %v: a count, duration, ratio or timestamp is finite and never negative", series(desc, labels), v)}
		return
	}
	ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
}

// histogram sends one histogram in seconds; one that fails
// snapshot.Histogram.Check is refused, which fails the collector.
func histogram(ch chan<- prometheus.Metric, desc *prometheus.Desc, h *snapshot.Histogram, labels ...string) {
	if err := h.Check(); err != nil {
		ch <- invalidSample{desc, fmt.Errorf("%s: %w", series(desc, labels), err)}
		return
	}
	ch <- prometheus.MustNewConstHistogram(desc, h.Count, h.Sum, h.Cumulative(), labels...)
}

// invalidSample stands for a value that gauge or histogram refused; the
// Exporter turns it into the collector's error. Should one ever reach a
// registry, its Write fails with the reason.
type invalidSample struct {
	desc *prometheus.Desc
	err  error
}

func (m invalidSample) Desc() *prometheus.Desc { return m.desc }

func (m invalidSample) Write(*dto.Metric) error { return m.err }
