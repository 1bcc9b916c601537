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

// TestAcknowledgedAndCustomConstraints: the schema refuses, from any
// writer, an acknowledged_at outside [detected_at, mitigated_at or
// resolved_at] and custom fields that are not an object of scalars, as
// validation does (record.TestAcknowledgedAt, TestCustomFields).
func TestAcknowledgedAndCustomConstraints(t *testing.T) {
	pool := connect(t, testenv.StartPostgres(t).URL)
	ctx := context.Background()
	if _, err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	// Started 10:00, detected 10:05, mitigated 10:30, resolved 11:00.
	const incident = `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at,
		mitigated_at, resolved_at, resolution, origin, detection, status, acknowledged_at, custom)
		VALUES ($1, 'sql', '', 't', 'sev2', 'a', '2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z', $2, '2026-01-01T11:00:00Z',
		'rollback', 'unknown', 'internal', 'draft', $3, $4)`
	for i, tc := range []struct {
		name      string
		mitigated any
		acked     any
		custom    string
		ok        bool
	}{
		{"acknowledged between detection and mitigation", "2026-01-01T10:30:00Z", "2026-01-01T10:06:00Z", `{"a": "x", "n": 1.5, "b": true}`, true},
		{"not acknowledged", "2026-01-01T10:30:00Z", nil, `{}`, true},
		{"acknowledged before detection", "2026-01-01T10:30:00Z", "2026-01-01T10:04:00Z", `{}`, false},
		{"acknowledged after mitigation", "2026-01-01T10:30:00Z", "2026-01-01T10:31:00Z", `{}`, false},
		{"acknowledged after resolution, not mitigated", nil, "2026-01-01T11:01:00Z", `{}`, false},
		{"custom not an object", "2026-01-01T10:30:00Z", nil, `[1]`, false},
		{"a list value", "2026-01-01T10:30:00Z", nil, `{"a": [1]}`, false},
		{"a null value", "2026-01-01T10:30:00Z", nil, `{"a": null}`, false},
	} {
		_, err := pool.Exec(ctx, incident, fmt.Sprintf("PM-%d", i), tc.mitigated, tc.acked, tc.custom)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want accepted %v", tc.name, err, tc.ok)
		}
	}
}
