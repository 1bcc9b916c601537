// Package synthload writes a synthetic organisation into an empty
// PostgreSQL store, for the benchmarks.
package synthload

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
)

// ErrNotEmpty means synthetic data was asked for in a database that
// already holds incidents: it would mix made-up incidents with real ones.
var ErrNotEmpty = errors.New("the database already holds incidents; synthetic data is written only into an empty one")

// WriteSynthetic streams a generated organisation into an empty database
// with COPY, one table at a time, each row generated as it is sent; the
// progress (nil says nothing) hears how far it has come, in incidents per
// table. It refuses a database that holds any incident (ErrNotEmpty).
func WriteSynthetic(ctx context.Context, pool *pgxpool.Pool, s synthetic.Org, progress store.Progress) error {
	progress = store.OrSilent(progress)
	tables := []struct {
		name    string
		columns []string
		rows    func(r *record.Record) [][]any
	}{
		{"incidents", []string{"id", "source_path", "content_hash", "title", "severity", "security_incident", "team", "started_at",
			"detected_at", "mitigated_at", "resolved_at", "origin", "resolution", "detection", "customers_affected",
			"failed_requests", "data_loss", "status", "published_at"},
			func(r *record.Record) [][]any {
				return [][]any{{r.ID, "synthetic", "", r.Title, r.Severity, r.SecurityIncident, r.Team, r.StartedAt,
					r.DetectedAt, store.NullTime(r.MitigatedAt), store.NullTime(r.ResolvedAt), r.Origin, store.NullString(r.Resolution), r.Detection,
					r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Status, store.NullTime(r.PublishedAt)}}
			}},
		{"incident_services", []string{"incident_id", "service"}, func(r *record.Record) [][]any {
			return [][]any{{r.ID, r.Services[0]}}
		}},
		{"incident_related", []string{"incident_id", "related_id"}, func(r *record.Record) [][]any {
			var rows [][]any
			for _, rel := range r.Related {
				rows = append(rows, []any{r.ID, rel})
			}
			return rows
		}},
		{"action_items", []string{"id", "incident_id", "title", "owner", "team", "created_at", "due", "status", "closed_at",
			"exception", "exception_approver"},
			func(r *record.Record) [][]any {
				var rows [][]any
				for _, a := range r.ActionItems {
					rows = append(rows, []any{a.ID, r.ID, a.Title, a.Owner, a.Team, a.CreatedAt, a.Due, a.Status, store.NullTime(a.ClosedAt),
						a.Exception, a.ExceptionApprover})
				}
				return rows
			}},
	}
	// One transaction; the per-statement triggers are switched off while
	// it copies and the rollups rebuilt once at the end, which is several
	// times faster for millions of rows than recomputing them per table.
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Nobody writes incidents until this transaction ends: the check
		// stays true.
		if _, err := tx.Exec(ctx, `LOCK TABLE incidents IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("lock incidents: %w", err)
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM incidents)`).Scan(&held); err != nil {
			return fmt.Errorf("look for incidents: %w", err)
		}
		if held {
			return ErrNotEmpty
		}
		for _, table := range tables {
			if _, err := tx.Exec(ctx, `ALTER TABLE `+table.name+` DISABLE TRIGGER USER`); err != nil {
				return fmt.Errorf("disable triggers on %s: %w", table.name, err)
			}
		}
		for n, table := range tables {
			progress.Stage(fmt.Sprintf("copy %s (%d/%d)", table.name, n+1, len(tables)), int64(s.Incidents))
			i, pending := 0, [][]any(nil)
			source := pgx.CopyFromFunc(func() ([]any, error) {
				for len(pending) == 0 && i < s.Incidents {
					pending = table.rows(s.Record(i))
					i++
					progress.Add(1)
				}
				if len(pending) == 0 {
					return nil, nil
				}
				row := pending[0]
				pending = pending[1:]
				return row, nil
			})
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{table.name}, table.columns, source); err != nil {
				return fmt.Errorf("copy %s: %w", table.name, err)
			}
			if _, err := tx.Exec(ctx, `ALTER TABLE `+table.name+` ENABLE TRIGGER USER`); err != nil {
				return fmt.Errorf("enable triggers on %s: %w", table.name, err)
			}
		}
		progress.Stage("rebuild rollups", 0)
		if _, err := tx.Exec(ctx, `SELECT postmortem_rebuild_rollups()`); err != nil {
			return fmt.Errorf("rebuild rollups: %w", err)
		}
		return nil
	})
}
