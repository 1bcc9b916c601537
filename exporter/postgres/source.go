package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// SourceName is the `source` label of records read from PostgreSQL.
const SourceName = "postgres"

// Source builds snapshots from the records in PostgreSQL. Each refresh
// reads in one read-only REPEATABLE READ transaction, so the snapshot is
// consistent, and streams the incidents one at a time into the snapshot
// builder, so memory does not grow with their number.
type Source struct {
	Pool     *pgxpool.Pool
	Taxonomy record.Taxonomy
	Options  snapshot.Options
	// StatementTimeout bounds every statement of a refresh.
	StatementTimeout time.Duration
	// Migrate applies missing migrations on the first refresh that reaches
	// the database; otherwise the schema must already be current.
	Migrate bool
	Logger  *slog.Logger

	schemaReady atomic.Bool
}

// Name returns "postgres".
func (s *Source) Name() string { return SourceName }

// Snapshot reads every incident with its action items, services and
// related incidents, validates each against the taxonomy and aggregates it.
// Rows that break the taxonomy are reported as invalid records.
func (s *Source) Snapshot(ctx context.Context, asOf time.Time) (*snapshot.Snapshot, error) {
	if err := s.prepareSchema(ctx); err != nil {
		return nil, err
	}
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only; nothing to undo
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", s.StatementTimeout.Milliseconds())); err != nil {
		return nil, fmt.Errorf("statement timeout: %w", err)
	}
	rows, err := tx.Query(ctx, incidentsQuery)
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	defer rows.Close()
	b := snapshot.NewBuilder(SourceName, asOf, s.Options)
	for rows.Next() {
		r, repeat, unknownRelated, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		problems := record.Validate(r, s.Taxonomy)
		for _, id := range unknownRelated {
			problems = append(problems, record.Problem{Path: r.Path, Field: "related", Code: record.CodeUnknownRelated,
				Message: fmt.Sprintf("no incident has id %q", id)})
		}
		if len(problems) > 0 {
			b.AddInvalid(r)
			b.AddProblems(problems...)
			continue
		}
		b.Add(r, repeat)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	return b.Snapshot(), nil
}

// prepareSchema migrates or checks the schema once per exporter run.
func (s *Source) prepareSchema(ctx context.Context) error {
	if s.schemaReady.Load() {
		return nil
	}
	if s.Migrate {
		if n, err := Migrate(ctx, s.Pool); err != nil {
			return err
		} else if n > 0 {
			s.Logger.Info("applied database migrations", "count", n)
		}
	} else if err := CheckSchema(ctx, s.Pool); err != nil {
		return err
	}
	s.schemaReady.Store(true)
	return nil
}

// incidentsQuery returns one row per incident with its children folded in,
// whether it repeats an earlier incident (one of its related incidents
// started earlier and had an action item open when it started), and the
// related ids that name no incident.
const incidentsQuery = `
SELECT i.id, i.title, i.severity, i.security_incident, i.team, i.url,
       i.started_at, i.detected_at, i.mitigated_at, i.resolved_at,
       i.origin, coalesce(i.resolution, ''), i.detection,
       i.customers_affected, i.failed_requests, i.data_loss, i.p99_latency_ms,
       i.status, i.published_at,
       coalesce((SELECT array_agg(s.service ORDER BY s.service) FROM incident_services s WHERE s.incident_id = i.id), '{}'),
       coalesce((SELECT array_agg(r.related_id ORDER BY r.related_id) FROM incident_related r WHERE r.incident_id = i.id), '{}'),
       coalesce((SELECT array_agg(r.related_id ORDER BY r.related_id) FROM incident_related r
                  WHERE r.incident_id = i.id AND NOT EXISTS (SELECT 1 FROM incidents e WHERE e.id = r.related_id)), '{}'),
       EXISTS (SELECT 1 FROM incident_related r
                 JOIN incidents e ON e.id = r.related_id
                 JOIN action_items a ON a.incident_id = e.id
                WHERE r.incident_id = i.id AND e.started_at < i.started_at
                  AND a.created_at <= i.started_at AND (a.status = 'open' OR a.closed_at > i.started_at)),
       coalesce((SELECT json_agg(json_build_object(
                    'id', a.id, 'title', a.title, 'owner', a.owner, 'team', a.team, 'created_at', a.created_at,
                    'due', a.due, 'status', a.status, 'closed_at', a.closed_at, 'exception', a.exception, 'url', a.url)
                    ORDER BY a.id)
                  FROM action_items a WHERE a.incident_id = i.id), '[]')
  FROM incidents i`

// itemRow is an action item as incidentsQuery folds it into JSON.
type itemRow struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Owner     string     `json:"owner"`
	Team      string     `json:"team"`
	CreatedAt time.Time  `json:"created_at"`
	Due       string     `json:"due"`
	Status    string     `json:"status"`
	ClosedAt  *time.Time `json:"closed_at"`
	Exception string     `json:"exception"`
	URL       string     `json:"url"`
}

func scanIncident(rows pgx.Rows) (r *record.Record, repeat bool, unknownRelated []string, err error) {
	r = &record.Record{}
	var mitigated, resolved, published *time.Time
	var items []byte
	err = rows.Scan(&r.ID, &r.Title, &r.Severity, &r.SecurityIncident, &r.Team, &r.URL,
		&r.StartedAt, &r.DetectedAt, &mitigated, &resolved,
		&r.Origin, &r.Resolution, &r.Detection,
		&r.Impact.CustomersAffected, &r.Impact.FailedRequests, &r.Impact.DataLoss, &r.Impact.P99LatencyMS,
		&r.Status, &published, &r.Services, &r.Related, &unknownRelated, &repeat, &items)
	if err != nil {
		return nil, false, nil, fmt.Errorf("read incident: %w", err)
	}
	r.Path = "postgres:incidents/" + r.ID
	r.StartedAt, r.DetectedAt = r.StartedAt.UTC(), r.DetectedAt.UTC()
	r.MitigatedAt, r.ResolvedAt, r.PublishedAt = utc(mitigated), utc(resolved), utc(published)
	var itemRows []itemRow
	if err := json.Unmarshal(items, &itemRows); err != nil {
		return nil, false, nil, fmt.Errorf("%s: action items: %w", r.Path, err)
	}
	for _, it := range itemRows {
		due, err := time.Parse(time.DateOnly, it.Due)
		if err != nil {
			return nil, false, nil, fmt.Errorf("%s: action item %s: due: %w", r.Path, it.ID, err)
		}
		r.ActionItems = append(r.ActionItems, record.ActionItem{
			ID: it.ID, Title: it.Title, Owner: it.Owner, Team: it.Team, CreatedAt: it.CreatedAt.UTC(),
			Due: due, Status: it.Status, ClosedAt: utc(it.ClosedAt), Exception: it.Exception, URL: it.URL,
		})
	}
	return r, repeat, unknownRelated, nil
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
