package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// ImportReport counts what an import did.
type ImportReport struct {
	Inserted, Updated, Unchanged, Pruned int
}

// ImportBatchSize is how many records one transaction upserts.
const ImportBatchSize = 500

// Import upserts valid records, one transaction per batch: a new record is
// inserted, a changed one updated with its action items, services and
// related ids replaced, an unchanged one (same content hash) left alone.
// With prune, incidents whose id no longer appears in keep are deleted;
// keep holds the ids of every record read, valid or not, so an invalid
// file never deletes its incident.
func Import(ctx context.Context, pool *pgxpool.Pool, records []*record.Record, prune bool, keep []string) (ImportReport, error) {
	var rep ImportReport
	for start := 0; start < len(records); start += ImportBatchSize {
		batch := records[start:min(start+ImportBatchSize, len(records))]
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return importBatch(ctx, tx, batch, &rep) }); err != nil {
			return rep, err
		}
	}
	if prune {
		tag, err := pool.Exec(ctx, `DELETE FROM incidents WHERE id <> ALL($1)`, keep)
		if err != nil {
			return rep, fmt.Errorf("prune: %w", err)
		}
		rep.Pruned = int(tag.RowsAffected())
	}
	return rep, nil
}

func importBatch(ctx context.Context, tx pgx.Tx, batch []*record.Record, rep *ImportReport) error {
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.ID
	}
	stored := map[string]string{}
	rows, err := tx.Query(ctx, `SELECT id, content_hash FROM incidents WHERE id = ANY($1)`, ids)
	if err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	var id, hash string
	if _, err := pgx.ForEachRow(rows, []any{&id, &hash}, func() error { stored[id] = hash; return nil }); err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	for _, r := range batch {
		h, err := contentHash(r)
		if err != nil {
			return err
		}
		old, exists := stored[r.ID]
		switch {
		case exists && old == h:
			rep.Unchanged++
			continue
		case exists:
			rep.Updated++
		default:
			rep.Inserted++
		}
		if err := writeRecord(ctx, tx, r, h); err != nil {
			return fmt.Errorf("%s: %w", r.Path, err)
		}
	}
	return nil
}

// contentHash identifies a record's content, to skip unchanged ones.
func contentHash(r *record.Record) (string, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.Path, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// writeRecord upserts the incident and replaces its children.
func writeRecord(ctx context.Context, tx pgx.Tx, r *record.Record, hash string) error {
	_, err := tx.Exec(ctx, `
INSERT INTO incidents (id, source_path, content_hash, title, severity, security_incident, team, url,
	started_at, detected_at, mitigated_at, resolved_at, origin, resolution, detection,
	customers_affected, failed_requests, data_loss, p99_latency_ms, status, published_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
ON CONFLICT (id) DO UPDATE SET source_path = $2, content_hash = $3, title = $4, severity = $5,
	security_incident = $6, team = $7, url = $8, started_at = $9, detected_at = $10, mitigated_at = $11,
	resolved_at = $12, origin = $13, resolution = $14, detection = $15, customers_affected = $16,
	failed_requests = $17, data_loss = $18, p99_latency_ms = $19, status = $20, published_at = $21`,
		r.ID, r.Path, hash, r.Title, r.Severity, r.SecurityIncident, r.Team, r.URL,
		r.StartedAt, r.DetectedAt, nullTime(r.MitigatedAt), nullTime(r.ResolvedAt), r.Origin, nullString(r.Resolution), r.Detection,
		r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Impact.P99LatencyMS, r.Status, nullTime(r.PublishedAt))
	if err != nil {
		return fmt.Errorf("incident: %w", err)
	}
	for _, table := range []string{"action_items", "incident_services", "incident_related"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE incident_id = $1`, r.ID); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	for _, svc := range r.Services {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_services (incident_id, service) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, svc); err != nil {
			return fmt.Errorf("service %s: %w", svc, err)
		}
	}
	for _, rel := range r.Related {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_related (incident_id, related_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, rel); err != nil {
			return fmt.Errorf("related %s: %w", rel, err)
		}
	}
	for _, a := range r.ActionItems {
		_, err := tx.Exec(ctx, `
INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, closed_at, exception, url)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			a.ID, r.ID, a.Title, a.Owner, a.Team, a.CreatedAt, a.Due, a.Status, nullTime(a.ClosedAt), a.Exception, a.URL)
		if err != nil {
			return fmt.Errorf("action item %s: %w", a.ID, err)
		}
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
