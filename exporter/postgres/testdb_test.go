package postgres

import (
	"context"
	"testing"
	"time"

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

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
