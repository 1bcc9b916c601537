package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Synthetic describes a generated organisation: realistic incidents with
// action items, the same for the same seed. Incidents spread over the
// History before End; what would happen after End has not happened yet, so
// the newest incidents are still unresolved or in review and their items
// open, and a few items are never closed (they are the overdue ones). The
// first item of one incident in ten has an exception.
type Synthetic struct {
	Incidents      int
	ItemsPerRecord int // action items per incident
	Teams          int
	Seed           uint64
	// End is the newest start time and the instant the data is written as of.
	End time.Time
	// History is how far back the incidents go; zero means five years.
	History time.Duration
	// Progress hears how far Write has come, in incidents per table; nil
	// says nothing.
	Progress Progress
}

// history returns how far back the incidents go.
func (s Synthetic) history() time.Duration {
	if s.History == 0 {
		return 5 * 365 * 24 * time.Hour
	}
	return s.History
}

// Record returns the i-th synthetic record, derived from the seed and i
// alone, so each table can be streamed separately without holding rows.
func (s Synthetic) Record(i int) *record.Record {
	rng := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	tax := record.DefaultTaxonomy()
	pick := func(values []string) string { return values[rng.IntN(len(values))] }
	minutes := func(n int) time.Duration { return time.Duration(rng.IntN(n)) * time.Minute }
	// Detection takes at most 3 hours: every incident is detected by End.
	started := s.End.Add(-3*time.Hour - time.Duration(rng.Int64N(int64(s.history())))).Truncate(time.Second)
	r := &record.Record{
		ID:         fmt.Sprintf("SYN-%08d", i),
		Title:      fmt.Sprintf("synthetic incident %d", i),
		Severity:   tax.Severities[min(rng.IntN(10), 3)], // sev1 10%, sev2 10%, sev3 10%, sev4 70%
		Team:       fmt.Sprintf("team-%03d", rng.IntN(s.Teams)),
		StartedAt:  started,
		DetectedAt: started.Add(time.Minute + minutes(180)),
		Origin:     pick(tax.Origins),
		Detection:  pick(tax.Detections),
		Status:     record.StatusDraft,
		Services:   []string{fmt.Sprintf("service-%03d", rng.IntN(300))},
		Impact:     record.Impact{CustomersAffected: rng.Int64N(10000), FailedRequests: rng.Int64N(100000), DataLoss: rng.IntN(200) == 0},
	}
	r.SecurityIncident = rng.IntN(100) == 0
	mitigated := r.DetectedAt.Add(minutes(120))
	resolved := mitigated.Add(minutes(48 * 60))
	published := resolved.Add(time.Duration(1+rng.IntN(14)) * 24 * time.Hour)
	resolution := pick(tax.Resolutions)
	if !mitigated.After(s.End) {
		r.MitigatedAt = mitigated
	}
	if !resolved.After(s.End) {
		r.ResolvedAt, r.Resolution, r.Status = resolved, resolution, record.StatusInReview
	}
	if !published.After(s.End) {
		r.PublishedAt, r.Status = published, record.StatusPublished
	}
	if i > 0 && rng.IntN(20) == 0 {
		r.Related = []string{fmt.Sprintf("SYN-%08d", rng.IntN(i))}
	}
	created := r.DetectedAt
	for j := range s.ItemsPerRecord {
		a := record.ActionItem{
			ID: fmt.Sprintf("%s-%d", r.ID, j+1), Title: "synthetic action item",
			Owner: fmt.Sprintf("owner-%04d", rng.IntN(5000)), Team: r.Team, CreatedAt: created,
			Due: created.Truncate(24 * time.Hour).Add(time.Duration(1+rng.IntN(30)) * 24 * time.Hour), Status: record.ItemOpen,
		}
		closed := created.Add(time.Duration(1+rng.IntN(14*24)) * time.Hour)
		switch n := rng.IntN(1000); {
		case n < 1 || closed.After(s.End): // forgotten, or not done yet
		case n < 60:
			a.Status, a.ClosedAt = record.ItemWontDo, closed
		default:
			a.Status, a.ClosedAt = record.ItemDone, closed
		}
		// The first item of one incident in ten is a larger one a leader
		// approved with its own due day; every other one names the leader.
		if j == 0 && i%10 == 0 {
			a.Exception = "approved as a larger item"
			if i%20 == 0 {
				a.ExceptionApprover = "vp-engineering"
			}
		}
		r.ActionItems = append(r.ActionItems, a)
	}
	return r
}

// ErrNotEmpty means synthetic data was asked for in a database that
// already holds incidents: it would mix made-up incidents with real ones.
var ErrNotEmpty = errors.New("the database already holds incidents; synthetic data is written only into an empty one")

// Write streams the organisation into an empty database with COPY, one
// table at a time, each row generated as it is sent. It refuses a database
// that holds any incident (ErrNotEmpty).
func (s Synthetic) Write(ctx context.Context, pool *pgxpool.Pool) error {
	progress := orSilent(s.Progress)
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
					r.DetectedAt, nullTime(r.MitigatedAt), nullTime(r.ResolvedAt), r.Origin, nullString(r.Resolution), r.Detection,
					r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Status, nullTime(r.PublishedAt)}}
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
					rows = append(rows, []any{a.ID, r.ID, a.Title, a.Owner, a.Team, a.CreatedAt, a.Due, a.Status, nullTime(a.ClosedAt),
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
