package postgres

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
)

// importExamples imports the bundled examples into a new database.
func importExamples(t *testing.T) (*pgxpool.Pool, []*record.Record) {
	t.Helper()
	pool := startTestDatabase(t)
	const dir = "../../examples/postmortems"
	folder, err := files.Read(t.Context(), os.DirFS(dir), dir, files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()})
	if len(res.Problems) > 0 || len(res.Valid) < 2 {
		t.Fatalf("the examples: %d valid, problems %v", len(res.Valid), res.Problems)
	}
	if _, err := Import(context.Background(), pool, res.Valid, nil); err != nil {
		t.Fatal(err)
	}
	return pool, res.Valid
}

// count runs a query that counts.
func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPruneRefusals checks that Prune deletes nothing when it cannot be
// sure an incident is gone, and deletes exactly the missing ones otherwise.
func TestPruneRefusals(t *testing.T) {
	pool, records := importExamples(t)
	ctx := context.Background()
	gone := records[0]
	var keep []string
	for _, r := range records[1:] {
		keep = append(keep, r.ID)
	}
	there := func(sourcePath string) bool { return sourcePath == gone.Path }

	for _, tc := range []struct {
		name string
		req  PruneRequest
	}{
		{"no record kept", PruneRequest{MaxDelete: 100}},
		{"the file is still there", PruneRequest{Keep: keep, StillThere: there, MaxDelete: 100}},
		{"more than allowed", PruneRequest{Keep: keep[1:], MaxDelete: 1}},
	} {
		pruned, err := Prune(ctx, pool, tc.req)
		var refused *PruneRefusedError
		if !errors.As(err, &refused) || pruned != nil {
			t.Errorf("%s: Prune = %v, %v; want a refusal", tc.name, pruned, err)
		}
		if n := count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
			t.Errorf("%s: %d incidents left, want all %d", tc.name, n, len(records))
		}
	}

	pruned, err := Prune(ctx, pool, PruneRequest{Keep: keep, MaxDelete: 1, DryRun: true})
	if err != nil || len(pruned) != 1 || pruned[0] != (Pruned{ID: gone.ID, SourcePath: gone.Path}) {
		t.Fatalf("dry run: %v, %v; want [%s %s]", pruned, err, gone.ID, gone.Path)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
		t.Fatalf("a dry run deleted: %d incidents left of %d", n, len(records))
	}
	if _, err := Prune(ctx, pool, PruneRequest{Keep: keep, MaxDelete: 1}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents WHERE id = $1`, gone.ID); n != 0 {
		t.Fatalf("%s was not pruned", gone.ID)
	}
	if n := count(t, pool, `SELECT count(*) FROM action_items WHERE incident_id = $1`, gone.ID); n != 0 {
		t.Fatalf("%d action items of the pruned %s remain", n, gone.ID)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents`); n != len(records)-1 {
		t.Fatalf("%d incidents left, want %d", n, len(records)-1)
	}
}

// TestImportReportsRemovedActionItems updates a record that lost an action
// item: the item is deleted and the report names it.
func TestImportReportsRemovedActionItems(t *testing.T) {
	pool, records := importExamples(t)
	var r *record.Record
	for _, c := range records {
		if len(c.ActionItems) >= 2 {
			r = c
			break
		}
	}
	lost := r.ActionItems[1]
	r.ActionItems = append(r.ActionItems[:1], r.ActionItems[2:]...)
	rep, err := Import(context.Background(), pool, []*record.Record{r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []RemovedItem{{ID: lost.ID, Incident: r.ID, Path: r.Path}}
	if rep.Updated != 1 || len(rep.RemovedItems) != 1 || rep.RemovedItems[0] != want[0] {
		t.Fatalf("report %+v, want 1 updated and removed %+v", rep, want)
	}
	if n := count(t, pool, `SELECT count(*) FROM action_items WHERE id = $1`, lost.ID); n != 0 {
		t.Fatalf("the removed action item %s is still stored", lost.ID)
	}
}

// TestSyntheticRefusesADatabaseWithIncidents checks synthetic data is
// never mixed into real incidents.
func TestSyntheticRefusesADatabaseWithIncidents(t *testing.T) {
	pool, records := importExamples(t)
	err := WriteSynthetic(context.Background(), pool, synthetic.Org{Incidents: 10, ItemsPerRecord: 1, Teams: 2, Seed: 1, End: time.Now()}, nil)
	if !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Write into a database with incidents: %v, want ErrNotEmpty", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
		t.Fatalf("%d incidents after the refused write, want %d", n, len(records))
	}
}
