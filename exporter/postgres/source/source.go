// Package source builds snapshots from the records a PostgreSQL store
// holds (package store): it reads the rollups its triggers keep and
// corrects them row by row where they cannot answer.
package source

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// SourceName is the `source` label of records read from PostgreSQL.
const SourceName = "postgres"

// Source builds snapshots from the records in PostgreSQL. Each refresh
// reads in read-only REPEATABLE READ transactions that share one snapshot
// of the database (pg_export_snapshot), so the snapshot is consistent
// while its queries run at the same time on a few connections. It reads
// the rollups the triggers keep (migrations/0002_rollups.sql) for the
// whole days of the windows, and row by row only what they cannot answer:
// the incidents of the windows' partial first and last days, the ones
// with an event after the snapshot's instant, the invalid ones, and the
// open and pending records. docs/postgres.md walks through it.
type Source struct {
	Pool *pgxpool.Pool
	// Limits bound the records' times and lists, as for files.
	Limits  record.Limits
	Options snapshot.Options
	// StatementTimeout bounds every statement of a refresh.
	StatementTimeout time.Duration
	// Migrate applies missing migrations on the first refresh that reaches
	// the database; otherwise the schema must already be current.
	Migrate bool
	Logger  *slog.Logger

	schemaReady atomic.Bool
}

// refreshPlannerSettings hold for a refresh's transactions. Every query of
// a refresh reads a few thousand rows by index, driven by small arrays of
// blocks and edges; at a million incidents the planner misjudges those
// joins, picks hash joins over whole tables, spends a tenth of a second
// compiling them with JIT, and sorts tens of thousands of rows to group
// them. Index-driven nested loops and hashed groups are always right here.
const refreshPlannerSettings = `; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0;
	SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
	SET LOCAL enable_sort = off`

// readConnections is how many connections a refresh reads on at once: up
// to three, and never all of the pool's.
func (s *Source) readConnections() int {
	return max(1, min(3, int(s.Pool.Config().MaxConns)-1))
}

// Name returns "postgres".
func (s *Source) Name() string { return SourceName }

// allEvents is an instant after every event: the rollups count each
// incident with all its events, whenever they happened. PostgreSQL stores
// no time after the year 294276; an implausible row may hold one in 9999.
var allEvents = time.Date(294277, time.January, 1, 0, 0, 0, 0, time.UTC)

// Snapshot aggregates the records as of asOf. Rows that break cfg's
// taxonomy, hold implausible times or name unknown related incidents are
// reported as invalid records. Of cfg's quality rules, only which are off
// matters: findings are computed by import with its own --quality.file
// and stored, and a refresh leaves out those of the rules that are off
// (docs/quality.md).
func (s *Source) Snapshot(ctx context.Context, asOf time.Time, cfg record.Config) (*snapshot.Snapshot, error) {
	if err := s.prepareSchema(ctx); err != nil {
		return nil, err
	}
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only; nothing to undo
	settings := fmt.Sprintf("SET LOCAL statement_timeout = %d", s.StatementTimeout.Milliseconds()) + refreshPlannerSettings
	if _, err := tx.Exec(ctx, settings); err != nil {
		return nil, fmt.Errorf("refresh settings: %w", err)
	}
	opts := s.Options
	opts.SetTaxonomy(cfg.Taxonomy)
	// Tickets stored by `import --trackers.file`: their tracker_drift
	// findings are published, as when the files source syncs them.
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM tracker_tickets)`).Scan(&opts.Trackers); err != nil {
		return nil, fmt.Errorf("read tracker_tickets: %w", err)
	}
	periods := opts.Periods.Periods(asOf)
	p, pp := newPlan(asOf, opts.Windows), newPeriodPlan(periods)
	r := &refresh{asOf: asOf, windows: opts.Windows, periods: periods, trendsStart: opts.Periods.TrendsStart(asOf), byTeam: opts.Periods.ByTeam != snapshot.TeamsOff, taxonomy: cfg.Taxonomy,
		plan: p, periodPlan: pp, b: snapshot.NewBuilder(SourceName, asOf, opts), sums: newRollupSums(asOf, opts.Windows, periods, p, pp),
		customLabels: opts.CustomLabels, quality: cfg.Quality, possibleWithin: opts.PossibleRepeatsWithin}
	rules := cfg.Rules(s.Limits, time.Now()) // the wall clock, as for files
	if err := r.findInvalid(ctx, tx, rules); err != nil {
		return nil, err
	}
	if err := runReads(ctx, s.Pool, tx, settings, s.readConnections(), r.reads()); err != nil {
		return nil, err
	}
	r.b.AddSums(r.sums.Sums)
	snap := r.b.Snapshot()
	if err := addTitles(ctx, tx, snap); err != nil {
		return nil, err
	}
	return snap, nil
}

// prepareSchema migrates or checks the schema once per exporter run.
func (s *Source) prepareSchema(ctx context.Context) error {
	if s.schemaReady.Load() {
		return nil
	}
	if s.Migrate {
		if n, err := store.Migrate(ctx, s.Pool); err != nil {
			return err
		} else if n > 0 {
			s.Logger.Info("applied database migrations", "count", n)
		}
	} else if err := store.CheckSchema(ctx, s.Pool); err != nil {
		return err
	}
	s.schemaReady.Store(true)
	return nil
}
