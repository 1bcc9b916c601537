package synthload_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/synthload"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestSyntheticRefusesADatabaseWithIncidents checks synthetic data is
// never mixed into real incidents.
func TestSyntheticRefusesADatabaseWithIncidents(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	err := synthload.WriteSynthetic(context.Background(), pool, synthetic.Org{Incidents: 10, ItemsPerRecord: 1, Teams: 2, Seed: 1, End: time.Now()}, nil)
	if !errors.Is(err, synthload.ErrNotEmpty) {
		t.Fatalf("Write into a database with incidents: %v, want synthload.ErrNotEmpty", err)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
		t.Fatalf("%d incidents after the refused write, want %d", n, len(records))
	}
}
