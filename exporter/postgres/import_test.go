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

// exampleSource is the source name the examples are imported as.
const exampleSource = "https://example.com/examples.git"

// importExamples imports the bundled examples into a new database.
func importExamples(t *testing.T) (*pgxpool.Pool, []record.Checked) {
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
	if _, err := Import(context.Background(), pool, exampleSource, res.ValidChecked(), nil); err != nil {
		t.Fatal(err)
	}
	return pool, res.ValidChecked()
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
		{"no record kept", PruneRequest{Source: exampleSource, MaxDelete: 100}},
		{"the file is still there", PruneRequest{Source: exampleSource, Keep: keep, StillThere: there, MaxDelete: 100}},
		{"more than allowed", PruneRequest{Source: exampleSource, Keep: keep[1:], MaxDelete: 1}},
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

	pruned, err := Prune(ctx, pool, PruneRequest{Source: exampleSource, Keep: keep, MaxDelete: 1, DryRun: true})
	if err != nil || len(pruned) != 1 || pruned[0] != (Pruned{ID: gone.ID, SourcePath: gone.Path}) {
		t.Fatalf("dry run: %v, %v; want [%s %s]", pruned, err, gone.ID, gone.Path)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
		t.Fatalf("a dry run deleted: %d incidents left of %d", n, len(records))
	}
	if _, err := Prune(ctx, pool, PruneRequest{Source: exampleSource, Keep: keep, MaxDelete: 1}); err != nil {
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
	var r record.Checked
	for _, c := range records {
		if len(c.ActionItems) >= 2 {
			r = c
			break
		}
	}
	lost := r.ActionItems[1]
	r.ActionItems = append(r.ActionItems[:1], r.ActionItems[2:]...)
	rep, err := Import(context.Background(), pool, exampleSource, []record.Checked{r}, nil)
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

// TestImportKeepsOtherSources imports a record whose id the examples
// already hold from another source name: it is refused and the stored
// incident keeps its title and action items; a record of its own id is
// inserted. A prune of either source deletes only its own incidents and
// those stored without a source name.
func TestImportKeepsOtherSources(t *testing.T) {
	pool, records := importExamples(t)
	ctx := context.Background()
	const other = "https://example.com/team-b.git"
	var shared record.Checked
	for _, r := range records {
		if len(r.ActionItems) > 0 {
			shared = r
			break
		}
	}
	items := count(t, pool, `SELECT count(*) FROM action_items WHERE incident_id = $1`, shared.ID)
	clash := *shared.Record
	clash.Path, clash.Title, clash.ActionItems = "team-b/clash.md", "Team B's own incident", nil
	own := *shared.Record
	own.ID, own.Path, own.ActionItems = "B-1", "team-b/own.md", nil

	rep, err := Import(ctx, pool, other, []record.Checked{{Record: &clash}, {Record: &own}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Conflict{ID: shared.ID, Path: "team-b/clash.md", Source: exampleSource}
	if rep.Inserted != 1 || rep.Updated != 0 || len(rep.Conflicts) != 1 || rep.Conflicts[0] != want {
		t.Fatalf("report %+v, want 1 inserted and the conflict %+v", rep, want)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents WHERE id = $1 AND title = $2 AND source_name = $3`, shared.ID, shared.Title, exampleSource); n != 1 {
		t.Fatalf("%s was overwritten by the other source", shared.ID)
	}
	if n := count(t, pool, `SELECT count(*) FROM action_items WHERE incident_id = $1`, shared.ID); n != items {
		t.Fatalf("%s has %d action items after the other source's import, want %d", shared.ID, n, items)
	}

	// Team B's prune keeps B-1 and nothing else of its own: the examples,
	// none of which team B holds, are not its to delete.
	pruned, err := Prune(ctx, pool, PruneRequest{Source: other, Keep: []string{"B-1"}, MaxDelete: 100})
	if err != nil || len(pruned) != 0 {
		t.Fatalf("prune of the other source: %v, %v; want nothing deleted", pruned, err)
	}
	// An incident stored without a source name (before migration 0008)
	// is considered by every prune; the examples' prune keeps all but it.
	legacy := records[len(records)-1]
	if _, err := pool.Exec(ctx, `UPDATE incidents SET source_name = '' WHERE id = $1`, legacy.ID); err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, r := range records {
		keep = append(keep, r.ID)
	}
	pruned, err = Prune(ctx, pool, PruneRequest{Source: exampleSource, Keep: keep[:len(keep)-2], MaxDelete: 100})
	wantPruned := []Pruned{{ID: records[len(records)-2].ID, SourcePath: records[len(records)-2].Path}, {ID: legacy.ID, SourcePath: legacy.Path, NoSource: true}}
	if err != nil || len(pruned) != 2 || pruned[0] != wantPruned[0] || pruned[1] != wantPruned[1] {
		t.Fatalf("prune of the examples: %+v, %v; want %+v", pruned, err, wantPruned)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents WHERE id = 'B-1' AND source_name = $1`, other); n != 1 {
		t.Fatal("the examples' prune deleted the other source's B-1")
	}
}

// TestImportAdoptsIncidentsWithoutSource imports the examples again
// after their source names were erased (as migration 0008 leaves the
// incidents imported before it): the unchanged ones are adopted without
// being rewritten, the changed one updated and adopted.
func TestImportAdoptsIncidentsWithoutSource(t *testing.T) {
	pool, records := importExamples(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `UPDATE incidents SET source_name = ''`); err != nil {
		t.Fatal(err)
	}
	records[0].Title += " (edited)"
	rep, err := Import(ctx, pool, "https://example.com/team-b.git", records, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Adopted != len(records) || rep.Updated != 1 || rep.Unchanged != len(records)-1 || len(rep.Conflicts) != 0 {
		t.Fatalf("report %+v, want all %d adopted, 1 updated", rep, len(records))
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents WHERE source_name = 'https://example.com/team-b.git'`); n != len(records) {
		t.Fatalf("%d incidents of the adopting source, want %d", n, len(records))
	}
}

// TestWriteRecordRefusesAnotherSource checks the guard of the upsert
// itself, which protects an id another import inserted after this one
// read the stored incidents: nothing is written and the owner is named.
func TestWriteRecordRefusesAnotherSource(t *testing.T) {
	pool, records := importExamples(t)
	ctx := context.Background()
	r := *records[0].Record
	r.Title = "overwritten"
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after the commit
	_, err = writeRecord(ctx, tx, "https://example.com/team-b.git", record.Checked{Record: &r}, "hash", false)
	var taken *sourceTakenError
	if !errors.As(err, &taken) || taken.source != exampleSource {
		t.Fatalf("writeRecord over another source: %v, want a *sourceTakenError naming %s", err, exampleSource)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM incidents WHERE id = $1 AND title = $2`, r.ID, records[0].Title); n != 1 {
		t.Fatalf("%s was overwritten", r.ID)
	}
}
