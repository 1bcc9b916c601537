package collectors

import (
	"fmt"
	"slices"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
)

// SeriesBudget is the most series the exporter may publish with the
// default settings for an organisation of 200 teams (DESIGN: "Scale and
// speed"). --periods.by-team=auto keeps the team on the period metrics
// only while SeriesBound stays within it.
const SeriesBudget = 30000

// RuntimeSeries bounds the series of the collectors registered beside
// the Exporter in serve: the Go runtime and process metrics and the
// build info (47 served, go1.26). The Exporter's own series are derived
// from its descriptors like the others.
const RuntimeSeries = 60

// The series bound is derived from the descriptors: each one's labels are
// those it was made with (newDesc), each label takes at most the values
// labelValues gives it, and the descriptor's shape says what else counts
// (a summary's quantiles, a histogram's buckets, a label left empty, a
// list up to a limit).

// bounds are what the worst case depends on.
type bounds struct {
	opts          snapshot.Options
	teams         int
	periodsByTeam bool
}

// labelValues gives the most values a label takes. A label that has no
// entry (id, owner, ...) may only be on a listed descriptor.
var labelValues = map[string]func(b bounds) int{
	LabelWindow:     func(b bounds) int { return len(b.opts.Windows) },
	LabelSeverity:   func(b bounds) int { return len(b.opts.Severities) },
	LabelTeam:       func(b bounds) int { return b.teams },
	LabelDetection:  func(b bounds) int { return len(b.opts.Taxonomy.Detections) },
	LabelOrigin:     func(b bounds) int { return len(b.opts.Taxonomy.Origins) },
	LabelResolution: func(b bounds) int { return len(b.opts.Taxonomy.Resolutions) },
	LabelPeriod:     func(b bounds) int { return b.opts.Periods.Count },
	LabelOutcome:    func(bounds) int { return len(snapshot.ItemOutcomes) },
	LabelStatus:     func(bounds) int { return len(record.ItemStatuses) },
	LabelRule:       func(b bounds) int { return len(rulesPublished(b.opts.Trackers)) },
	LabelService:    func(b bounds) int { return b.opts.TopServices + 1 }, // + "other"
	LabelKey:        func(b bounds) int { return len(b.opts.CustomLabels) },
	LabelValue:      func(b bounds) int { return b.opts.TopCustomValues + 1 }, // + "other"
	LabelSource:     func(bounds) int { return 1 },
	LabelReason:     func(bounds) int { return len(InvalidReasons) },
	LabelCollector:  func(bounds) int { return len(collectorsByName) },
	LabelTracker:    func(bounds) int { return trackers.MaxTrackers },
}

// shape is what a descriptor declares, beside its labels, about the
// series it can have.
type shape struct {
	samples   func(b bounds) int             // series per label combination: 1 for a gauge
	published func(b bounds) bool            // nil: always
	filled    map[string]func(b bounds) bool // a label that is empty ("") unless this holds
	values    map[string]func(b bounds) int  // a label with other values than labelValues'
	listed    func(b bounds) int             // at most this many series, whatever the labels
	teamsUpTo int                            // series with a team beyond those with team=""
}

// A shapeOption declares part of a descriptor's shape to newDesc.
type shapeOption func(*shape)

// summaryOf: a summary with these quantiles, its sum and count.
func summaryOf(quantiles []float64) shapeOption {
	return func(s *shape) { s.samples = func(bounds) int { return len(quantiles) + 2 } }
}

// histogramOf: a histogram with these buckets, +Inf, its sum and count.
func histogramOf(buckets []float64) shapeOption {
	return func(s *shape) { s.samples = func(bounds) int { return len(buckets) + 3 } }
}

// onlyWith: published only when the condition holds.
func onlyWith(cond func(b bounds) bool) shapeOption {
	return func(s *shape) { s.published = cond }
}

// emptyUnless: label is empty unless the condition holds.
func emptyUnless(label string, cond func(b bounds) bool) shapeOption {
	return func(s *shape) { s.filled[label] = cond }
}

// valuesOf: label takes these values on this descriptor.
func valuesOf(label string, values []string) shapeOption {
	return func(s *shape) { s.values[label] = func(bounds) int { return len(values) } }
}

// listedUpTo: one series per listed thing, at most limit of them.
func listedUpTo(limit func(b bounds) int) shapeOption {
	return func(s *shape) { s.listed = limit }
}

// teamUpTo: the team label is filled on at most limit series; the rest
// are summed under team="".
func teamUpTo(limit int) shapeOption {
	return func(s *shape) { s.filled[LabelTeam], s.teamsUpTo = never, limit }
}

// Conditions of emptyUnless and onlyWith.
func withDetail(b bounds) bool        { return b.opts.Detail }
func withTrackers(b bounds) bool      { return b.opts.Trackers }
func withPeriodsByTeam(b bounds) bool { return b.periodsByTeam }
func never(bounds) bool               { return false }

func newShape(labels []string, options []shapeOption) shape {
	s := shape{samples: func(bounds) int { return 1 }, filled: map[string]func(bounds) bool{}, values: map[string]func(bounds) int{}}
	for _, o := range options {
		o(&s)
	}
	if s.listed == nil {
		for _, l := range labels {
			if _, ok := labelValues[l]; !ok && s.values[l] == nil {
				panic(fmt.Sprintf("collectors: label %q has no bound: give it one in labelValues or list the metric up to a limit", l))
			}
		}
	}
	return s
}

// series is the most series of a descriptor with these labels.
func (s shape) series(labels []string, b bounds) int {
	if s.published != nil && !s.published(b) {
		return 0
	}
	if s.listed != nil {
		return s.listed(b) * s.samples(b)
	}
	n := 1
	for _, l := range labels {
		switch {
		case s.filled[l] != nil && !s.filled[l](b):
		case s.values[l] != nil:
			n *= s.values[l](b)
		default:
			n *= labelValues[l](b)
		}
	}
	return (n + s.teamsUpTo) * s.samples(b)
}

// SeriesBound is the most series the exporter publishes under opts for
// an organisation of teams teams, with every label combination filled,
// with or without the team on the period metrics: the sum over the
// descriptors of the product of their labels' values, and RuntimeSeries
// (docs/metrics.md, "Label cardinality").
func SeriesBound(opts snapshot.Options, teams int, periodsByTeam bool) int {
	descs := make([]descName, len(described))
	for i, d := range described {
		descs[i] = describedName[d]
	}
	return RuntimeSeries + seriesOf(descs, bounds{opts, teams, periodsByTeam})
}

// seriesOf sums the most series of the descriptors.
func seriesOf(descs []descName, b bounds) int {
	total := 0
	for _, n := range descs {
		total += n.shape.series(n.labels, b)
	}
	return total
}

// PeriodTeamsLimit is the most teams for which --periods.by-team=auto
// keeps the team on the period metrics: beyond it, SeriesBound with the
// team would exceed SeriesBudget. The series --metrics.detail adds are
// not counted, nor those of the trackers (--trackers.file): they are opted
// in beyond the budget. 56 with the defaults.
func PeriodTeamsLimit(opts snapshot.Options) int {
	opts.Detail, opts.Trackers = false, false
	fixed := SeriesBound(opts, 0, true)
	perTeam := SeriesBound(opts, 1, true) - fixed
	return max(0, (SeriesBudget-fixed)/perTeam)
}

// pendingStatuses are the statuses of a post-mortem still to publish.
var pendingStatuses = slices.DeleteFunc(slices.Clone(record.ReviewStatuses), func(s string) bool { return s == record.StatusPublished })
