package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// writeIncidentWithItem writes a record with one action item, whose
// survival shows that nothing of its incident changed.
func writeIncidentWithItem(t *testing.T, dir, id, team string) {
	t.Helper()
	due := time.Now().UTC().Add(5 * 24 * time.Hour).Format(time.DateOnly)
	testenv.WriteIncident(t, dir, testenv.Incident{ID: id, Severity: "sev2", Team: team, StartedAgo: 48 * time.Hour, Recover: time.Hour,
		Extra: "status: in_review\naction_items:\n  - id: " + id + "-1\n    title: alert on it\n    owner: alice\n    team: " + team +
			"\n    due: " + due + "\n    status: open\n"})
}

// TestImportTwoRepositories imports two folders (two teams' repositories)
// that share the id PM-1 into one database, each under its default
// source name (its path: they are no git repositories). The second import
// leaves the first's PM-1 as it was and says so; a prune of either
// deletes only its own removed incidents, also when the other's files
// are not on the machine (as in CI).
func TestImportTwoRepositories(t *testing.T) {
	pg, count := startDatabase(t)
	teamA, teamB := t.TempDir(), t.TempDir()
	writeIncidentWithItem(t, teamA, "PM-1", "payments")
	writeIncident(t, teamA, "A-1", "sev3", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, teamA, "A-2", "sev3", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, teamB, "PM-1", "sev4", "search", 24*time.Hour, time.Hour) // no action item
	writeIncident(t, teamB, "B-1", "sev3", "search", 48*time.Hour, time.Hour)
	writeIncident(t, teamB, "B-2", "sev3", "search", 48*time.Hour, time.Hour)
	importDir := func(wantCode int, dir string, want []string, args ...string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"import", "--database.url=" + pg.URL}, append(args, dir)...)...)
		if code != wantCode {
			t.Errorf("import %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", dir, code, wantCode, stdout, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("import %s does not say %q\nstdout:\n%s\nstderr:\n%s", dir, w, stdout, stderr)
			}
		}
	}
	// Team A's PM-1 is of payments with one action item, team B's of
	// search with none.
	pm1 := func() (ofTeamA, items int) {
		t.Helper()
		return count(`SELECT count(*) FROM incidents WHERE id = 'PM-1' AND team = 'payments'`),
			count(`SELECT count(*) FROM action_items WHERE incident_id = 'PM-1'`)
	}

	importDir(exitOK, teamA, []string{teamA + " (source " + teamA + "): 3 inserted, 0 updated, 0 unchanged, 0 pruned, 0 invalid files"})
	importDir(exitInvalid, teamB, []string{
		filepath.Join(teamB, "PM-1.md") + ": id: id PM-1 is already imported from " + teamA + ": two repositories share the id; rename one",
		teamB + " (source " + teamB + "): 2 inserted, 0 updated, 0 unchanged, 0 pruned, 1 invalid files not imported"})
	if ofTeamA, items := pm1(); ofTeamA != 1 || items != 1 {
		t.Errorf("after team B's import: %d PM-1 of team A with %d action items, want 1 with 1", ofTeamA, items)
	}
	if n := count(`SELECT count(*) FROM incidents`); n != 5 {
		t.Errorf("%d incidents stored, want 5 (PM-1, A-1, A-2, B-1, B-2)", n)
	}

	// Team B removes B-2 and prunes: only B-2 goes, not or PM-1,
	// which team B's folder does not hold.
	if err := os.Remove(filepath.Join(teamB, "B-2.md")); err != nil {
		t.Fatal(err)
	}
	importDir(exitInvalid, teamB, []string{"pruned B-2: its file", "1 pruned"}, "--prune")
	// Team A removes A-2 and prunes where team B's files are not there.
	if err := os.RemoveAll(teamB); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(teamA, "A-2.md")); err != nil {
		t.Fatal(err)
	}
	importDir(exitOK, teamA, []string{"pruned A-2: its file", "0 inserted, 0 updated, 2 unchanged, 1 pruned"}, "--prune")
	for id, want := range map[string]int{"PM-1": 1, "A-1": 1, "A-2": 0, "B-1": 1, "B-2": 0} {
		if n := count(`SELECT count(*) FROM incidents WHERE id = $1`, id); n != want {
			t.Errorf("%s: %d stored after both prunes, want %d", id, n, want)
		}
	}
	if ofTeamA, items := pm1(); ofTeamA != 1 || items != 1 {
		t.Errorf("after the prunes: %d PM-1 of team A with %d action items, want 1 with 1", ofTeamA, items)
	}
}

// TestImportSourceNameMovedFolder imports a folder, then a copy of it at
// another path (another CI checkout): under its default name (the new
// path) the copy is refused, under the same --source.name (or
// POSTMORTEM_SOURCE_NAME) it updates the incidents and prunes normally.
func TestImportSourceNameMovedFolder(t *testing.T) {
	pg, count := startDatabase(t)
	dir := t.TempDir()
	for _, id := range []string{"PM-1", "PM-2", "PM-3"} {
		writeIncident(t, dir, id, "sev3", "payments", 48*time.Hour, time.Hour)
	}
	code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, "--source.name=team-a", dir)
	if code != exitOK || !strings.Contains(stdout, dir+" (source team-a): 3 inserted") {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	moved := filepath.Join(t.TempDir(), "checkout")
	if err := os.CopyFS(moved, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr = runCLI(t, "import", "--database.url="+pg.URL, moved)
	if code != exitInvalid || !strings.Contains(stdout, "id PM-1 is already imported from team-a: two repositories share the id; rename one (or, if team-a is this repository, import with --source.name 'team-a'); its file there: PM-1.md") ||
		!strings.Contains(stdout, "0 inserted, 0 updated, 0 unchanged, 0 pruned, 3 invalid files not imported") {
		t.Fatalf("import of the copy under its path: exit %d, want %d and 3 refusals\n%s%s", code, exitInvalid, stdout, stderr)
	}

	// The first checkout is gone; PM-3 is removed in the second.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(moved, "PM-3.md")); err != nil {
		t.Fatal(err)
	}
	// The paths from the root are the same: nothing to update.
	code, stdout, stderr = runCLIEnv(t, map[string]string{"POSTMORTEM_SOURCE_NAME": "team-a"}, "import", "--database.url="+pg.URL, "--prune", moved)
	if code != exitOK || !strings.Contains(stdout, moved+" (source team-a): 0 inserted, 0 updated, 2 unchanged, 1 pruned, 0 invalid") {
		t.Fatalf("import --prune of the copy with POSTMORTEM_SOURCE_NAME=team-a: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := count(`SELECT count(*) FROM incidents WHERE source_name = 'team-a' AND source_path IN ('PM-1.md', 'PM-2.md')`); n != 2 {
		t.Fatalf("%d incidents of team-a stored as PM-1.md and PM-2.md, want 2", n)
	}
	// The flag wins over the variable.
	code, stdout, stderr = runCLIEnv(t, map[string]string{"POSTMORTEM_SOURCE_NAME": "team-b"}, "import", "--database.url="+pg.URL, "--source.name=team-a", moved)
	if code != exitOK || !strings.Contains(stdout, "(source team-a): 0 inserted, 0 updated, 2 unchanged") {
		t.Fatalf("--source.name over POSTMORTEM_SOURCE_NAME: exit %d\n%s%s", code, stdout, stderr)
	}
}

// git runs git in dir, with no user or system configuration read.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "init.defaultBranch=main", "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestImportSourceNameFromGitOrigin imports a folder of a git clone whose
// origin URL holds a token: the source name is the URL without it,
// stored and printed, and the token is shown nowhere. A linked worktree
// of the clone, at another path, imports as the same source.
func TestImportSourceNameFromGitOrigin(t *testing.T) {
	pg, count := startDatabase(t)
	repo := t.TempDir()
	git(t, repo, "init", "-q")
	git(t, repo, "remote", "add", "origin", "https://user:secret@example.com/pm.git")
	folder := filepath.Join(repo, "teams", "payments")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	writeIncident(t, folder, "PM-1", "sev3", "payments", 48*time.Hour, time.Hour)
	const want = "https://example.com/pm.git"

	code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, folder)
	if code != exitOK || !strings.Contains(stdout, folder+" (source "+want+"): 1 inserted") {
		t.Fatalf("import: exit %d, want the source %s\n%s%s", code, want, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "secret") {
		t.Fatalf("import printed the token of the origin URL:\n%s%s", stdout, stderr)
	}
	if n := count(`SELECT count(*) FROM incidents WHERE id = 'PM-1' AND source_name = $1`, want); n != 1 {
		t.Fatalf("PM-1 is not stored with the source name %s", want)
	}

	// A linked worktree's .git is a file naming the git directory.
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "records")
	worktree := filepath.Join(t.TempDir(), "wt")
	git(t, repo, "worktree", "add", "-q", worktree)
	code, stdout, stderr = runCLI(t, "import", "--database.url="+pg.URL, filepath.Join(worktree, "teams", "payments"))
	// The same file of the same repository, the same path from its root:
	// unchanged.
	if code != exitOK || !strings.Contains(stdout, "(source "+want+"): 0 inserted, 0 updated, 1 unchanged") || strings.Contains(stdout+stderr, "secret") {
		t.Fatalf("import from the worktree: exit %d, want the source %s and no token\n%s%s", code, want, stdout, stderr)
	}
}

// TestGitRemoteURL reads origin's URL from git configurations written
// the ways git accepts.
func TestGitRemoteURL(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"[core]\n\tbare = false\n[remote \"origin\"]\n\turl = https://example.com/pm.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n", "https://example.com/pm.git"},
		{"[remote \"upstream\"]\n\turl = https://example.com/up.git\n[Remote \"origin\"]\n\tURL = \"https://example.com/pm.git\" ; a comment\n", "https://example.com/pm.git"},
		{"[remote.origin]\nurl=https://example.com/old.git # comment\n", "https://example.com/old.git"},
		{"[remote \"origin\"]\n# url = https://example.com/commented.git\n\turl = https://example.com/pm.git\n\turl = https://example.com/second.git\n", "https://example.com/pm.git"},
		{"[remote \"Origin\"]\n\turl = https://example.com/other.git\n", ""}, // subsections are case-sensitive
		{"[core]\n\tbare = false\n", ""},
	} {
		if got := gitRemoteURL(tc.config, "origin"); got != tc.want {
			t.Errorf("gitRemoteURL(%q) = %q, want %q", tc.config, got, tc.want)
		}
	}
}

// TestDefaultSourceNameFallsBack checks the folder's path is the source
// name when no git repository names one, and that a `.git` that cannot
// be read says so rather than passing unnoticed.
func TestDefaultSourceNameFallsBack(t *testing.T) {
	plain := t.TempDir()
	noOrigin := t.TempDir()
	if err := os.MkdirAll(filepath.Join(noOrigin, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(noOrigin, ".git", "config"), []byte("[remote \"upstream\"]\n\turl = https://example.com/up.git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, ".git"), []byte("not a gitdir line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dir, note string }{
		{"no repository", plain, ""},
		{"a repository without origin", filepath.Join(noOrigin, "."), ""},
		{"an unreadable .git file", broken, "does not say `gitdir: <path>`"},
	} {
		name, note := defaultSourceName(tc.dir)
		if name != filepath.Clean(tc.dir) || !strings.Contains(note, tc.note) || (tc.note == "") != (note == "") {
			t.Errorf("%s: defaultSourceName = %q, %q; want %q and a note saying %q", tc.name, name, note, filepath.Clean(tc.dir), tc.note)
		}
	}
}
