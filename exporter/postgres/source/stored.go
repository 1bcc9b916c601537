package source

import (
	"cmp"
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// storedQuery reads the incidents snapshot.Builder.ListStored needs, with
// their related ids and the findings import stored (ListStored orders
// them): those
// started in ($1, $3] (the longest window and the span of a possible
// repeat before it) and those published in [$2, $3] (the periods), by the
// indexes on incident_facts' started_at and published_at. It reads every
// incident of the longest window, as the exact summaries do, and no other
// (docs/postgres.md).
const storedQuery = `
	SELECT f.incident_id, f.severity, f.team, f.origin, coalesce(f.resolution, ''), f.started_at, f.resolved_at, f.published_at,
	       f.services, coalesce(r.related, '{}'), coalesce(q.rules, '{}'), coalesce(q.items, '{}'), coalesce(q.messages, '{}')
	  FROM incident_facts f
	  LEFT JOIN LATERAL (SELECT array_agg(related_id) AS related FROM incident_related WHERE incident_id = f.incident_id) r ON true
	  LEFT JOIN LATERAL (SELECT array_agg(rule ORDER BY rule, item, message) AS rules, array_agg(item ORDER BY rule, item, message) AS items,
	                            array_agg(message ORDER BY rule, item, message) AS messages
	                       FROM quality_findings WHERE incident_id = f.incident_id) q ON true
	 WHERE f.started_at <= $3 AND (f.started_at > $1 OR f.published_at >= $2)`

// listStored reads the incidents of storedQuery and hands the valid ones
// to the builder, less the findings of the rules that are off.
func (r *refresh) listStored(ctx context.Context, q pgx.Tx) (func(), error) {
	longest := time.Duration(0)
	for _, w := range r.windows {
		longest = max(longest, w.Length)
	}
	published := r.asOf // no periods: none is read for its publication
	if len(r.periods) > 0 {
		published = r.periods[0].Start
	}
	within := cmp.Or(r.possibleWithin, snapshot.DefaultPossibleRepeatsWithin)
	stored, err := collect(ctx, q, "incidents of the longest window with their findings", storedQuery,
		[]any{r.asOf.Add(-longest - within), published, r.asOf}, r.scanStored)
	return func() {
		valid := stored[:0]
		for _, pm := range stored {
			if !r.invalid[pm.Record.ID] {
				valid = append(valid, pm)
			}
		}
		r.b.ListStored(valid)
	}, err
}

// scanStored scans a row of storedQuery.
func (r *refresh) scanStored(row pgx.CollectableRow) (snapshot.StoredPostMortem, error) {
	rec := &record.Record{}
	var resolved, published *time.Time
	var rules, items, messages []string
	err := row.Scan(&rec.ID, &rec.Severity, &rec.Team, &rec.Origin, &rec.Resolution, &rec.StartedAt, &resolved, &published,
		&rec.Services, &rec.Related, &rules, &items, &messages)
	rec.StartedAt, rec.ResolvedAt = rec.StartedAt.UTC(), utc(resolved)
	if published != nil { // incident_facts hold it only when published
		rec.PublishedAt, rec.Status = published.UTC(), record.StatusPublished
	}
	pm := snapshot.StoredPostMortem{Record: rec}
	for i, rule := range rules {
		if r.quality.SeverityOf(rule) != record.SeverityOff && i < len(items) && i < len(messages) {
			pm.Findings = append(pm.Findings, snapshot.Finding{Rule: rule, Item: items[i], Reason: messages[i]})
		}
	}
	return pm, err
}
