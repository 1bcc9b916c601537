package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestMigrations migrates an empty database, re-runs as a no-op, and
// refuses a database migrated by a newer exporter.
func TestMigrations(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pool := connect(t, pg.URL)
	ctx := context.Background()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}

	if err := CheckSchema(ctx, pool); !errors.Is(err, ErrSchemaOlder) {
		t.Fatalf("empty database: CheckSchema = %v, want ErrSchemaOlder", err)
	}
	if n, err := Migrate(ctx, pool); err != nil || n != len(all) {
		t.Fatalf("from empty: applied %d, %v; want %d", n, err, len(all))
	}
	if err := CheckSchema(ctx, pool); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
	if n, err := Migrate(ctx, pool); err != nil || n != 0 {
		t.Fatalf("re-run: applied %d, %v; want a no-op", n, err)
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('incidents', 'action_items', 'incident_services', 'incident_related')`).Scan(&tables); err != nil || tables != 4 {
		t.Fatalf("tables: %d, %v", tables, err)
	}

	if _, err := pool.Exec(ctx, `INSERT INTO postmortem_schema_version (version, name) VALUES (9999, '9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(ctx, pool); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("newer schema: Migrate = %v, want ErrSchemaNewer", err)
	}
	if err := CheckSchema(ctx, pool); !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("newer schema: CheckSchema = %v, want ErrSchemaNewer", err)
	}
}

// TestConstraintsMirrorValidation checks that rows other clients write
// obey the rules validation enforces on files.
func TestConstraintsMirrorValidation(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pool := connect(t, pg.URL)
	ctx := context.Background()
	if _, err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	const incident = `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, origin, detection, status)
		VALUES ($1, 'sql', '', 't', 'sev2', 'a', '2026-01-01T10:00:00Z', $2, 'unknown', 'internal', 'draft')`
	if _, err := pool.Exec(ctx, incident, "PM-1", "2026-01-01T10:05:00Z"); err != nil {
		t.Fatalf("a valid incident was refused: %v", err)
	}
	const item = `INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status)
		VALUES ($1, 'PM-1', 't', $2, 'a', '2026-01-01T11:00:00Z', '2026-01-10', 'open')`
	for _, tc := range []struct {
		name, sql string
		args      []any
	}{
		{"detected before started", incident, []any{"PM-2", "2026-01-01T09:00:00Z"}},
	} {
		if _, err := pool.Exec(ctx, tc.sql, tc.args...); err == nil {
			t.Errorf("%s: the row was accepted", tc.name)
		}
	}
	// An owner problem is a finding on a served record (docs/quality.md):
	// the schema stores such items, as validation serves them.
	for i, owner := range []string{"alice", "", "alice, bob", "alice and bob"} {
		if _, err := pool.Exec(ctx, item, fmt.Sprintf("I-%d", i), owner); err != nil {
			t.Errorf("an item with owner %q was refused: %v", owner, err)
		}
	}
}

// connect returns a pool on url, closed when the test ends.
func connect(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
