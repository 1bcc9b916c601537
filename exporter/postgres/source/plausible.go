package source

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// implausibleQuery finds the incidents with a time before 1970 ($3) or
// after the clock plus its skew ($1), or a duration beyond the limit ($2),
// their own or an action item's. Each branch is a range scan of an index
// (migrations/0002_rollups.sql, 0004_plausible_times.sql,
// 0011_acknowledged_custom.sql) that reads only
// such rows: normally none. Every event of an incident is at or after its
// start (the schema's checks), so its start is its earliest time, and its
// latest event less its start its longest duration.
const implausibleQuery = `
	WITH bad (id) AS (
		      SELECT incident_id FROM incident_facts WHERE started_at < $3
		UNION SELECT incident_id FROM incident_facts WHERE greatest(detected_at, mitigated_at, resolved_at) > $1
		UNION SELECT incident_id FROM incident_facts WHERE greatest(detected_at, mitigated_at, resolved_at) - started_at > $2
		UNION SELECT id FROM incidents WHERE published_at > $1
		UNION SELECT id FROM incidents WHERE acknowledged_at > $1 AND acknowledged_at IS NOT NULL
		UNION SELECT id FROM incidents WHERE acknowledged_at - started_at > $2 AND acknowledged_at IS NOT NULL
		UNION SELECT incident_id FROM action_items WHERE created_at > $1
		UNION SELECT incident_id FROM action_items WHERE created_at < $3
		UNION SELECT incident_id FROM action_items WHERE closed_at > $1
		UNION SELECT incident_id FROM action_items WHERE closed_at - created_at > $2
		UNION SELECT incident_id FROM action_items WHERE due::timestamp - (created_at AT TIME ZONE 'UTC') > $2)
	SELECT id, published_at FROM incidents WHERE id IN (SELECT id FROM bad)`

// implausibleItems reads the implausible action items of some incidents.
const implausibleItems = `SELECT incident_id, id, status, created_at, due, closed_at FROM action_items
	WHERE incident_id = ANY ($4) AND (created_at > $1 OR created_at < $3 OR closed_at > $1
		OR closed_at - created_at > $2 OR due::timestamp - (created_at AT TIME ZONE 'UTC') > $2)
	ORDER BY incident_id, id`

// implausibleFacts returns the facts of the incidents whose times break
// the rules' limits, with their published_at and implausible action items,
// so that record.Validate names each implausible field.
func implausibleFacts(ctx context.Context, q pgx.Tx, rules record.Rules) ([]fact, error) {
	args := []any{rules.Now.Add(rules.Limits.MaxClockSkew), rules.Limits.MaxDuration, record.Earliest}
	type incident struct {
		ID        string
		Published *time.Time
	}
	bad, err := collect(ctx, q, "implausible times", implausibleQuery, args, pgx.RowToStructByPos[incident])
	if err != nil || len(bad) == 0 {
		return nil, err
	}
	ids := make([]string, len(bad))
	published := map[string]time.Time{}
	for i, b := range bad {
		ids[i], published[b.ID] = b.ID, utc(b.Published)
	}
	facts, err := collect(ctx, q, "incidents with implausible times", `SELECT `+factColumns+` FROM incident_facts f
		WHERE f.incident_id = ANY ($1) ORDER BY f.incident_id`, []any{ids}, scanFact)
	if err != nil {
		return nil, err
	}
	type itemRow struct {
		incident string
		item     record.ActionItem
	}
	items, err := collect(ctx, q, "action items with implausible times", implausibleItems, append(args, ids),
		func(row pgx.CollectableRow) (itemRow, error) {
			var it itemRow
			var closed, due *time.Time
			err := row.Scan(&it.incident, &it.item.ID, &it.item.Status, &it.item.CreatedAt, &due, &closed)
			it.item.CreatedAt, it.item.Due, it.item.ClosedAt = it.item.CreatedAt.UTC(), utc(due), utc(closed)
			return it, err
		})
	if err != nil {
		return nil, err
	}
	byIncident := map[string][]record.ActionItem{}
	for _, it := range items {
		byIncident[it.incident] = append(byIncident[it.incident], it.item)
	}
	for _, f := range facts {
		f.record.PublishedAt = published[f.record.ID]
		f.record.ActionItems = byIncident[f.record.ID]
	}
	return facts, nil
}

// nameItemsByID rewrites the fields of a row's problems from an action
// item's place in the record, which a row does not have, to its id:
// action_items[0].closed_at becomes action_items[id=PM-7-2].closed_at.
func nameItemsByID(r *record.Record, problems []record.Problem) {
	for i, p := range problems {
		if j, ok := p.Item(); ok && j < len(r.ActionItems) {
			rest := strings.TrimPrefix(p.Field, fmt.Sprintf("action_items[%d].", j))
			problems[i].Field = fmt.Sprintf("action_items[id=%s].%s", r.ActionItems[j].ID, rest)
		}
	}
}
