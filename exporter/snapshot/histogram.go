package snapshot

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Histogram counts observations in fixed buckets; histograms with the same
// bounds add up, so sources can merge partial aggregates.
type Histogram struct {
	Bounds []float64 // upper bounds, ascending; +Inf is implied
	Counts []uint64  // observations per bucket (not cumulative), len(Bounds)+1
	Count  uint64
	Sum    float64
}

// NewHistogram returns an empty histogram with the given bounds.
func NewHistogram(bounds []float64) Histogram {
	return Histogram{Bounds: bounds, Counts: make([]uint64, len(bounds)+1)}
}

// Observe adds one observation.
func (h *Histogram) Observe(v float64) { h.observe(v, 1) }

// observe adds an observation n times; -1 takes one back
// (WindowStats.RemoveIncident). The counts are unsigned: a count taken
// below zero wraps around and comes back when the observation is added
// again. A take-back that no addition matches leaves it wrapped, which
// Check reports.
func (h *Histogram) observe(v float64, n int) {
	i := 0
	for i < len(h.Bounds) && v > h.Bounds[i] {
		i++
	}
	h.Counts[i] += uint64(n)
	h.Count += uint64(n)
	h.Sum += float64(n) * v
}

// Add merges o, which must have the same bounds, into h.
func (h *Histogram) Add(o Histogram) {
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Count += o.Count
	h.Sum += o.Sum
}

// Cumulative returns the cumulative count per upper bound, as Prometheus
// histograms expose them (the +Inf bucket is Count).
func (h *Histogram) Cumulative() map[float64]uint64 {
	out := make(map[float64]uint64, len(h.Bounds))
	var total uint64
	for i, b := range h.Bounds {
		total += h.Counts[i]
		out[b] = total
	}
	return out
}

// Check reports a histogram that cannot be published: a count taken below
// zero by a take-back that no addition matched (wrapped around to about
// 1.8e19), buckets that do not add up to the count, or a sum that is not
// a number.
func (h *Histogram) Check() error {
	var total uint64
	for i, c := range h.Counts {
		if c > math.MaxInt64 {
			return fmt.Errorf("bucket le=%s holds %d observations: more were taken back than added", h.upperBound(i), int64(c))
		}
		total += c
	}
	switch {
	case h.Count > math.MaxInt64:
		return fmt.Errorf("count is %d: more observations were taken back than added", int64(h.Count))
	case total != h.Count:
		return fmt.Errorf("the buckets hold %d observations but the count is %d", total, h.Count)
	case math.IsNaN(h.Sum) || math.IsInf(h.Sum, 0):
		return fmt.Errorf("sum is %v", h.Sum)
	}
	return nil
}

// upperBound names bucket i by its upper bound, as the le label does.
func (h *Histogram) upperBound(i int) string {
	if i == len(h.Bounds) {
		return "+Inf"
	}
	return strconv.FormatFloat(h.Bounds[i], 'g', -1, 64)
}

// CheckHistograms checks every histogram of the snapshot (see
// Histogram.Check), naming the window, severity or team and the duration
// of each that fails.
func (s *Snapshot) CheckHistograms() error {
	var errs []error
	for _, w := range s.Windows {
		for k, st := range w.Incidents {
			for _, d := range []struct {
				name string
				h    *Histogram
			}{{"time to detect", &st.TimeToDetect}, {"time to mitigate", &st.TimeToMitigate}, {"time to recover", &st.TimeToRecover},
				{"publication delay", &st.PublicationDelay}} {
				if err := d.h.Check(); err != nil {
					errs = append(errs, fmt.Errorf("window %s, severity %s, team %s: %s: %w", w.Window.Name, k.Severity, k.Team, d.name, err))
				}
			}
		}
		for team, c := range w.Completion {
			if err := c.Time.Check(); err != nil {
				errs = append(errs, fmt.Errorf("window %s, team %s: action item completion time: %w", w.Window.Name, team, err))
			}
		}
	}
	return errors.Join(errs...)
}
