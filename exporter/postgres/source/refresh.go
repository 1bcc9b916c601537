package source

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// refresh assembles one snapshot. Its reads sum the rollups and correct
// them with the few rows they cannot answer for (rollupSums, in
// corrections.go, says why each correction exists), and hand the builder
// the rows it lists; taken together they count every valid record exactly
// as the file source does.
type refresh struct {
	asOf    time.Time
	windows []snapshot.Window
	periods []snapshot.Period
	// trendsStart is the start of the earliest trend period of any unit
	// (snapshot.PeriodOptions.TrendsStart): no later than the periods'.
	trendsStart time.Time
	byTeam      bool // the period aggregates may keep the team (not --periods.by-team=false)
	// taxonomy codes the classifications of the recent incidents.
	taxonomy record.Taxonomy
	plan     plan
	// periodPlan reads the period counts of the action items.
	periodPlan periodPlan
	b          *snapshot.Builder
	sums       *rollupSums     // handed to b once every read is applied
	invalid    map[string]bool // ids of the invalid incidents
	// invalidFacts are the invalid incidents, taken back from the sums
	// once the rollups are added.
	invalidFacts []fact
	quality      record.Quality
	// possibleWithin is the span of a possible repeat
	// (snapshot.Options.PossibleRepeatsWithin).
	possibleWithin time.Duration
	// customLabels are the custom fields counted by value
	// (--metrics.custom-labels).
	customLabels []string
}

// reads are the queries of a refresh after findInvalid; they only read
// r.invalid and r.plan, so they can run at the same time.
func (r *refresh) reads() []read {
	// The longest first: they start at once on the connections.
	reads := r.recentReads()
	reads = append(reads, r.countRecords)
	reads = append(reads, r.rollupReads()...)
	reads = append(reads, r.removeInvalidIncidents)
	reads = append(reads, r.periodReads()...)
	reads = append(reads, r.addEdgeIncidents, r.addEdgeCompletions, r.correctLateEvents,
		r.addWindowItemsDue, r.countActionItems, r.recountActionItems, r.addOverdueItems, r.addExceptionItems, r.addIncidentStates, r.addDueSoon, r.addUnpublished)
	reads = append(reads, r.customReads()...)
	return append(reads, r.qualityReads()...)
}

// fact is a row of incident_facts: an incident as the windows count it.
type fact struct {
	record         *record.Record
	repeat         bool
	unknownRelated []string
}

const factColumns = `f.incident_id, f.severity, f.team, f.detection, f.origin, coalesce(f.resolution, ''),
       f.started_at, f.detected_at, f.mitigated_at, f.resolved_at, f.security_incident, f.data_loss,
       f.customers_affected, f.failed_requests, f.repeat, f.services, f.unknown_related, f.learnings, f.published_at,
       f.acknowledged_at`

// scanFact scans a row of factColumns.
func scanFact(row pgx.CollectableRow) (fact, error) {
	rec := &record.Record{}
	f := fact{record: rec}
	var mitigated, resolved, published, acknowledged *time.Time
	var learnings int
	err := row.Scan(&rec.ID, &rec.Severity, &rec.Team, &rec.Detection, &rec.Origin, &rec.Resolution,
		&rec.StartedAt, &rec.DetectedAt, &mitigated, &resolved, &rec.SecurityIncident, &rec.Impact.DataLoss,
		&rec.Impact.CustomersAffected, &rec.Impact.FailedRequests, &f.repeat, &rec.Services, &f.unknownRelated,
		&learnings, &published, &acknowledged)
	rec.Path = "postgres:incidents/" + rec.ID
	rec.StartedAt, rec.DetectedAt = rec.StartedAt.UTC(), rec.DetectedAt.UTC()
	rec.MitigatedAt, rec.ResolvedAt, rec.AcknowledgedAt = utc(mitigated), utc(resolved), utc(acknowledged)
	// The facts hold the number of learnings, not their text, and a
	// publication only when the post-mortem is published.
	rec.Learnings = make([]string, learnings)
	if published != nil {
		rec.PublishedAt, rec.Status = published.UTC(), record.StatusPublished
	}
	return f, err
}

// item is an action item with what a refresh needs of its incident.
type item struct {
	incident *record.Record
	item     record.ActionItem
}

// itemColumns are what scanItem scans, before a query's FROM clause.
const itemColumns = `SELECT a.id, a.incident_id, a.owner, a.team, a.created_at, a.due, a.status, a.closed_at,
       a.exception, a.exception_approver, a.url, a.title, a.state_source, i.severity, i.url, i.started_at`

// scanItem scans a row of itemColumns.
func scanItem(row pgx.CollectableRow) (item, error) {
	var a record.ActionItem
	inc := &record.Record{}
	var closed, due *time.Time
	err := row.Scan(&a.ID, &inc.ID, &a.Owner, &a.Team, &a.CreatedAt, &due, &a.Status, &closed,
		&a.Exception, &a.ExceptionApprover, &a.URL, &a.Title, &a.StateSource, &inc.Severity, &inc.URL, &inc.StartedAt)
	a.CreatedAt, a.ClosedAt, a.Due = a.CreatedAt.UTC(), utc(closed), utc(due)
	inc.StartedAt = inc.StartedAt.UTC()
	return item{inc, a}, err
}

// collect runs a query and scans all its rows; what names them in errors.
func collect[T any](ctx context.Context, q pgx.Tx, what, query string, args []any, scan pgx.RowToFunc[T]) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

// findInvalid reports the incidents that break the taxonomy, have
// implausible times or name related incidents that do not exist.
// rollup_values lists the values in use, so the facts are searched for bad
// values only when there are some.
func (r *refresh) findInvalid(ctx context.Context, q pgx.Tx, rules record.Rules) error {
	r.invalid = map[string]bool{}
	// First, as they carry the most (published_at, action items): an
	// incident found twice is reported once, with every problem.
	facts, err := implausibleFacts(ctx, q, rules)
	if err != nil {
		return err
	}
	related, err := collect(ctx, q, "related incidents", `SELECT `+factColumns+` FROM incident_facts f
		WHERE f.unknown_related <> '{}' ORDER BY f.incident_id`, nil, scanFact)
	if err != nil {
		return err
	}
	facts = append(facts, related...)
	bad, err := valuesOutside(ctx, q, rules.Taxonomy)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		outside, err := collect(ctx, q, "taxonomy violations", `SELECT `+factColumns+` FROM incident_facts f
			WHERE f.severity = ANY ($1) OR f.detection = ANY ($2) OR f.origin = ANY ($3) OR f.resolution = ANY ($4)
			ORDER BY f.incident_id`,
			[]any{bad["severity"], bad["detection"], bad["origin"], bad["resolution"]}, scanFact)
		if err != nil {
			return err
		}
		facts = append(facts, outside...)
	}
	for _, f := range facts {
		// Only problems of the incident core make it invalid; an action
		// item's implausible time is a finding (docs/quality.md).
		problems := slices.DeleteFunc(record.Validate(f.record, rules), func(p record.Problem) bool { return !record.IsCore(p) })
		nameItemsByID(f.record, problems)
		for _, id := range f.unknownRelated {
			problems = append(problems, record.Problem{Path: f.record.Path, Field: "related", Code: record.CodeUnknownRelated, Team: f.record.Team,
				Message: fmt.Sprintf("no other incident has id %q", id)})
		}
		if len(problems) > 0 && !r.invalid[f.record.ID] {
			r.invalid[f.record.ID] = true
			r.invalidFacts = append(r.invalidFacts, f)
			r.b.AddProblems(problems...)
		}
	}
	return nil
}

// valuesOutside returns, per field, the values in use that the taxonomy
// does not allow.
func valuesOutside(ctx context.Context, q pgx.Tx, tax record.Taxonomy) (map[string][]string, error) {
	type use struct{ Field, Value string }
	inUse, err := collect(ctx, q, "values in use", `SELECT field, value FROM rollup_values WHERE incidents <> 0`, nil,
		pgx.RowToStructByPos[use])
	if err != nil {
		return nil, err
	}
	allowed := store.TaxonomyFields(tax)
	bad := map[string][]string{}
	for _, u := range inUse {
		if !slices.Contains(allowed[u.Field], u.Value) {
			bad[u.Field] = append(bad[u.Field], u.Value)
		}
	}
	return bad, nil
}

// countRecords counts the valid incidents.
func (r *refresh) countRecords(ctx context.Context, q pgx.Tx) (func(), error) {
	var total int
	if err := q.QueryRow(ctx, `SELECT coalesce(sum(incidents), 0) FROM rollup_values WHERE field = 'severity'`).Scan(&total); err != nil {
		return nil, fmt.Errorf("count incidents: %w", err)
	}
	return func() { r.sums.Records = total - len(r.invalid) }, nil
}

// removeInvalidIncidents takes the invalid incidents back out of the
// rollups' sums; it reads nothing, findInvalid has.
func (r *refresh) removeInvalidIncidents(context.Context, pgx.Tx) (func(), error) {
	return func() {
		for _, f := range r.invalidFacts {
			r.sums.removeInvalidIncident(f)
		}
	}, nil
}

// addEdgeIncidents counts the incidents started in the partial days at
// the segments' edges, row by row.
func (r *refresh) addEdgeIncidents(ctx context.Context, q pgx.Tx) (func(), error) {
	after, until := r.plan.edgeArrays()
	facts, err := collect(ctx, q, "incidents of partial days", `SELECT `+factColumns+`
		  FROM unnest($1::timestamptz[], $2::timestamptz[]) AS e (after, until)
		  JOIN incident_facts f ON f.started_at > e.after AND f.started_at <= e.until`,
		[]any{after, until}, scanFact)
	return func() {
		for _, f := range facts {
			if !r.invalid[f.record.ID] {
				r.sums.addEdgeIncident(f)
			}
		}
	}, err
}

// addEdgeCompletions counts the items done in the partial days at the
// segments' edges.
func (r *refresh) addEdgeCompletions(ctx context.Context, q pgx.Tx) (func(), error) {
	after, until := r.plan.edgeArrays()
	type done struct {
		incident string
		item     record.ActionItem
	}
	items, err := collect(ctx, q, "items done in partial days", `
		SELECT a.incident_id, a.team, a.created_at, a.due, a.closed_at
		  FROM unnest($1::timestamptz[], $2::timestamptz[]) AS e (after, until)
		  JOIN action_items a ON a.closed_at > e.after AND a.closed_at <= e.until
		 WHERE a.status = 'done'`, []any{after, until}, func(row pgx.CollectableRow) (done, error) {
		d := done{item: record.ActionItem{Status: record.ItemDone}}
		var due *time.Time
		err := row.Scan(&d.incident, &d.item.Team, &d.item.CreatedAt, &due, &d.item.ClosedAt)
		d.item.CreatedAt, d.item.Due, d.item.ClosedAt = d.item.CreatedAt.UTC(), utc(due), d.item.ClosedAt.UTC()
		return d, err
	})
	return func() {
		for _, d := range items {
			if !r.invalid[d.incident] {
				r.sums.addEdgeCompletion(d.item)
			}
		}
	}, err
}

// correctLateEvents reads the incidents with an event after the
// snapshot's instant, to count them again as of that instant
// (rollupSums.recountLateEvents).
func (r *refresh) correctLateEvents(ctx context.Context, q pgx.Tx) (func(), error) {
	facts, err := collect(ctx, q, "incidents with later events", `SELECT `+factColumns+` FROM incident_facts f
		WHERE f.incident_id IN (SELECT incident_id FROM incident_facts WHERE greatest(detected_at, mitigated_at, resolved_at) > $1
		                        UNION SELECT incident_id FROM incident_facts WHERE published_at > $1)`, []any{r.asOf}, scanFact)
	return func() {
		for _, f := range facts {
			if !r.invalid[f.record.ID] {
				r.sums.recountLateEvents(f)
			}
		}
	}, err
}

// countActionItems counts the items by team and status from their rollup.
func (r *refresh) countActionItems(ctx context.Context, q pgx.Tx) (func(), error) {
	type count struct {
		Team, Status string
		Exception    bool
		Items        int
	}
	counts, err := collect(ctx, q, "rollup action items",
		`SELECT team, status, exception, items FROM rollup_action_items WHERE items <> 0`, nil, pgx.RowToStructByPos[count])
	return func() {
		for _, c := range counts {
			r.sums.addStoredItems(c.Team, c.Status, c.Exception, c.Items)
		}
	}, err
}

// recountActionItems reads the items whose state as of the snapshot's
// instant differs from the stored one, and those of invalid incidents, to
// take back what the rollups count of them and count them as they stood
// (rollupSums.removeStoredItem). Those closed after the instant were open
// then: they are listed from here when overdue or with an exception.
func (r *refresh) recountActionItems(ctx context.Context, q pgx.Tx) (func(), error) {
	items, err := collect(ctx, q, "action items to recount", itemColumns+`
		  FROM action_items a JOIN incidents i ON i.id = a.incident_id
		 WHERE a.id IN (SELECT id FROM action_items WHERE created_at > $1
		                UNION SELECT id FROM action_items WHERE closed_at > $1
		                UNION SELECT l.id FROM action_items l JOIN incidents s ON s.id = l.incident_id WHERE s.started_at > $1
		                UNION SELECT id FROM action_items WHERE incident_id = ANY ($2))`,
		[]any{r.asOf, mapKeys(r.invalid)}, scanItem)
	return func() {
		for _, it := range items {
			inc, a := it.incident, it.item
			r.sums.removeStoredItem(a)
			switch {
			case r.invalid[inc.ID]:
				r.sums.removeInvalidCompletion(a)
			case r.countsAsOf(it):
				r.sums.addItemAsOf(a)
				r.b.AddOverdue(inc, a)
				r.b.AddException(inc, a)
			}
		}
	}, err
}

// openItemsQuery reads the open items that existed at $1, of incidents
// started by then, that meet a further condition on a (the item) and i
// (its incident).
func openItemsQuery(condition string) string {
	return itemColumns + `
	  FROM action_items a JOIN incidents i ON i.id = a.incident_id
	 WHERE a.status = 'open' AND a.created_at <= $1 AND i.started_at <= $1 AND ` + condition
}

// readOpenItems runs an openItemsQuery with the snapshot's instant as $1
// and args after it, and gives add the items of valid incidents. The
// items closed since the snapshot's instant are recountActionItems'.
func (r *refresh) readOpenItems(ctx context.Context, q pgx.Tx, what, condition string, args []any,
	add func(*record.Record, record.ActionItem)) (func(), error) {
	items, err := collect(ctx, q, what, openItemsQuery(condition), append([]any{r.asOf}, args...), scanItem)
	return func() {
		for _, it := range items {
			if !r.invalid[it.incident.ID] {
				add(it.incident, it.item)
			}
		}
	}, err
}

// addOverdueItems reads the open items that are overdue.
func (r *refresh) addOverdueItems(ctx context.Context, q pgx.Tx) (func(), error) {
	// An item is overdue after the end of its due day: its due day is at
	// most the day before the one that ends at the snapshot's instant.
	lastOverdueDue := r.asOf.UTC().Add(-24*time.Hour - time.Microsecond).Truncate(24 * time.Hour)
	return r.readOpenItems(ctx, q, "overdue action items", `a.due <= $2`, []any{lastOverdueDue}, r.b.AddOverdue)
}

// exceptionItems is the condition of the open items with an exception,
// read through their partial index (migrations/0007).
const exceptionItems = `a.exception <> ''`

// addExceptionItems reads the open items with an exception.
func (r *refresh) addExceptionItems(ctx context.Context, q pgx.Tx) (func(), error) {
	return r.readOpenItems(ctx, q, "action items with an exception", exceptionItems, nil, r.b.AddException)
}

// addIncidentStates counts the incidents unresolved or with their review
// pending as of the snapshot's instant.
func (r *refresh) addIncidentStates(ctx context.Context, q pgx.Tx) (func(), error) {
	incidents, err := collect(ctx, q, "open incidents", `
		SELECT id, severity, team, resolved_at, status, published_at FROM incidents
		 WHERE started_at <= $1 AND (resolved_at IS NULL OR resolved_at > $1 OR status <> 'published' OR published_at > $1)`,
		[]any{r.asOf}, func(row pgx.CollectableRow) (*record.Record, error) {
			inc := &record.Record{}
			var resolved, published *time.Time
			err := row.Scan(&inc.ID, &inc.Severity, &inc.Team, &resolved, &inc.Status, &published)
			inc.ResolvedAt, inc.PublishedAt = utc(resolved), utc(published)
			return inc, err
		})
	return func() {
		for _, inc := range incidents {
			if !r.invalid[inc.ID] {
				r.b.AddIncidentState(inc)
			}
		}
	}, err
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
