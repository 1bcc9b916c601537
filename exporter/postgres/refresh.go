package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// refresh assembles one snapshot inside one transaction. Its steps add
// the rollups' sums and correct them with the few rows they cannot answer
// for; taken together they count every valid record exactly as the file
// source does.
type refresh struct {
	tx      pgx.Tx
	asOf    time.Time
	plan    plan
	b       *snapshot.Builder
	invalid map[string]bool // ids of the invalid incidents
}

// fact is a row of incident_facts: an incident as the windows count it.
type fact struct {
	record         *record.Record
	repeat         bool
	unknownRelated []string
}

const factColumns = `f.incident_id, f.severity, f.team, f.detection, f.origin, coalesce(f.resolution, ''),
       f.started_at, f.detected_at, f.mitigated_at, f.resolved_at, f.security_incident, f.data_loss,
       f.customers_affected, f.failed_requests, f.repeat, f.services, f.unknown_related`

// eachFact runs a query that selects factColumns and calls fn for each row.
func (r *refresh) eachFact(ctx context.Context, what, query string, args []any, fn func(fact)) error {
	rows, err := r.tx.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		rec := &record.Record{}
		var f fact
		var mitigated, resolved *time.Time
		err := rows.Scan(&rec.ID, &rec.Severity, &rec.Team, &rec.Detection, &rec.Origin, &rec.Resolution,
			&rec.StartedAt, &rec.DetectedAt, &mitigated, &resolved, &rec.SecurityIncident, &rec.Impact.DataLoss,
			&rec.Impact.CustomersAffected, &rec.Impact.FailedRequests, &f.repeat, &rec.Services, &f.unknownRelated)
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		rec.Path = "postgres:incidents/" + rec.ID
		rec.StartedAt, rec.DetectedAt = rec.StartedAt.UTC(), rec.DetectedAt.UTC()
		rec.MitigatedAt, rec.ResolvedAt = utc(mitigated), utc(resolved)
		f.record = rec
		fn(f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// findInvalid reports the incidents that break the taxonomy or name
// related incidents that do not exist. The rollups list the values in use,
// so the facts are searched for bad values only when there are some.
func (r *refresh) findInvalid(ctx context.Context, tax record.Taxonomy) error {
	r.invalid = map[string]bool{}
	check := func(f fact) {
		problems := record.Validate(f.record, tax)
		for _, id := range f.unknownRelated {
			problems = append(problems, record.Problem{Path: f.record.Path, Field: "related", Code: record.CodeUnknownRelated,
				Message: fmt.Sprintf("no other incident has id %q", id)})
		}
		if len(problems) > 0 && !r.invalid[f.record.ID] {
			r.invalid[f.record.ID] = true
			r.b.AddProblems(problems...)
			if r.plan.rolledUp(f.record.StartedAt) {
				r.b.AddToWindows(f.record, f.repeat, allEvents, -1)
			}
		}
	}
	err := r.eachFact(ctx, "related incidents", `SELECT `+factColumns+` FROM incident_facts f
		WHERE f.unknown_related <> '{}' ORDER BY f.incident_id`, nil, check)
	if err != nil {
		return err
	}
	bad, err := r.valuesOutside(ctx, tax)
	if err != nil || len(bad) == 0 {
		return err
	}
	return r.eachFact(ctx, "taxonomy violations", `SELECT `+factColumns+` FROM incident_facts f
		WHERE f.severity = ANY ($1) OR f.detection = ANY ($2) OR f.origin = ANY ($3) OR f.resolution = ANY ($4)
		ORDER BY f.incident_id`,
		[]any{bad["severity"], bad["detection"], bad["origin"], bad["resolution"]}, check)
}

// valuesOutside returns, per field, the values in use that the taxonomy
// does not allow.
func (r *refresh) valuesOutside(ctx context.Context, tax record.Taxonomy) (map[string][]string, error) {
	allowed := taxonomyFields(tax)
	rows, err := r.tx.Query(ctx, `SELECT field, value FROM rollup_values WHERE incidents <> 0`)
	if err != nil {
		return nil, fmt.Errorf("read values in use: %w", err)
	}
	bad := map[string][]string{}
	var field, value string
	_, err = pgx.ForEachRow(rows, []any{&field, &value}, func() error {
		if !slices.Contains(allowed[field], value) {
			bad[field] = append(bad[field], value)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read values in use: %w", err)
	}
	return bad, nil
}

// countRecords counts the valid incidents.
func (r *refresh) countRecords(ctx context.Context) error {
	var total int
	if err := r.tx.QueryRow(ctx, `SELECT coalesce(sum(incidents), 0) FROM rollup_incidents WHERE span = $1`, blockSpans[0]).Scan(&total); err != nil {
		return fmt.Errorf("count incidents: %w", err)
	}
	r.b.CountRecords(total - len(r.invalid))
	return nil
}

// addWindows adds the rollups' sums over the whole days of each segment to
// the windows it lies in.
func (r *refresh) addWindows(ctx context.Context) error {
	parts := make([]snapshot.WindowStats, len(r.plan))
	for i := range parts {
		parts[i] = snapshot.NewWindowStats(snapshot.Window{})
		parts[i].Services = map[string]int{}
	}
	if err := readRollups(ctx, r.tx, r.plan, parts); err != nil {
		return err
	}
	for i := range parts {
		r.b.AddWindowSums(r.plan[i].sinceAsOf, &parts[i])
	}
	return nil
}

// addEdges counts the incidents started, and the items done, in the
// partial days at the segments' edges, row by row.
func (r *refresh) addEdges(ctx context.Context) error {
	after, until := r.plan.edgeArrays()
	err := r.eachFact(ctx, "incidents of partial days", `SELECT `+factColumns+`
		  FROM incident_facts f JOIN unnest($1::timestamptz[], $2::timestamptz[]) AS e (after, until)
		       ON f.started_at > e.after AND f.started_at <= e.until`,
		[]any{after, until}, func(f fact) {
			if !r.invalid[f.record.ID] {
				r.b.AddToWindows(f.record, f.repeat, r.asOf, 1)
			}
		})
	if err != nil {
		return err
	}
	return r.eachItem(ctx, "items done in partial days", `
		  FROM action_items a JOIN incidents i ON i.id = a.incident_id
		  JOIN unnest($1::timestamptz[], $2::timestamptz[]) AS e (after, until) ON a.closed_at > e.after AND a.closed_at <= e.until
		 WHERE a.status = 'done'`, []any{after, until}, func(_ *record.Record, a record.ActionItem) {
		r.b.AddCompletion(a, 1)
	})
}

// correctLateEvents recounts, as of the snapshot's instant, the incidents
// of whole days with an event after it: the rollups count every event.
func (r *refresh) correctLateEvents(ctx context.Context) error {
	return r.eachFact(ctx, "incidents with later events", `SELECT `+factColumns+` FROM incident_facts f
		WHERE greatest(f.detected_at, f.mitigated_at, f.resolved_at) > $1`, []any{r.asOf}, func(f fact) {
		if r.invalid[f.record.ID] || !r.plan.rolledUp(f.record.StartedAt) {
			return
		}
		r.b.AddToWindows(f.record, f.repeat, allEvents, -1)
		r.b.AddToWindows(f.record, f.repeat, r.asOf, 1)
	})
}

// itemColumns are what eachItem scans, after its FROM clause.
const itemColumns = `SELECT a.id, a.incident_id, a.owner, a.team, a.created_at, a.due, a.status, a.closed_at,
       a.exception, a.url, i.severity, i.url, i.started_at`

// eachItem runs itemColumns with the given FROM and WHERE clauses and calls
// fn for each item of a valid incident, with what it needs of the incident.
func (r *refresh) eachItem(ctx context.Context, what, from string, args []any, fn func(*record.Record, record.ActionItem)) error {
	return r.eachItemOfAny(ctx, what, from, args, func(inc *record.Record, a record.ActionItem) {
		if !r.invalid[inc.ID] {
			fn(inc, a)
		}
	})
}

// eachItemOfAny is eachItem for the items of valid and invalid incidents.
func (r *refresh) eachItemOfAny(ctx context.Context, what, from string, args []any, fn func(*record.Record, record.ActionItem)) error {
	rows, err := r.tx.Query(ctx, itemColumns+from, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a record.ActionItem
		var inc record.Record
		var closed *time.Time
		if err := rows.Scan(&a.ID, &inc.ID, &a.Owner, &a.Team, &a.CreatedAt, &a.Due, &a.Status, &closed,
			&a.Exception, &a.URL, &inc.Severity, &inc.URL, &inc.StartedAt); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		a.CreatedAt, a.ClosedAt, a.Due = a.CreatedAt.UTC(), utc(closed), a.Due.UTC()
		inc.StartedAt = inc.StartedAt.UTC()
		fn(&inc, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// addActionItems counts the items by team and status from their rollup,
// recounts those whose status as of the snapshot's instant differs from
// the stored one or whose incident does not count, and reads the open
// items that are overdue.
func (r *refresh) addActionItems(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `SELECT team, status, exception, items FROM rollup_action_items WHERE items <> 0`)
	if err != nil {
		return fmt.Errorf("read rollup action items: %w", err)
	}
	var team, status string
	var exception bool
	var n int
	_, err = pgx.ForEachRow(rows, []any{&team, &status, &exception, &n}, func() error {
		r.b.CountActionItems(team, status, exception, n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read rollup action items: %w", err)
	}
	err = r.eachItemOfAny(ctx, "action items to recount", `
		  FROM action_items a JOIN incidents i ON i.id = a.incident_id
		 WHERE a.id IN (SELECT id FROM action_items WHERE created_at > $1
		                UNION SELECT id FROM action_items WHERE closed_at > $1
		                UNION SELECT l.id FROM action_items l JOIN incidents s ON s.id = l.incident_id WHERE s.started_at > $1
		                UNION SELECT id FROM action_items WHERE incident_id = ANY ($2))`,
		[]any{r.asOf, mapKeys(r.invalid)}, func(inc *record.Record, a record.ActionItem) {
			r.b.CountActionItems(a.Team, a.Status, a.Exception != "", -1)
			switch {
			case r.invalid[inc.ID]:
				if r.plan.rolledUp(a.ClosedAt) {
					r.b.AddCompletion(a, -1)
				}
			case !inc.StartedAt.After(r.asOf):
				r.b.AddActionItem(inc, a)
			}
		})
	if err != nil {
		return err
	}
	// An item is overdue after the end of its due day: its due day is at
	// most the day before the one that ends at the snapshot's instant.
	lastOverdueDue := r.asOf.UTC().Add(-24*time.Hour - time.Microsecond).Truncate(24 * time.Hour)
	return r.eachItem(ctx, "overdue action items", `
		  FROM action_items a JOIN incidents i ON i.id = a.incident_id
		 WHERE a.status = 'open' AND a.due <= $2 AND a.created_at <= $1 AND i.started_at <= $1`,
		[]any{r.asOf, lastOverdueDue}, r.b.AddOverdue)
}

// addIncidentStates counts the incidents unresolved or with their review
// pending as of the snapshot's instant.
func (r *refresh) addIncidentStates(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `
		SELECT id, severity, team, resolved_at, status, published_at FROM incidents
		 WHERE started_at <= $1 AND (resolved_at IS NULL OR resolved_at > $1 OR status <> 'published' OR published_at > $1)`, r.asOf)
	if err != nil {
		return fmt.Errorf("read open incidents: %w", err)
	}
	var inc record.Record
	var resolved, published *time.Time
	_, err = pgx.ForEachRow(rows, []any{&inc.ID, &inc.Severity, &inc.Team, &resolved, &inc.Status, &published}, func() error {
		if !r.invalid[inc.ID] {
			inc.ResolvedAt, inc.PublishedAt = utc(resolved), utc(published)
			r.b.AddIncidentState(&inc)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read open incidents: %w", err)
	}
	return nil
}

func mapKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
