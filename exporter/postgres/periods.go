package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// periodReads are the reads of what the rollups cannot give: every
// duration of the incidents started in the windows and periods, for the
// exact summaries, with the period counts of the same rows, and the action
// items due, created or closed in the periods.
func (r *refresh) periodReads() []read {
	return []read{r.addRecentIncidents, r.addPeriodItems}
}

// recentStart is the earliest instant the windows or periods reach back to.
func (r *refresh) recentStart() time.Time {
	start := r.asOf
	for _, w := range r.windows {
		start = minTime(start, r.asOf.Add(-w.Length))
	}
	if len(r.periods) > 0 {
		start = minTime(start, r.periods[0].Start.Add(-time.Microsecond))
	}
	return start
}

// addRecentIncidents reads the incidents started in the windows or
// periods, as of the snapshot's instant.
func (r *refresh) addRecentIncidents(ctx context.Context, q pgx.Tx) (func(), error) {
	facts, err := collect(ctx, q, "recent incidents", `SELECT `+factColumns+` FROM incident_facts f
		WHERE f.started_at > $1 AND f.started_at <= $2`, []any{r.recentStart(), r.asOf}, scanFact)
	return func() {
		for _, f := range facts {
			if !r.invalid[f.record.ID] {
				r.b.AddWindowDurations(f.record)
				r.b.AddToPeriods(f.record, f.repeat)
			}
		}
	}, err
}

// addPeriodItems reads the action items due, created or closed in the
// periods, of incidents started by the snapshot's instant.
func (r *refresh) addPeriodItems(ctx context.Context, q pgx.Tx) (func(), error) {
	if len(r.periods) == 0 {
		return func() {}, nil
	}
	start := r.periods[0].Start
	// Due days are dates: the first day of the first period, taken as a
	// date, and the day before it for safety; AddItemToPeriods decides.
	firstDue := time.Date(start.Year(), start.Month(), start.Day()-1, 0, 0, 0, 0, time.UTC)
	items, err := collect(ctx, q, "action items of the periods", itemColumns+`
		  FROM action_items a JOIN incidents i ON i.id = a.incident_id
		 WHERE a.id IN (SELECT id FROM action_items WHERE due >= $1
		                UNION SELECT id FROM action_items WHERE created_at >= $2
		                UNION SELECT id FROM action_items WHERE closed_at >= $2)
		   AND a.created_at <= $3 AND i.started_at <= $3`,
		[]any{firstDue, start, r.asOf}, scanItem)
	return func() {
		for _, it := range items {
			if !r.invalid[it.incident.ID] {
				r.b.AddItemToPeriods(it.item)
			}
		}
	}, err
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
