package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// startTestDatabase starts a real PostgreSQL with the schema migrated.
func startTestDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := connect(t, testenv.StartPostgres(t).URL)
	if _, err := Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}
