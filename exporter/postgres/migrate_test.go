package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

func connect(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

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
