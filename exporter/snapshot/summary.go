package snapshot

import (
	"math"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// The incident durations, indexes of DurationSummaries.
const (
	TimeToDetect = iota
	TimeToMitigate
	TimeToRecover
	TimeToAcknowledge
	DurationKinds
)

// SummaryQuantiles are the quantiles of the exact summaries.
var SummaryQuantiles = []float64{0.5, 0.9}

// TeamQuantiles are the quantiles of the summaries per team, in a window
// and in a calendar period: the median only (the p90 of a team's handful
// of incidents is its slowest one or two: more series than it is worth).
var TeamQuantiles = []float64{0.5}

// Summary is an exact summary of durations in seconds: their count, sum
// and quantiles. Quantiles is empty when there is no duration or when only
// the sum and count were asked for.
type Summary struct {
	Count     uint64
	Sum       float64
	Quantiles map[float64]float64
}

// DurationSummaries are the summaries of time to detect, mitigate,
// recover and acknowledge, indexed by TimeToDetect, TimeToMitigate,
// TimeToRecover and TimeToAcknowledge.
type DurationSummaries [DurationKinds]Summary

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of values by linear
// interpolation between closest ranks: with the n values in ascending
// order x₀ … xₙ₋₁, the quantile sits at rank h = (n−1)·q, between x⌊h⌋
// and x⌊h⌋+1. It is PostgreSQL's percentile_cont and NumPy's default, and
// the median of an even count is the mean of the two middle values. NaN
// when there are no values. values need not be sorted: Quantile selects
// the two ranks it needs in linear time, reordering values.
func Quantile(values []float64, q float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	out := map[float64]float64{}
	quantiles(values, []float64{q}, out)
	return out[q]
}

// quantiles puts the qs-quantiles of values (qs ascending, values not
// empty) in out, as Quantile defines them. Each rank is selected among
// the values above the one before, so the p90 after the median looks at
// half of them.
func quantiles(values, qs []float64, out map[float64]float64) {
	from := 0 // values[:from] are no larger than any value after them
	for _, q := range qs {
		h := float64(len(values)-1) * q
		lo := int(math.Floor(h))
		selectRank(values[from:], lo-from)
		from = lo
		if lo+1 >= len(values) {
			out[q] = values[lo]
			continue
		}
		next := slices.Min(values[lo+1:]) // selectRank left the larger values after lo
		out[q] = values[lo] + (h-float64(lo))*(next-values[lo])
	}
}

// selectRank reorders v so that v[k] is the value of rank k, with no
// larger value before it and no smaller one after it (quickselect).
func selectRank(v []float64, k int) {
	lo, hi := 0, len(v)-1
	for lo < hi {
		// The median of three as the pivot, moved to hi.
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[mid] < v[hi] {
			v[mid], v[hi] = v[hi], v[mid]
		}
		pivot, store := v[hi], lo
		for i := lo; i < hi; i++ {
			if v[i] < pivot {
				v[i], v[store] = v[store], v[i]
				store++
			}
		}
		v[store], v[hi] = v[hi], v[store]
		switch {
		case k < store:
			hi = store - 1
		case k > store:
			lo = store + 1
		default:
			return
		}
	}
}

// durationSamples holds every duration of a group of incidents, so that
// the snapshot can publish exact quantiles.
type durationSamples [DurationKinds][]time.Duration

// add adds r's durations whose events happened by eventsUntil. Only
// valid records are sampled, whose durations are bounded far below the
// 292 years a time.Duration holds (record.Seconds is for the others).
func (d *durationSamples) add(r *record.Record, eventsUntil time.Time) {
	if !r.DetectedAt.After(eventsUntil) {
		d[TimeToDetect] = append(d[TimeToDetect], r.DetectedAt.Sub(r.StartedAt))
	}
	if r.Mitigated() && !r.MitigatedAt.After(eventsUntil) {
		d[TimeToMitigate] = append(d[TimeToMitigate], r.MitigatedAt.Sub(r.StartedAt))
	}
	if r.Resolved() && !r.ResolvedAt.After(eventsUntil) {
		d[TimeToRecover] = append(d[TimeToRecover], r.ResolvedAt.Sub(r.StartedAt))
	}
	if r.Acknowledged() && !r.AcknowledgedAt.After(eventsUntil) {
		d[TimeToAcknowledge] = append(d[TimeToAcknowledge], r.AcknowledgedAt.Sub(r.StartedAt))
	}
}

// summaryKinds says which durations a summary has (the others stay
// empty): every kind per severity; per team, never the time to
// acknowledge (the series budget), the time to mitigate only with the
// detail.
type summaryKinds []int

var (
	allKinds          = summaryKinds{TimeToDetect, TimeToMitigate, TimeToRecover, TimeToAcknowledge}
	teamDetailKinds   = summaryKinds{TimeToDetect, TimeToMitigate, TimeToRecover}
	detectRecoverOnly = summaryKinds{TimeToDetect, TimeToRecover}
)

// summarize groups samples kept per severity and team by the key group
// returns, and summarizes each group's durations of the kinds with the
// quantiles (none: the sum and count only).
func summarize(samples map[SeverityTeam]*durationSamples, group func(SeverityTeam) string, quantiles []float64, kinds summaryKinds) map[string]*DurationSummaries {
	grouped := map[string][]*durationSamples{}
	for k, s := range samples {
		grouped[group(k)] = append(grouped[group(k)], s)
	}
	out := make(map[string]*DurationSummaries, len(grouped))
	var seconds []float64 // reused
	parts := make([][]time.Duration, 0, len(samples))
	for key, g := range grouped {
		sums := noDurations()
		for _, kind := range kinds {
			parts = parts[:0]
			for _, s := range g {
				parts = append(parts, s[kind])
			}
			sums[kind], seconds = newSummary(parts, quantiles, seconds[:0])
		}
		out[key] = sums
	}
	return out
}

// newSummary summarizes durations, given in parts. The sum is added up in
// integers, whole microseconds and the nanoseconds left over apart
// (nanoseconds alone would overflow past 292 years in total), so it is
// exact and does not depend on the order the durations came in; seconds
// is scratch space, returned for reuse.
func newSummary(parts [][]time.Duration, qs []float64, seconds []float64) (Summary, []float64) {
	s := Summary{Quantiles: map[float64]float64{}}
	var microseconds, nanoseconds int64
	for _, durations := range parts {
		s.Count += uint64(len(durations))
		for _, d := range durations {
			microseconds += int64(d / time.Microsecond)
			nanoseconds += int64(d % time.Microsecond)
		}
		if len(qs) > 0 {
			for _, d := range durations {
				seconds = append(seconds, d.Seconds())
			}
		}
	}
	s.Sum = float64(microseconds)/1e6 + float64(nanoseconds)/1e9
	if len(seconds) > 0 {
		quantiles(seconds, qs, s.Quantiles)
	}
	return s, seconds
}
