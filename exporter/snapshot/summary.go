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
	DurationKinds
)

// SummaryQuantiles are the quantiles every exact summary publishes.
var SummaryQuantiles = []float64{0.5, 0.9}

// Summary is an exact summary of durations in seconds: their count, sum
// and quantiles. Quantiles is empty when there is no duration or when only
// the sum and count were asked for.
type Summary struct {
	Count     uint64
	Sum       float64
	Quantiles map[float64]float64
}

// DurationSummaries are the summaries of time to detect, mitigate and
// recover, indexed by TimeToDetect, TimeToMitigate and TimeToRecover.
type DurationSummaries [DurationKinds]Summary

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of ascending values by
// linear interpolation between closest ranks: with n values the quantile
// sits at rank h = (n−1)·q (counting from 0), between values[⌊h⌋] and
// values[⌊h⌋+1]. It is PostgreSQL's percentile_cont and NumPy's default, and
// the median of an even count is the mean of the two middle values. NaN
// when there are no values.
func Quantile(values []float64, q float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	h := float64(len(values)-1) * q
	lo := int(math.Floor(h))
	if lo+1 >= len(values) {
		return values[len(values)-1]
	}
	return values[lo] + (h-float64(lo))*(values[lo+1]-values[lo])
}

// durationSamples holds every duration of a group of incidents, so that
// the snapshot can publish exact quantiles.
type durationSamples [DurationKinds][]float64

// add adds r's durations whose events happened by eventsUntil.
func (d *durationSamples) add(r *record.Record, eventsUntil time.Time) {
	if !r.DetectedAt.After(eventsUntil) {
		d[TimeToDetect] = append(d[TimeToDetect], r.TimeToDetect().Seconds())
	}
	if r.Mitigated() && !r.MitigatedAt.After(eventsUntil) {
		d[TimeToMitigate] = append(d[TimeToMitigate], r.TimeToMitigate().Seconds())
	}
	if r.Resolved() && !r.ResolvedAt.After(eventsUntil) {
		d[TimeToRecover] = append(d[TimeToRecover], r.TimeToRecover().Seconds())
	}
}

// summarize groups samples kept per severity and team by the key group
// returns, and summarizes each group: with quantiles when withQuantiles.
func summarize(samples map[SeverityTeam]*durationSamples, group func(SeverityTeam) string, withQuantiles bool) map[string]*DurationSummaries {
	grouped := map[string]*durationSamples{}
	for k, s := range samples {
		g, ok := grouped[group(k)]
		if !ok {
			g = &durationSamples{}
			grouped[group(k)] = g
		}
		for i := range s {
			g[i] = append(g[i], s[i]...)
		}
	}
	out := make(map[string]*DurationSummaries, len(grouped))
	for key, g := range grouped {
		sums := &DurationSummaries{}
		for i, values := range g {
			sums[i] = newSummary(values, withQuantiles)
		}
		out[key] = sums
	}
	return out
}

// newSummary summarizes values, sorting them in place: summed in
// ascending order, the sum does not depend on the order they came in.
func newSummary(values []float64, withQuantiles bool) Summary {
	s := Summary{Count: uint64(len(values)), Quantiles: map[float64]float64{}}
	slices.Sort(values)
	for _, v := range values {
		s.Sum += v
	}
	if withQuantiles && len(values) > 0 {
		for _, q := range SummaryQuantiles {
			s.Quantiles[q] = Quantile(values, q)
		}
	}
	return s
}
