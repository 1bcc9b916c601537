package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// writeRecord upserts the incident of r, read from src and stored under
// storedPath, and its children, and reports what happened to its action
// items. removed holds the items the import deleted before, by id: one
// written again here moved. It writes nothing and returns a
// *sourceTakenError when the id is stored from another source name.
func writeRecord(ctx context.Context, tx pgx.Tx, src Source, r record.Checked, storedPath, hash string, exists bool, removed map[string]RemovedItem) (ImportReport, error) {
	plan, err := planItems(ctx, tx, src, r, removed)
	if err != nil {
		return ImportReport{}, err
	}
	if len(plan.report.ItemConflicts) > 0 {
		hash = "" // an item left out: the next import tries again
	}
	if err := writeIncident(ctx, tx, src, r, storedPath, hash); err != nil {
		return ImportReport{}, err
	}
	rep := plan.report
	if exists {
		rows, err := tx.Query(ctx, `DELETE FROM action_items WHERE incident_id = $1 AND id <> ALL($2) RETURNING id`, r.ID, orNoText(plan.keep))
		if err != nil {
			return ImportReport{}, fmt.Errorf("action items: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return ImportReport{}, fmt.Errorf("action items: %w", err)
		}
		for _, id := range ids {
			rep.RemovedItems = append(rep.RemovedItems, RemovedItem{ID: id, Incident: r.ID, Path: r.Path})
		}
	}
	for _, table := range []string{"incident_services", "incident_related"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE incident_id = $1`, r.ID); err != nil {
			return ImportReport{}, fmt.Errorf("%s: %w", table, err)
		}
	}
	for _, svc := range r.LabelServices() { // an over-long service or url is a finding, kept out of the database
		if _, err := tx.Exec(ctx, `INSERT INTO incident_services (incident_id, service) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, svc); err != nil {
			return ImportReport{}, fmt.Errorf("service %s: %w", svc, err)
		}
	}
	for _, rel := range r.Related {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_related (incident_id, related_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, rel); err != nil {
			return ImportReport{}, fmt.Errorf("related %s: %w", rel, err)
		}
	}
	for _, i := range plan.write {
		a := r.ActionItems[i]
		a.URL = a.LabelURL() // a url that is no web link is a finding, kept out of the database
		if err := writeItem(ctx, tx, src, r.ID, a); err != nil {
			return ImportReport{}, err
		}
	}
	if err := writeFindings(ctx, tx, r); err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

// writeIncident upserts the incident row of r, unless its id is stored
// from another source name (a *sourceTakenError).
func writeIncident(ctx context.Context, tx pgx.Tx, src Source, r record.Checked, storedPath, hash string) error {
	var review record.SecurityReview
	if r.SecurityReview != nil {
		review = *r.SecurityReview
	}
	// The condition on the stored row holds for every row this batch
	// locked; it guards against an id inserted by another import since.
	var written bool
	err := tx.QueryRow(ctx, `
INSERT INTO incidents (id, source_path, content_hash, title, severity, security_incident, team, url,
	started_at, detected_at, mitigated_at, resolved_at, origin, resolution, detection,
	customers_affected, failed_requests, data_loss, p99_latency_ms, status, published_at,
	moderator, bar_raiser, learnings, security_review_by, security_review_outcome, security_review_date, source_name,
	source_root, acknowledged_at, custom)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
	$22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
ON CONFLICT (id) DO UPDATE SET source_path = $2, content_hash = $3, title = $4, severity = $5,
	security_incident = $6, team = $7, url = $8, started_at = $9, detected_at = $10, mitigated_at = $11,
	resolved_at = $12, origin = $13, resolution = $14, detection = $15, customers_affected = $16,
	failed_requests = $17, data_loss = $18, p99_latency_ms = $19, status = $20, published_at = $21,
	moderator = $22, bar_raiser = $23, learnings = $24, security_review_by = $25, security_review_outcome = $26,
	security_review_date = $27, source_name = $28, source_root = $29, acknowledged_at = $30, custom = $31
WHERE incidents.source_name IN ($28, '')
RETURNING true`,
		r.ID, storedPath, hash, r.Title, r.Severity, r.SecurityIncident, r.Team, r.LabelURL(),
		r.StartedAt, r.DetectedAt, NullTime(r.MitigatedAt), NullTime(r.ResolvedAt), r.Origin, NullString(r.Resolution), r.Detection,
		r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Impact.P99LatencyMS, r.Status, NullTime(r.PublishedAt),
		r.Moderator, r.BarRaiser, orNoText(r.Learnings), NullString(review.By), NullString(review.Outcome), NullTime(review.Date),
		src.Name, src.Root, NullTime(r.AcknowledgedAt), cmp.Or(r.CustomJSON(), "{}")).Scan(&written)
	if errors.Is(err, pgx.ErrNoRows) {
		taken := &sourceTakenError{}
		if err := tx.QueryRow(ctx, `SELECT source_name, source_path FROM incidents WHERE id = $1`, r.ID).Scan(&taken.source, &taken.path); err != nil {
			return fmt.Errorf("incident: read its source name: %w", err)
		}
		return taken
	}
	if err != nil {
		return fmt.Errorf("incident: %w", err)
	}
	return nil
}

// itemPlan is what a write does with a record's action items.
type itemPlan struct {
	write  []int    // indexes of the items to upsert
	keep   []string // ids of the incident's stored items that stay
	report ImportReport
}

// storedItem is an action item stored under some incident.
type storedItem struct {
	incident, source, path, root string
}

// planItems reads, and locks, the stored items with the ids of r's
// action items, and decides each: an item that counts is upserted unless
// another source's incident holds its id (a conflict); one that turned
// invalid keeps the version its incident stores.
func planItems(ctx context.Context, tx pgx.Tx, src Source, r record.Checked, removed map[string]RemovedItem) (itemPlan, error) {
	if len(r.ActionItems) == 0 {
		return itemPlan{}, nil
	}
	ids := make([]string, len(r.ActionItems))
	for i, a := range r.ActionItems {
		ids[i] = a.ID
	}
	rows, err := tx.Query(ctx, `SELECT a.id, a.incident_id, i.source_name, i.source_path, i.source_root
FROM action_items a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ANY($1) ORDER BY a.id FOR UPDATE OF a`, ids)
	if err != nil {
		return itemPlan{}, fmt.Errorf("action items: %w", err)
	}
	stored := map[string]storedItem{}
	var id string
	var s storedItem
	if _, err := pgx.ForEachRow(rows, []any{&id, &s.incident, &s.source, &s.path, &s.root}, func() error { stored[id] = s; return nil }); err != nil {
		return itemPlan{}, fmt.Errorf("action items: %w", err)
	}
	var plan itemPlan
	for i, a := range r.ActionItems {
		s, has := stored[a.ID]
		ours := has && s.incident == r.ID
		switch {
		case a.ID == "":
		case !r.Verdict.ItemCounts(i): // a field_invalid finding reports it
			if ours {
				plan.keep = append(plan.keep, a.ID)
				plan.report.KeptItems = append(plan.report.KeptItems, KeptItem{ID: a.ID, Incident: r.ID, Path: r.Path})
			}
		case has && !ours && s.source != "" && s.source != src.Name:
			plan.report.ItemConflicts = append(plan.report.ItemConflicts, ItemConflict{ID: a.ID, Index: i, Incident: r.ID, Path: r.Path,
				Other: s.incident, OtherPath: s.path, OtherSource: s.source})
		default:
			plan.write = append(plan.write, i)
			plan.keep = append(plan.keep, a.ID)
			if move, ok := movedItem(src, r, a.ID, s, has, removed); ok {
				plan.report.MovedItems = append(plan.report.MovedItems, move)
			}
		}
	}
	return plan, nil
}

// movedItem reports the move of item id to r's incident: from the
// incident that stores it (s, when has), or from the one that an earlier
// record of the import removed it from.
func movedItem(src Source, r record.Checked, id string, s storedItem, has bool, removed map[string]RemovedItem) (MovedItem, bool) {
	switch {
	case has && s.incident != r.ID:
		return MovedItem{ID: id, From: s.incident, FromPath: src.ShownPath(s.path, s.root), To: r.ID, Path: r.Path}, true
	case !has:
		if gone, ok := removed[id]; ok && gone.Incident != r.ID {
			return MovedItem{ID: id, From: gone.Incident, FromPath: gone.Path, To: r.ID, Path: r.Path}, true
		}
	}
	return MovedItem{}, false
}

// writeItem upserts an action item of incident: one stored for another
// incident of the same source name (or of none) moves to this one. It
// returns errItemTaken when another import stored the id for another
// source's incident since planItems read it.
func writeItem(ctx context.Context, tx pgx.Tx, src Source, incident string, a record.ActionItem) error {
	var written bool
	err := tx.QueryRow(ctx, `
INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, closed_at, exception, url, exception_approver,
	state_source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $14)
ON CONFLICT (id) DO UPDATE SET incident_id = $2, title = $3, owner = $4, team = $5, created_at = $6, due = $7,
	status = $8, closed_at = $9, exception = $10, url = $11, exception_approver = $12, state_source = $14
WHERE action_items.incident_id = $2
   OR action_items.incident_id IN (SELECT id FROM incidents WHERE source_name IN ($13, ''))
RETURNING true`,
		a.ID, incident, a.Title, a.Owner, a.Team, a.CreatedAt, NullTime(a.Due), a.Status, NullTime(a.ClosedAt), a.Exception, a.URL,
		a.ExceptionApprover, src.Name, a.StateSourceLabel()).Scan(&written)
	if errors.Is(err, pgx.ErrNoRows) {
		err = errItemTaken
	}
	if err != nil {
		return fmt.Errorf("action item %s: %w", a.ID, err)
	}
	return nil
}
