package source

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// rollupSums is what a refresh hands the snapshot builder in one
// snapshot.Sums (Builder.AddSums): the sums of the rollups, as the reads
// find them, corrected with the rows the rollups cannot answer for. The
// rollups count every stored row with its stored state and all its
// events, over whole UTC days; the file source counts each record as it
// stood at the snapshot's instant, over exact windows. Each correction
// below is one of the ways the two differ, and says which; together they
// make both sources count every record alike (TestSameMetricsAsFiles,
// TestRollupsAgreeWithRecords). docs/postgres.md tells the design.
//
// The rollups are added first (rollupReads come before the corrections
// in refresh.reads): a take-back may still bring a count below zero for a
// while, which its addition brings back.
type rollupSums struct {
	snapshot.Sums
	asOf       time.Time
	windows    []snapshot.Window
	periods    []snapshot.Period
	plan       plan // Spans[i] holds the i-th segment of the plan
	periodPlan periodPlan
}

func newRollupSums(asOf time.Time, windows []snapshot.Window, periods []snapshot.Period, p plan, pp periodPlan) *rollupSums {
	s := &rollupSums{asOf: asOf, windows: windows, periods: periods, plan: p, periodPlan: pp}
	s.ActionItems, s.Exceptions = map[snapshot.TeamStatus]int{}, map[snapshot.TeamStatus]int{}
	s.Findings, s.Unowned = map[snapshot.TeamValue]int{}, map[string]int{}
	for _, seg := range p {
		s.Spans = append(s.Spans, snapshot.SpanSums{Since: seg.sinceAsOf, Stats: snapshot.NewWindowStats(snapshot.Window{})})
	}
	for range windows {
		s.ItemsDue = append(s.ItemsDue, map[snapshot.TeamValue]int{})
	}
	for range periods {
		s.Periods = append(s.Periods, snapshot.PeriodItems{Due: map[snapshot.TeamValue]int{}})
	}
	return s
}

// span returns the stats of the segment that holds t, nil when none does.
func (s *rollupSums) span(t time.Time) *snapshot.WindowStats {
	if i := s.plan.segmentOf(t); i >= 0 {
		return &s.Spans[i].Stats
	}
	return nil
}

// The incidents of the windows (rollup_incidents, rollup_classes,
// rollup_services, rollup_quality) and the items done in them
// (rollup_completion).

// addEdgeIncident counts an incident started in the partial first or last
// day of a segment: the rollups count whole days only, so those are read
// row by row and counted with their events as of the snapshot's instant,
// which keeps the windows' edges exact.
func (s *rollupSums) addEdgeIncident(f fact) {
	if st := s.span(f.record.StartedAt); st != nil {
		st.AddIncident(f.record, f.repeat, s.asOf)
	}
}

// recountLateEvents counts again, as of the snapshot's instant, an
// incident of a whole day with an event (detection, mitigation,
// resolution, publication) after that instant: the rollups count it with
// all its events, the file source only with those that had happened.
func (s *rollupSums) recountLateEvents(f fact) {
	if !s.plan.rolledUp(f.record.StartedAt) {
		return // an edge's, read as of the instant already
	}
	st := s.span(f.record.StartedAt)
	st.RemoveIncident(f.record, f.repeat, allEvents)
	st.AddIncident(f.record, f.repeat, s.asOf)
}

// removeInvalidIncident takes back an invalid incident of a whole day:
// the triggers roll up every stored row, but an incident that breaks the
// configured taxonomy or the plausibility rules, or names an unknown
// related incident, counts only as invalid, as it does for files. Those
// of the edges are skipped when read.
func (s *rollupSums) removeInvalidIncident(f fact) {
	if s.plan.rolledUp(f.record.StartedAt) {
		s.span(f.record.StartedAt).RemoveIncident(f.record, f.repeat, allEvents)
	}
}

// addEdgeCompletion counts an item done in the partial first or last day
// of a segment, which the rollups do not count (see addEdgeIncident).
func (s *rollupSums) addEdgeCompletion(a record.ActionItem) {
	if st := s.span(a.ClosedAt); st != nil {
		st.AddCompletion(a)
	}
}

// removeInvalidCompletion takes back an item of an invalid incident that
// the rollups count as done in a whole day: the items of an invalid
// incident count in no aggregate but the unowned ones.
func (s *rollupSums) removeInvalidCompletion(a record.ActionItem) {
	if s.plan.rolledUp(a.ClosedAt) {
		s.span(a.ClosedAt).RemoveCompletion(a)
	}
}

// The action items by status (rollup_action_items) and by day
// (rollup_item_days: the periods' items due, created and closed, and the
// windows' items due).

// addStoredItems adds the rollup's count of the items of a team, status
// and exception, by their stored status.
func (s *rollupSums) addStoredItems(team, status string, exception bool, n int) {
	k := snapshot.TeamStatus{Team: team, Status: status}
	s.ActionItems[k] += n
	if exception {
		s.Exceptions[k] += n
	}
}

// removeStoredItem takes back what the rollups count of an item with its
// stored state: its status and its outcome with every event, where the
// rollups count them. It is done for the items whose state as of the
// snapshot's instant differs from the stored one (created or closed
// after it, or of an incident started after it) and for those of invalid
// incidents; addItemAsOf counts the first again as they stood.
func (s *rollupSums) removeStoredItem(a record.ActionItem) {
	s.addStoredItems(a.Team, a.Status, a.Exception != "", -1)
	s.countItemDays(a, snapshot.ItemOutcome(a, allEvents), allEvents, -1)
}

// addItemAsOf counts an item taken back by removeStoredItem as it stood
// at the snapshot's instant, as the file source counts it.
func (s *rollupSums) addItemAsOf(a record.ActionItem) {
	s.addStoredItems(a.Team, snapshot.ItemStatusAt(a, s.asOf), a.Exception != "", 1)
	s.countItemDays(a, snapshot.ItemOutcome(a, s.asOf), s.asOf, 1)
}

// countItemDays counts an item n times where rollup_item_days counts it:
// with outcome in the period and the windows it is due in, and in the
// periods' whole UTC days it was created and closed (by until) in.
func (s *rollupSums) countItemDays(a record.ActionItem, outcome string, until time.Time, n int) {
	if i := snapshot.PeriodOfDay(s.periods, a.Due); i >= 0 {
		s.Periods[i].Due[snapshot.TeamValue{Team: a.Team, Value: outcome}] += n
	}
	for i, w := range s.windows {
		if w.HasDue(a.Due, s.asOf) {
			s.ItemsDue[i][snapshot.TeamValue{Team: a.Team, Value: outcome}] += n
		}
	}
	s.countItemInstants(a, until, true, n)
}

// addEdgeItemInstants counts an item created or closed in the partial
// first or last UTC day of a period (a period in a time zone other than
// UTC starts inside a UTC day), which the rollups do not count.
func (s *rollupSums) addEdgeItemInstants(a record.ActionItem) {
	s.countItemInstants(a, s.asOf, false, 1)
}

// countItemInstants counts an item n times in the periods it was created
// and closed (by until) in, where the rollups count it when rolled is
// true, and where the edge reads do when it is false.
func (s *rollupSums) countItemInstants(a record.ActionItem, until time.Time, rolled bool, n int) {
	if s.periodPlan.rolledUp(a.CreatedAt) == rolled {
		if i := snapshot.PeriodOf(s.periods, a.CreatedAt); i >= 0 {
			s.Periods[i].Created += n
		}
	}
	if snapshot.ClosedBy(a, until) && s.periodPlan.rolledUp(a.ClosedAt) == rolled {
		if i := snapshot.PeriodOf(s.periods, a.ClosedAt); i >= 0 {
			s.Periods[i].Closed += n
		}
	}
}

// The quality bar (rollup_findings, and the unowned items read row by
// row).

// removeInvalidFindings takes back the stored findings of an invalid
// incident: rollup_findings counts those of every stored incident, the
// file source only those of valid records.
func (s *rollupSums) removeInvalidFindings(team, rule string, n int) {
	s.Findings[snapshot.TeamValue{Team: team, Value: rule}] -= n
}

// addUnownedOfInvalid counts an open item without an owner of an invalid
// incident: the file source counts those of invalid records too
// (Builder.AddInvalid); Builder.AddUnowned counts those of valid ones.
func (s *rollupSums) addUnownedOfInvalid(a record.ActionItem) {
	if a.Status == record.ItemOpen {
		s.Unowned[a.Team]++
	}
}
