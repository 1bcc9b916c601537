package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// startDatabase starts a real PostgreSQL; count runs a query that counts
// rows in it.
func startDatabase(t *testing.T) (pg *testenv.Postgres, count func(query string, args ...any) int) {
	t.Helper()
	pg = testenv.StartPostgres(t)
	pool, err := pgxpool.New(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pg, func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// copyExamples copies the bundled examples into a temporary folder.
func copyExamples(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/postmortems")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImport imports the examples into a real PostgreSQL, re-imports
// unchanged, changed, invalid and removed files, and checks the counts and
// the rows.
func TestImport(t *testing.T) {
	pg, count := startDatabase(t)
	importDir := func(wantCode int, wantLine string, args ...string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"import", "--database.url=" + pg.URL}, args...)...)
		if code != wantCode || !strings.Contains(stdout, wantLine) {
			t.Fatalf("import %v: exit %d, stdout:\n%s\nstderr: %s\nwant exit %d and %q", args, code, stdout, stderr, wantCode, wantLine)
		}
	}

	migrations, err := filepath.Glob("../../exporter/postgres/store/migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	wantApplied := fmt.Sprintf("applied %d migrations", len(migrations))
	if code, stdout, stderr := runCLI(t, "migrate", "--database.url="+pg.URL); code != exitOK || !strings.Contains(stdout, wantApplied) {
		t.Fatalf("migrate: exit %d, %s %s; want %q", code, stdout, stderr, wantApplied)
	}
	dir := copyExamples(t)
	importDir(exitOK, "20 inserted, 0 updated, 0 unchanged, 0 pruned, 0 invalid", dir)
	if n := count(`SELECT count(*) FROM incidents`); n != 20 {
		t.Fatalf("%d incidents stored, want 20", n)
	}
	items := count(`SELECT count(*) FROM action_items WHERE incident_id = 'PM-2026-031'`)
	importDir(exitOK, "0 inserted, 0 updated, 20 unchanged", dir)
	// Plain-SQL writers are held to the label limits of the last import.
	if n := count(`SELECT max_label_length FROM label_limits`); n != 256 {
		t.Fatalf("label limit %d after an import with the defaults, want 256", n)
	}
	importDir(exitOK, "0 inserted, 0 updated, 20 unchanged", "--records.max-label-length=300", dir)
	if n := count(`SELECT max_label_length FROM label_limits`); n != 300 {
		t.Fatalf("label limit %d after import --records.max-label-length=300, want 300", n)
	}

	// A changed file updates its incident and replaces its action items.
	path := filepath.Join(dir, "payments", "2026-05-20-checkout-500s-after-sdk-upgrade.md")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(text), "title: Checkout API returned 500s", "title: Checkout API returned HTTP 500s", 1)
	third := strings.Index(changed, "  - id: PM-2026-031-3")
	end := strings.Index(changed[third:], "\n---\n") + third
	changed = changed[:third] + changed[end+1:]
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	importDir(exitOK, "0 inserted, 1 updated, 19 unchanged", dir)
	if n := count(`SELECT count(*) FROM action_items WHERE incident_id = 'PM-2026-031'`); n != items-1 {
		t.Fatalf("action items after the update: %d, want %d", n, items-1)
	}
	if n := count(`SELECT count(*) FROM incidents WHERE title = 'Checkout API returned HTTP 500s after the payment SDK upgrade'`); n != 1 {
		t.Fatal("the incident's title was not updated")
	}

	// An invalid file is reported and not imported; the valid ones are.
	if err := os.WriteFile(filepath.Join(dir, "broken.md"), []byte("---\nid: PM-X\ntitle: [\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	importDir(exitInvalid, "broken.md:3: front_matter:", dir)
	importDir(exitInvalid, "0 inserted, 0 updated, 20 unchanged, 0 pruned, 1 invalid", dir)
	if err := os.Remove(filepath.Join(dir, "broken.md")); err != nil {
		t.Fatal(err)
	}

	// A removed file is deleted only with --prune.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	importDir(exitOK, "0 inserted, 0 updated, 19 unchanged, 0 pruned", dir)
	if n := count(`SELECT count(*) FROM incidents WHERE id = 'PM-2026-031'`); n != 1 {
		t.Fatal("an incident was deleted without --prune")
	}
	importDir(exitOK, "0 inserted, 0 updated, 19 unchanged, 1 pruned", "--prune", dir)
	if n := count(`SELECT count(*) FROM action_items WHERE incident_id = 'PM-2026-031'`); n != 0 {
		t.Fatalf("%d action items of the pruned incident remain", n)
	}
}

// TestMigrateStoresTaxonomy checks that migrate stores the taxonomy the
// database makes writers follow, and reports a bad taxonomy file.
func TestMigrateStoresTaxonomy(t *testing.T) {
	pg := testenv.StartPostgres(t)
	taxonomyFile := filepath.Join(t.TempDir(), "taxonomy.yaml")
	if err := os.WriteFile(taxonomyFile, []byte("severities: [p1, p2, p3]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCLI(t, "migrate", "--database.url="+pg.URL, "--taxonomy.file="+taxonomyFile); code != exitOK {
		t.Fatalf("migrate: exit %d, %s %s", code, stdout, stderr)
	}
	pool, err := pgxpool.New(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var severities string
	if err := pool.QueryRow(context.Background(), `SELECT string_agg(value, ',' ORDER BY value) FROM taxonomy WHERE field = 'severity'`).Scan(&severities); err != nil {
		t.Fatal(err)
	}
	if severities != "p1,p2,p3" {
		t.Fatalf("stored severities %q, want p1,p2,p3", severities)
	}
	if code, _, stderr := runCLI(t, "migrate", "--database.url="+pg.URL, "--taxonomy.file=/nonexistent.yaml"); code != exitError || !strings.Contains(stderr, "/nonexistent.yaml") {
		t.Fatalf("a missing taxonomy file: exit %d, stderr %s", code, stderr)
	}
}

// TestPruneKeepsIncidentsOfBrokenFiles breaks one record file in the ways
// a repository breaks them (a YAML typo, the front matter lost in a merge,
// the file emptied, replaced by a link) and runs import --prune: the incident and its action
// items stay, prune deletes nothing and names the file.
func TestPruneKeepsIncidentsOfBrokenFiles(t *testing.T) {
	pg, count := startDatabase(t)
	dir := copyExamples(t)
	path := filepath.Join(dir, "payments", "2026-05-20-checkout-500s-after-sdk-upgrade.md")
	original, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const id = "PM-2026-031"
	stored := func() (incidents, items int) {
		t.Helper()
		return count(`SELECT count(*) FROM incidents WHERE id = $1`, id), count(`SELECT count(*) FROM action_items WHERE incident_id = $1`, id)
	}
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("first import: exit %d\n%s%s", code, stdout, stderr)
	}
	_, wantItems := stored()
	if wantItems == 0 {
		t.Fatalf("%s has no action items: the test would prove nothing", id)
	}

	write := func(content string) func() error {
		return func() error { return os.WriteFile(path, []byte(content), 0o644) }
	}
	for _, tc := range []struct {
		name   string
		damage func() error
	}{
		{"YAML typo", write(strings.Replace(string(original), "severity: sev2", "severity: [sev2", 1))},
		{"front matter lost in a merge", write("<<<<<<< HEAD\n" + string(original) + "=======\n>>>>>>> branch\n")},
		{"emptied", write("")},
		// Not read (a link), yet still there: the incident is not gone.
		{"replaced by a link", func() error {
			elsewhere := filepath.Join(t.TempDir(), "moved.md")
			if err := os.Rename(path, elsewhere); err != nil {
				return err
			}
			return os.Symlink(elsewhere, path)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.damage(); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, "--prune", dir)
			if code == exitOK || !strings.Contains(stderr, "prune refused") || !strings.Contains(stderr, path) {
				t.Errorf("import --prune with a broken file: exit %d, stdout:\n%s\nstderr:\n%s\nwant a non-zero exit and a refusal naming %s", code, stdout, stderr, path)
			}
			if incidents, items := stored(); incidents != 1 || items != wantItems {
				t.Errorf("after import --prune: %d incidents %s with %d action items, want 1 with %d", incidents, id, items, wantItems)
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, original, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
				t.Fatalf("import of the repaired folder: exit %d\n%s%s", code, stdout, stderr)
			}
		})
	}
}

// TestPruneRefusesWhenUnsure checks the other refusals of import --prune
// (an empty or missing folder, more deletions than --prune.max-delete)
// delete nothing and say why, that --prune.dry-run lists without deleting,
// and that a prune within bounds deletes and names what it deleted.
func TestPruneRefusesWhenUnsure(t *testing.T) {
	pg, count := startDatabase(t)
	dir := t.TempDir()
	for i := range 14 {
		writeIncident(t, dir, fmt.Sprintf("PM-%d", i), "sev3", "payments", 48*time.Hour, time.Hour)
	}
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "README.md"), []byte("# Post-mortems\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     []string // in stdout and stderr
		stored   int
	}{
		{"missing folder", []string{filepath.Join(dir, "nonexistent")}, exitError, []string{"nonexistent"}, 14},
		{"folder without records", []string{t.TempDir()}, exitError, []string{"prune refused, nothing deleted: the folder holds no record"}, 14},
		// The README is not a record today (a problem) and will be skipped
		// once Markdown without front matter is: refused either way.
		{"folder with only a README", []string{empty}, exitError, []string{"prune refused, nothing deleted"}, 14},
		// 14 files removed but 2: 12 incidents would go, more than 10; the
		// first 11 by id are listed (PM-10 ... PM-8), then "and 1 more" (PM-9).
		// The wrong folder, named as the same repository (under its own
		// default name, its path, it is another repository, whose prune
		// never deletes these): PM-2 ... PM-13 are not in it, but their
		// files are still there.
		{"another folder", []string{"--source.name=" + dir, "other"}, exitError,
			[]string{"prune refused, nothing deleted: the files these incidents were imported from are still there", "PM-10 ("}, 14},
		{"more than --prune.max-delete", []string{"keep2"}, exitError,
			[]string{"prune refused, nothing deleted: 12 incidents would be deleted, more than the 10 allowed (--prune.max-delete)", "PM-10 (", "PM-8 (", "and 1 more"}, 14},
		{"dry run", []string{"--prune.dry-run", "--prune.max-delete=12", "keep2"}, exitOK,
			[]string{"would prune PM-10: its file", "0 pruned (dry run: 12 would be)"}, 14},
		{"within --prune.max-delete", []string{"--prune.max-delete=12", "keep2"}, exitOK,
			[]string{"pruned PM-10: its file", "12 pruned"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"import", "--database.url=" + pg.URL, "--prune"}
			for _, a := range tc.args {
				switch a {
				case "other": // another folder, with PM-0 and PM-1 only
					a = t.TempDir()
					writeIncident(t, a, "PM-0", "sev3", "payments", 48*time.Hour, time.Hour)
					writeIncident(t, a, "PM-1", "sev3", "payments", 48*time.Hour, time.Hour)
				case "keep2": // the folder, all files deleted but PM-0 and PM-1
					a = dir
					for i := 2; i < 14; i++ {
						if err := os.Remove(filepath.Join(dir, fmt.Sprintf("PM-%d.md", i))); err != nil && !os.IsNotExist(err) {
							t.Fatal(err)
						}
					}
				}
				args = append(args, a)
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output does not say %q\nstdout:\n%s\nstderr:\n%s", w, stdout, stderr)
				}
			}
			if n := count(`SELECT count(*) FROM incidents`); n != tc.stored {
				t.Errorf("%d incidents stored, want %d", n, tc.stored)
			}
		})
	}
}

// TestProgressSummary checks that synthesize and import, whose stderr is
// not a terminal here, end with one summary line on stderr and nothing
// else there (no progress line redrawn into a log).
func TestProgressSummary(t *testing.T) {
	pg := testenv.StartPostgres(t)
	code, stdout, stderr := runCLI(t, "synthesize", "--database.url="+pg.URL, "--incidents=50", "--items-per-incident=2")
	// 50 incidents with 2 action items each: 100 action items.
	if want := regexp.MustCompile(`^synthesize: 50 incidents and 100 action items written in [0-9.]+m?s\n$`); code != exitOK || !want.MatchString(stderr) {
		t.Errorf("synthesize: exit %d, stderr %q, want one line matching %s; stdout:\n%s", code, stderr, want, stdout)
	}
	code, stdout, stderr = runCLI(t, "synthesize", "--database.url="+pg.URL, "--incidents=50")
	if code != exitError || !strings.Contains(stderr, "the database already holds incidents") {
		t.Errorf("synthesize into a database with incidents: exit %d, stderr %q, want a refusal", code, stderr)
	}
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-2", "sev2", "payments", 48*time.Hour, time.Hour)
	code, stdout, stderr = runCLI(t, "import", "--database.url="+pg.URL, dir)
	if want := regexp.MustCompile(`^import: 2 records upserted in [0-9.]+m?s\n$`); code != exitOK || !want.MatchString(stderr) {
		t.Errorf("import: exit %d, stderr %q, want one line matching %s; stdout:\n%s", code, stderr, want, stdout)
	}
}
