package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestPruneRefusals checks that store.Prune deletes nothing when it cannot be
// sure an incident is gone, and deletes exactly the missing ones otherwise.
func TestPruneRefusals(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	ctx := context.Background()
	examples := pgtest.Examples(t)
	gone := records[0]
	gonePath := examples.StoredPath(gone.Path)
	var keep []string
	for _, r := range records[1:] {
		keep = append(keep, r.ID)
	}
	there := func(p store.Pruned) bool { return p.SourcePath == gonePath }

	for _, tc := range []struct {
		name string
		req  store.PruneRequest
	}{
		{"no record kept", store.PruneRequest{Source: examples, MaxDelete: 100}},
		{"the file is still there", store.PruneRequest{Source: examples, Keep: keep, StillThere: there, MaxDelete: 100}},
		{"more than allowed", store.PruneRequest{Source: examples, Keep: keep[1:], MaxDelete: 1}},
	} {
		pruned, err := store.Prune(ctx, pool, tc.req)
		var refused *store.PruneRefusedError
		if !errors.As(err, &refused) || pruned != nil {
			t.Errorf("%s: store.Prune = %v, %v; want a refusal", tc.name, pruned, err)
		}
		if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
			t.Errorf("%s: %d incidents left, want all %d", tc.name, n, len(records))
		}
	}

	pruned, err := store.Prune(ctx, pool, store.PruneRequest{Source: examples, Keep: keep, MaxDelete: 1, DryRun: true})
	if err != nil || len(pruned) != 1 || pruned[0] != (store.Pruned{ID: gone.ID, SourcePath: gonePath, Root: examples.Root}) {
		t.Fatalf("dry run: %v, %v; want [%s %s]", pruned, err, gone.ID, gonePath)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents`); n != len(records) {
		t.Fatalf("a dry run deleted: %d incidents left of %d", n, len(records))
	}
	if _, err := store.Prune(ctx, pool, store.PruneRequest{Source: examples, Keep: keep, MaxDelete: 1}); err != nil {
		t.Fatal(err)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents WHERE id = $1`, gone.ID); n != 0 {
		t.Fatalf("%s was not pruned", gone.ID)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM action_items WHERE incident_id = $1`, gone.ID); n != 0 {
		t.Fatalf("%d action items of the pruned %s remain", n, gone.ID)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents`); n != len(records)-1 {
		t.Fatalf("%d incidents left, want %d", n, len(records)-1)
	}
}

// TestImportReportsRemovedActionItems updates a record that lost an action
// item: the item is deleted and the report names it.
func TestImportReportsRemovedActionItems(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	var r record.Checked
	for _, c := range records {
		if len(c.ActionItems) >= 2 {
			r = c
			break
		}
	}
	lost := r.ActionItems[1]
	r.ActionItems = append(r.ActionItems[:1], r.ActionItems[2:]...)
	rep, err := store.Import(context.Background(), pool, pgtest.Examples(t), []record.Checked{r}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.RemovedItem{{ID: lost.ID, Incident: r.ID, Path: r.Path}}
	if rep.Updated != 1 || len(rep.RemovedItems) != 1 || rep.RemovedItems[0] != want[0] {
		t.Fatalf("report %+v, want 1 updated and removed %+v", rep, want)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM action_items WHERE id = $1`, lost.ID); n != 0 {
		t.Fatalf("the removed action item %s is still stored", lost.ID)
	}
}

// TestImportKeepsOtherSources imports a record whose id the examples
// already hold from another source name: it is refused and the stored
// incident keeps its title and action items; a record of its own id is
// inserted. A prune of either source deletes only its own incidents and
// those stored without a source name.
func TestImportKeepsOtherSources(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	ctx := context.Background()
	const other = "https://example.com/team-b.git"
	teamB := store.Source{Name: other, Root: "/checkouts/team-b", Dir: ".", Folder: "."}
	examples := pgtest.Examples(t)
	var shared record.Checked
	for _, r := range records {
		if len(r.ActionItems) > 0 {
			shared = r
			break
		}
	}
	items := pgtest.Count(t, pool, `SELECT count(*) FROM action_items WHERE incident_id = $1`, shared.ID)
	clash := *shared.Record
	clash.Path, clash.Title, clash.ActionItems = "team-b/clash.md", "Team B's own incident", nil
	own := *shared.Record
	own.ID, own.Path, own.ActionItems = "B-1", "team-b/own.md", nil

	rep, err := store.Import(ctx, pool, teamB, []record.Checked{{Record: &clash}, {Record: &own}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Conflict{ID: shared.ID, Path: "team-b/clash.md", Source: pgtest.ExampleSource, OtherPath: examples.StoredPath(shared.Path)}
	if rep.Inserted != 1 || rep.Updated != 0 || len(rep.Conflicts) != 1 || rep.Conflicts[0] != want {
		t.Fatalf("report %+v, want 1 inserted and the conflict %+v", rep, want)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents WHERE id = $1 AND title = $2 AND source_name = $3`, shared.ID, shared.Title, pgtest.ExampleSource); n != 1 {
		t.Fatalf("%s was overwritten by the other source", shared.ID)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM action_items WHERE incident_id = $1`, shared.ID); n != items {
		t.Fatalf("%s has %d action items after the other source's import, want %d", shared.ID, n, items)
	}

	// Team B's prune keeps B-1 and nothing else of its own: the examples,
	// none of which team B holds, are not its to delete.
	pruned, err := store.Prune(ctx, pool, store.PruneRequest{Source: teamB, Keep: []string{"B-1"}, Whole: true, MaxDelete: 100})
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
	pruned, err = store.Prune(ctx, pool, store.PruneRequest{Source: examples, Keep: keep[:len(keep)-2], MaxDelete: 100})
	wantPruned := []store.Pruned{{ID: records[len(records)-2].ID, SourcePath: examples.StoredPath(records[len(records)-2].Path), Root: examples.Root},
		{ID: legacy.ID, SourcePath: examples.StoredPath(legacy.Path), Root: examples.Root, NoSource: true}}
	if err != nil || len(pruned) != 2 || pruned[0] != wantPruned[0] || pruned[1] != wantPruned[1] {
		t.Fatalf("prune of the examples: %+v, %v; want %+v", pruned, err, wantPruned)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents WHERE id = 'B-1' AND source_name = $1`, other); n != 1 {
		t.Fatal("the examples' prune deleted the other source's B-1")
	}
}

// TestImportAdoptsIncidentsWithoutSource imports the examples again
// after their source names were erased (as migration 0008 leaves the
// incidents imported before it): the unchanged ones are adopted without
// being rewritten, the changed one updated and adopted.
func TestImportAdoptsIncidentsWithoutSource(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `UPDATE incidents SET source_name = ''`); err != nil {
		t.Fatal(err)
	}
	records[0].Title += " (edited)"
	rep, err := store.Import(ctx, pool, store.Source{Name: "https://example.com/team-b.git", Root: "/checkouts/team-b", Dir: pgtest.ExamplesDir, Folder: "."}, records, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Adopted != len(records) || rep.Updated != 1 || rep.Unchanged != len(records)-1 || len(rep.Conflicts) != 0 {
		t.Fatalf("report %+v, want all %d adopted, 1 updated", rep, len(records))
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents WHERE source_name = 'https://example.com/team-b.git'`); n != len(records) {
		t.Fatalf("%d incidents of the adopting source, want %d", n, len(records))
	}
}

// TestPruneOldStylePaths checks incidents whose path was stored before
// migration 0010 (source_root ”, the path relative to an unknown working
// directory): a prune of a subfolder, or of the repository with an
// exclusion, never considers them; a prune of the whole repository does;
// an import that reads their record stores their path from the root.
func TestPruneOldStylePaths(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	ctx := context.Background()
	examples := pgtest.Examples(t)
	if _, err := pool.Exec(ctx, `UPDATE incidents SET source_root = '', source_path = 'elsewhere/' || source_path`); err != nil {
		t.Fatal(err)
	}
	var payments []string
	for _, r := range records {
		if strings.HasPrefix(examples.StoredPath(r.Path), "payments/") {
			payments = append(payments, r.ID)
		}
	}
	subfolder := examples
	subfolder.Folder = "payments"
	for name, req := range map[string]store.PruneRequest{
		"a subfolder":            {Source: subfolder, Keep: payments, MaxDelete: 100},
		"the root, with exclude": {Source: examples, Keep: payments, MaxDelete: 100, Reads: func(p string) bool { return strings.HasPrefix(p, "payments/") }},
	} {
		pruned, err := store.Prune(ctx, pool, req)
		if err != nil || len(pruned) != 0 {
			t.Errorf("prune of %s: %v, %v; want nothing considered", name, pruned, err)
		}
	}
	keep := make([]string, len(records)-1)
	for i, r := range records[1:] {
		keep[i] = r.ID
	}
	pruned, err := store.Prune(ctx, pool, store.PruneRequest{Source: examples, Keep: keep, Whole: true, MaxDelete: 1, DryRun: true})
	want := store.Pruned{ID: records[0].ID, SourcePath: "elsewhere/" + examples.StoredPath(records[0].Path)}
	if err != nil || len(pruned) != 1 || pruned[0] != want {
		t.Errorf("prune of the whole repository: %+v, %v; want %+v", pruned, err, want)
	}

	if _, err := store.Import(ctx, pool, examples, records, nil); err != nil {
		t.Fatal(err)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents WHERE source_root = $1 AND source_path NOT LIKE 'elsewhere/%'`, examples.Root); n != len(records) {
		t.Errorf("%d incidents with their path from the root after an import, want %d", n, len(records))
	}
}

// TestImportRefusedRecordKeepsTheBatch imports a batch in which the
// database refuses one record (a NUL byte, which PostgreSQL text cannot
// hold): that record is listed and nothing of it written, the others of
// the batch are imported.
func TestImportRefusedRecordKeepsTheBatch(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `DELETE FROM incidents`); err != nil {
		t.Fatal(err)
	}
	bad := *records[0].Record
	bad.Title = "Checkout\x00 API"
	batch := append([]record.Checked{{Record: &bad}}, records[1:]...)
	rep, err := store.Import(ctx, pool, pgtest.Examples(t), batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Refused) != 1 || rep.Refused[0].ID != bad.ID || rep.Refused[0].Path != bad.Path || rep.Inserted != len(records)-1 {
		t.Fatalf("report %+v; want %s refused and the %d others inserted", rep, bad.ID, len(records)-1)
	}
	if n := pgtest.Count(t, pool, `SELECT count(*) FROM incidents WHERE id = $1`, bad.ID); n != 0 {
		t.Fatalf("the refused %s is stored", bad.ID)
	}
}
