package snapshot

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

// observe adds an observation sign times; -1 takes one back. The counts
// are unsigned: a count taken below zero wraps around and comes back when
// the observation is added again.
func (h *Histogram) observe(v float64, sign int) {
	i := 0
	for i < len(h.Bounds) && v > h.Bounds[i] {
		i++
	}
	h.Counts[i] += uint64(sign)
	h.Count += uint64(sign)
	h.Sum += float64(sign) * v
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
