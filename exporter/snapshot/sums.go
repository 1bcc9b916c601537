package snapshot

import "time"

// Sums are aggregates a source counted itself rather than record by
// record: PostgreSQL sums the rollups its triggers keep and corrects them
// with the rows they cannot answer for (package postgres/source says
// which and why). Builder.AddSums adds them; a nil map adds nothing.
type Sums struct {
	// Records is the number of valid records.
	Records int
	// Spans are the window aggregates of stretches of time that end by
	// AsOf, each added to every window it lies in.
	Spans []SpanSums
	// ItemsDue holds, per window (in the order of Options.Windows), the
	// items due in it by team and outcome, as WindowStats.ItemsDue.
	ItemsDue []map[TeamValue]int
	// Periods holds the action items of each calendar period, in the order
	// of Options.Periods.Periods(AsOf).
	Periods []PeriodItems
	// ActionItems and Exceptions count the items by team and status as of
	// AsOf, as Snapshot.ActionItems and Snapshot.Exceptions.
	ActionItems, Exceptions map[TeamStatus]int
	// Findings counts the findings of the valid records by team and rule,
	// as Quality.Findings.
	Findings map[TeamValue]int
	// Unowned counts, by team, open items without an owner that
	// Builder.AddUnowned does not see: those of invalid records.
	Unowned map[string]int
}

// SpanSums are the aggregates of the incidents started, and the items
// done, in the stretch of time that starts Since before AsOf and ends
// where the next shorter window starts: they belong to every window at
// least Since long. Stats.Services counts every service.
type SpanSums struct {
	Since time.Duration
	Stats WindowStats
}

// PeriodItems are the action items of one calendar period: those due in
// it by team and outcome (as PeriodStats.ItemsDue, the team "" when they
// are summed over the teams), and how many were created and closed in it.
type PeriodItems struct {
	Due             map[TeamValue]int
	Created, Closed int
}

// AddSums adds aggregates a source counted itself. Counts that add up to
// 0 give no series, as if they had never been counted.
func (b *Builder) AddSums(sums Sums) {
	s := b.s
	s.Records += sums.Records
	for _, span := range sums.Spans {
		b.addSpan(span)
	}
	for i, due := range sums.ItemsDue {
		addCounts(s.Windows[i].ItemsDue, due)
	}
	for i, p := range sums.Periods {
		ps := &s.Periods[i]
		for k, n := range p.Due {
			ps.ItemsDue[TeamValue{b.periodTeam(k.Team), k.Value}] += n
		}
		ps.ItemsCreated[""] += p.Created
		ps.ItemsClosed[""] += p.Closed
	}
	addCounts(s.ActionItems, sums.ActionItems)
	addCounts(s.Exceptions, sums.Exceptions)
	addCounts(s.Findings, sums.Findings)
	addCounts(s.UnownedByTeam, sums.Unowned)
}

// addSpan adds a span's aggregates to every window at least span.Since
// long.
func (b *Builder) addSpan(span SpanSums) {
	sums := &span.Stats
	for i := range b.s.Windows {
		ws := &b.s.Windows[i]
		if ws.Window.Length < span.Since {
			continue
		}
		for k, st := range sums.Incidents {
			ws.incident(k).merge(st)
		}
		for k, c := range sums.Completion {
			ws.completion(k).merge(c)
		}
		addCounts(ws.ByDetection, sums.ByDetection)
		addCounts(ws.ByOrigin, sums.ByOrigin)
		addCounts(ws.ByResolution, sums.ByResolution)
		addCounts(ws.Services, sums.Services)
	}
}
