package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// writeWithItems writes a record in review whose open action items have
// the given ids (an "id=status" sets another status; "id owner=NAME"
// another owner), due in a week.
func writeWithItems(t *testing.T, dir, id string, items ...string) {
	t.Helper()
	var extra strings.Builder
	extra.WriteString("status: in_review\n")
	if len(items) > 0 {
		extra.WriteString("action_items:\n")
	}
	due := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly) // overdue: the aging alert fires on it
	for _, item := range items {
		item, owner, _ := strings.Cut(item, " owner=")
		if owner == "" {
			owner = "ann"
		}
		itemID, status, _ := strings.Cut(item, "=")
		if status == "" {
			status = "open"
		}
		fmt.Fprintf(&extra, "  - {id: %s, title: fix %[1]s, owner: %s, due: %s, status: %s}\n", itemID, owner, due, status)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.WriteIncident(t, dir, testenv.Incident{ID: id, Severity: "sev3", Team: "payments", StartedAgo: 72 * time.Hour, Recover: time.Hour, Extra: extra.String()})
}

// importExpect runs import with args and fails unless it exits with code
// and its output holds every line of want.
func importExpect(t *testing.T, url string, code int, want []string, args ...string) string {
	t.Helper()
	got, stdout, stderr := runCLI(t, append([]string{"import", "--database.url=" + url}, args...)...)
	if got != code {
		t.Fatalf("import %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, got, code, stdout, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stdout+stderr, w) {
			t.Fatalf("import %v: the output does not say %q\nstdout:\n%s\nstderr:\n%s", args, w, stdout, stderr)
		}
	}
	return stdout + stderr
}

// TestPruneFromAnyWorkingDirectory reproduces issue 18's first defect on
// a git repository with payments/ (2 records) and search/ (4): imported
// from the folder above it, then pruned from inside it for one subfolder,
// or for the whole repository with search/ excluded. The four incidents of
// search/, whose files are there, must stay; a file really deleted from
// payments/ is pruned.
func TestPruneFromAnyWorkingDirectory(t *testing.T) {
	pg, count := startDatabase(t)
	parent := t.TempDir()
	repo := filepath.Join(parent, "pm")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "init", "-q")
	git(t, repo, "remote", "add", "origin", "https://example.com/pm.git")
	for _, id := range []string{"PAY-1", "PAY-2"} {
		writeWithItems(t, filepath.Join(repo, "payments"), id)
	}
	for _, id := range []string{"SRCH-1", "SRCH-2", "SRCH-3", "SRCH-4"} {
		writeWithItems(t, filepath.Join(repo, "search"), id)
	}
	const source = "(source https://example.com/pm.git)"

	t.Chdir(parent)
	importExpect(t, pg.URL, exitOK, []string{"pm " + source + ": 6 inserted"}, "pm")

	t.Chdir(repo)
	importExpect(t, pg.URL, exitOK, []string{"payments " + source + ": 0 inserted, 0 updated, 2 unchanged, 0 pruned"}, "payments", "--prune")
	importExpect(t, pg.URL, exitOK, []string{". " + source + ": 0 inserted, 0 updated, 2 unchanged, 0 pruned"}, ".", "--source.exclude=search/**", "--prune")
	if n := count(`SELECT count(*) FROM incidents`); n != 6 {
		t.Fatalf("%d incidents stored after the prunes, want all 6: every file is still there", n)
	}

	// PAY-2 is deleted: the prune of payments/ deletes it, and only it.
	if err := os.Remove(filepath.Join(repo, "payments", "PAY-2.md")); err != nil {
		t.Fatal(err)
	}
	importExpect(t, pg.URL, exitOK, []string{"pruned PAY-2: its file payments/PAY-2.md is gone", "1 pruned"}, "payments", "--prune")
	if n := count(`SELECT count(*) FROM incidents WHERE id LIKE 'SRCH-%'`); n != 4 {
		t.Fatalf("%d incidents of search/ stored, want 4", n)
	}
	if n := count(`SELECT count(*) FROM incidents`); n != 5 {
		t.Fatalf("%d incidents stored, want 5", n)
	}
}

// TestImportRenamesAndMovesItems reproduces issue 18's second defect:
// renaming an incident whose items keep their ids, and moving an item to
// another incident of the same repository, used to wedge every import
// with a duplicate key on action_items_pkey. Now the items move (and say
// so), the renamed incident's old id stays until --prune deletes it, and
// a re-run changes nothing.
func TestImportRenamesAndMovesItems(t *testing.T) {
	pg, count := startDatabase(t)
	dir := t.TempDir()
	writeWithItems(t, dir, "PM-1", "PM-1-1", "PM-1-2")
	writeWithItems(t, dir, "PM-2", "PM-2-1", "PM-2-2")
	writeWithItems(t, dir, "PM-3")
	importExpect(t, pg.URL, exitOK, []string{"3 inserted"}, dir)

	// PM-1 is renamed PM-10 in its own file; PM-2-2 moves to PM-3.
	if err := os.Remove(filepath.Join(dir, "PM-1.md")); err != nil {
		t.Fatal(err)
	}
	writeWithItems(t, dir, "PM-10", "PM-1-1", "PM-1-2")
	writeWithItems(t, dir, "PM-2", "PM-2-1")
	writeWithItems(t, dir, "PM-3", "PM-2-2")
	out := importExpect(t, pg.URL, exitOK, []string{
		"action item PM-1-1 moved from PM-1 (" + filepath.Join(dir, "PM-1.md") + ") to PM-10",
		"action item PM-1-2 moved from PM-1",
		"action item PM-2-2 moved from PM-2 (" + filepath.Join(dir, "PM-2.md") + ") to PM-3",
		"1 inserted, 2 updated, 0 unchanged, 0 pruned, 0 invalid files not imported; action items: 0 deleted, 3 moved",
	}, dir)
	if strings.Contains(out, "deleted: the record no longer holds it") {
		t.Fatalf("a moved item was reported deleted:\n%s", out)
	}
	for item, incident := range map[string]string{"PM-1-1": "PM-10", "PM-1-2": "PM-10", "PM-2-1": "PM-2", "PM-2-2": "PM-3"} {
		if n := count(`SELECT count(*) FROM action_items WHERE id = $1 AND incident_id = $2`, item, incident); n != 1 {
			t.Errorf("action item %s is not stored for %s", item, incident)
		}
	}
	// The old id stays (import never deletes an incident) until a prune.
	importExpect(t, pg.URL, exitOK, []string{"0 inserted, 0 updated, 3 unchanged, 0 pruned"}, dir)

	// PM-3 is renamed PM-30 in the same file, which keeps its name.
	writeWithItems(t, dir, "PM-30", "PM-2-2")
	if err := os.Rename(filepath.Join(dir, "PM-30.md"), filepath.Join(dir, "PM-3.md")); err != nil {
		t.Fatal(err)
	}
	importExpect(t, pg.URL, exitOK, []string{
		"action item PM-2-2 moved from PM-3 (" + filepath.Join(dir, "PM-3.md") + ") to PM-30",
		filepath.Join(dir, "PM-3.md") + ": now holds PM-30; PM-3, imported from it before, stays stored until import --prune deletes it",
		"1 inserted, 0 updated, 2 unchanged, 0 pruned",
	}, dir)
	importExpect(t, pg.URL, exitOK, []string{
		"pruned PM-1: its file " + filepath.Join(dir, "PM-1.md") + " is gone",
		"pruned PM-3: its file " + filepath.Join(dir, "PM-3.md") + " holds another id now",
		"2 pruned",
	}, dir, "--prune")
	if n := count(`SELECT count(*) FROM incidents`); n != 3 {
		t.Errorf("%d incidents stored, want 3 (PM-10, PM-2, PM-30)", n)
	}
	if n := count(`SELECT count(*) FROM action_items`); n != 4 {
		t.Errorf("%d action items stored, want 4", n)
	}
}

// TestImportItemOfAnotherRepository: a repository whose record reuses an
// action item id of another repository's incident is told so, naming both
// files; that item is not imported, the rest of its record and the other
// records of the batch are, the other repository's item is untouched, and
// the next run says it again instead of failing.
func TestImportItemOfAnotherRepository(t *testing.T) {
	pg, count := startDatabase(t)
	teamA, teamB := t.TempDir(), t.TempDir()
	writeWithItems(t, teamA, "A-1", "X-1")
	importExpect(t, pg.URL, exitOK, []string{"1 inserted"}, "--source.name=team-a", teamA)

	writeWithItems(t, teamB, "B-1", "X-1", "B-1-1")
	writeWithItems(t, teamB, "B-2", "B-2-1")
	conflict := filepath.Join(teamB, "B-1.md") + ": action_items[0].id: action item id X-1 is already imported for A-1 from team-a (file A-1.md)"
	importExpect(t, pg.URL, exitInvalid, []string{conflict, "(source team-b): 2 inserted, 0 updated"}, "--source.name=team-b", teamB)
	if n := count(`SELECT count(*) FROM action_items WHERE id = 'X-1' AND incident_id = 'A-1'`); n != 1 {
		t.Fatal("team B's import took team A's action item X-1")
	}
	if n := count(`SELECT count(*) FROM action_items WHERE id IN ('B-1-1', 'B-2-1')`); n != 2 {
		t.Fatalf("%d of team B's own action items stored, want 2", n)
	}
	// B-1 is written again (its item may be importable now), B-2 is not.
	importExpect(t, pg.URL, exitInvalid, []string{conflict, "(source team-b): 0 inserted, 1 updated, 1 unchanged"}, "--source.name=team-b", teamB)
}

// TestImportKeepsItemThatTurnsInvalid reproduces issue 18's fourth
// defect: an item whose status gets a typo (Done) or whose owner grows
// past the label limit used to be deleted while import said "1 updated",
// and its overdue alert resolved. Its stored version is now kept, and the
// import says so.
func TestImportKeepsItemThatTurnsInvalid(t *testing.T) {
	pg, count := startDatabase(t)
	dir := t.TempDir()
	writeWithItems(t, dir, "PM-1", "PM-1-1", "PM-1-2")
	importExpect(t, pg.URL, exitOK, []string{"1 inserted"}, dir)

	writeWithItems(t, dir, "PM-1", "PM-1-1=Done", "PM-1-2 owner="+strings.Repeat("o", 300))
	path := filepath.Join(dir, "PM-1.md")
	importExpect(t, pg.URL, exitOK, []string{
		path + ": action item PM-1-1 of PM-1 is invalid now (see above): its stored version is kept until the record is fixed",
		path + ": action item PM-1-2 of PM-1 is invalid now",
		"0 inserted, 1 updated, 0 unchanged, 0 pruned, 0 invalid files not imported; action items: 0 deleted, 0 moved, 2 invalid kept as stored",
	}, dir)
	if n := count(`SELECT count(*) FROM action_items WHERE incident_id = 'PM-1' AND status = 'open' AND owner = 'ann'`); n != 2 {
		t.Fatalf("%d action items of PM-1 kept as stored (open, owner ann), want 2", n)
	}
}
