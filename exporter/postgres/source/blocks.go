package source

import (
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// blockSpans are the lengths, in days, of the blocks the rollups sum over,
// longest first. postmortem_blocks in migrations/0002_rollups.sql keeps
// every day in one block of each span.
var blockSpans = []int{64, 8, 1}

// block is span days from firstDay, in days since 1970-01-01 (UTC).
type block struct{ span, firstDay int }

// coverDays returns the fewest aligned blocks that cover the days
// [from, to): single days up to an 8-day boundary, 8-day blocks up to a
// 64-day boundary, and so on, then back down towards to.
func coverDays(from, to int) []block {
	var out []block
	for day := from; day < to; {
		for _, span := range blockSpans {
			if floorMod(day, span) == 0 && day+span <= to {
				out = append(out, block{span, day})
				day += span
				break
			}
		}
	}
	return out
}

// interval is the instants (after, until].
type interval struct{ after, until time.Time }

// segment is a stretch (from, to] of the time the windows cover. The
// rollups give the sums of its whole days; the instants of its partial
// first and last days (its edges) are read row by row.
type segment struct {
	// sinceAsOf is how long before AsOf the segment starts: it belongs to
	// every window at least that long.
	sinceAsOf      time.Duration
	from, to       time.Time // the segment is (from, to]
	blocks         []block
	edges          []interval
	wholeDaysStart time.Time // the whole days are [wholeDaysStart, wholeDaysEnd)
	wholeDaysEnd   time.Time
}

// plan cuts the time the windows cover, (asOf − longest, asOf], at each
// window's start, so that every segment is read once and added to each
// window it lies in.
type plan []segment

func newPlan(asOf time.Time, windows []snapshot.Window) plan {
	var lengths []time.Duration
	for _, w := range windows {
		lengths = append(lengths, w.Length)
	}
	slices.Sort(lengths)
	var p plan
	newer := time.Duration(0)
	for _, length := range slices.Compact(lengths) {
		p = append(p, newSegment(asOf.Add(-length), asOf.Add(-newer), length))
		newer = length
	}
	return p
}

func newSegment(from, to time.Time, sinceAsOf time.Duration) segment {
	s := segment{sinceAsOf: sinceAsOf, from: from, to: to}
	// The first day that starts after from, and the day after the last one
	// that ends by to (instants are whole microseconds in PostgreSQL).
	first, end := epochDay(from)+1, epochDay(to.Add(time.Microsecond))
	if first >= end {
		s.edges = []interval{{from, to}}
		return s
	}
	s.blocks = coverDays(first, end)
	s.wholeDaysStart, s.wholeDaysEnd = dayStart(first), dayStart(end)
	s.edges = []interval{
		{from, s.wholeDaysStart.Add(-time.Microsecond)},
		{s.wholeDaysEnd.Add(-time.Microsecond), to},
	}
	return s
}

// rolledUp reports whether an instant lies in the whole days of a segment,
// that is whether the rollups count what happened at it.
func (p plan) rolledUp(t time.Time) bool {
	for _, s := range p {
		if !t.Before(s.wholeDaysStart) && t.Before(s.wholeDaysEnd) {
			return true
		}
	}
	return false
}

// segmentOf returns the index of the segment that holds t, or -1: the
// segment whose windows hold it (snapshot.Window.Contains).
func (p plan) segmentOf(t time.Time) int {
	for i, s := range p {
		if t.After(s.from) && !t.After(s.to) {
			return i
		}
	}
	return -1
}

// blockArrays returns the plan's blocks as three parallel arrays (segment
// index, span, first day) for unnest in a query.
func (p plan) blockArrays() (segments, spans, firstDays []int) {
	for i, s := range p {
		for _, b := range s.blocks {
			segments, spans, firstDays = append(segments, i), append(spans, b.span), append(firstDays, b.firstDay)
		}
	}
	return segments, spans, firstDays
}

// edgeArrays returns the plan's edges as two parallel arrays for unnest.
func (p plan) edgeArrays() (after, until []time.Time) {
	for _, s := range p {
		for _, e := range s.edges {
			after, until = append(after, e.after), append(until, e.until)
		}
	}
	return after, until
}

const secondsPerDay = 24 * 60 * 60

func epochDay(t time.Time) int { return int(floorDiv(t.Unix(), secondsPerDay)) }

func dayStart(day int) time.Time { return time.Unix(int64(day)*secondsPerDay, 0).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return ((a % b) + b) % b }
