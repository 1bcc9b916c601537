package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// in20Days is a due day 20 days from now: larger than 14 days, a warning.
func in20Days() string { return time.Now().UTC().Add(20 * 24 * time.Hour).Format(time.DateOnly) }

// published is front matter that makes a record published, by a
// moderator, without a bar raiser (a warning) a day after it started.
func published() string {
	return "status: published\nmoderator: mia\npublished_at: " + time.Now().UTC().Add(-24*time.Hour).Truncate(time.Second).Format(time.RFC3339) + "\n"
}

// TestValidateWarningsAndStrict: warnings are printed apart from errors
// as path:line: field: warning: rule: text and do not fail validate, but
// fail it with --strict; a finding of severity error fails it; the JSON
// output carries problems and findings apart.
func TestValidateWarningsAndStrict(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteIncident(t, dir, testenv.Incident{ID: "PM-1", Severity: "sev3", Team: "payments", StartedAgo: 48 * time.Hour, Recover: time.Hour,
		Extra: published()})
	path := filepath.Join(dir, "PM-1.md")
	code, stdout, _ := runCLI(t, "validate", dir)
	want := path + ":1: bar_raiser: warning: bar_raiser: published without a bar raiser\n" +
		dir + ": 1 records: 1 valid, 0 invalid (0 problems); findings: 0 errors, 1 warnings\n"
	if code != exitOK || stdout != want {
		t.Fatalf("warnings only: exit %d, stdout:\n%s\nwant exit 0 and:\n%s", code, stdout, want)
	}
	if code, _, _ := runCLI(t, "validate", "--strict", dir); code != exitInvalid {
		t.Errorf("--strict with a warning: exit %d, want %d", code, exitInvalid)
	}

	// An item with two owners is an error; errors are listed before warnings.
	testenv.WriteIncident(t, dir, testenv.Incident{ID: "PM-2", Severity: "sev3", Team: "search", StartedAgo: 48 * time.Hour, Recover: time.Hour,
		Extra: published() + "bar_raiser: bo\naction_items:\n  - {id: PM-2-1, title: Add a canary, owner: ann and bob, due: " + in20Days() + ", status: open}\n"})
	code, stdout, _ = runCLI(t, "validate", dir)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitInvalid || len(lines) != 4 || !strings.Contains(lines[0], "PM-2.md:17: action_items[0].owner: error: action_item_owner: ") ||
		!strings.Contains(lines[1], "PM-1.md:1: bar_raiser: warning: bar_raiser:") ||
		!strings.Contains(lines[2], "PM-2.md:17: action_items[0].due: warning: action_item_size: due 2") || // 20 to 21 days by the hour of the day
		!strings.Contains(lines[2], "days after created_at, more than 14") ||
		lines[3] != dir+": 2 records: 2 valid, 0 invalid (0 problems); findings: 1 errors, 2 warnings" {
		t.Fatalf("an error finding: exit %d, stdout:\n%s", code, stdout)
	}

	code, stdout, _ = runCLI(t, "validate", "--output=json", dir)
	var report validationReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("json output: %v\n%s", err, stdout)
	}
	if code != exitInvalid || report.Valid != 2 || len(report.Problems) != 0 || len(report.Findings) != 3 || report.Errors != 1 || report.Warnings != 2 ||
		report.Findings[1].Rule != "action_item_owner" || report.Findings[1].Severity != "error" || report.Findings[1].Team != "search" {
		t.Fatalf("json: exit %d, report %+v", code, report)
	}
}

// TestValidateQualityFile: --quality.file turns a rule off or makes it an
// error; a bad file is refused naming the rule.
func TestValidateQualityFile(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteIncident(t, dir, testenv.Incident{ID: "PM-1", Severity: "sev3", Team: "payments", StartedAgo: 48 * time.Hour, Recover: time.Hour,
		Extra: published()})
	conf := filepath.Join(t.TempDir(), "quality.yaml")
	for _, tc := range []struct {
		file string
		code int
		want string
	}{
		{"bar_raiser: {severity: off}\n", exitOK, "1 valid, 0 invalid (0 problems)\n"},
		{"bar_raiser: {severity: error}\n", exitInvalid, "bar_raiser: error: bar_raiser: published without a bar raiser"},
		{"bar_raiser: {severity: never}\n", exitError, `bar_raiser: severity "never": want error, warning or off`},
	} {
		if err := os.WriteFile(conf, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "validate", "--quality.file="+conf, dir)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.file, code, stdout, stderr, tc.code, tc.want)
		}
	}
}

// TestPruneIgnoresFindings: a record with findings (a warning and an
// error) does not block --prune, since its id is known; a removed file's
// incident is pruned, and the findings are stored with their incident.
func TestPruneIgnoresFindings(t *testing.T) {
	pg, count := startDatabase(t)
	dir := t.TempDir()
	testenv.WriteIncident(t, dir, testenv.Incident{ID: "PM-1", Severity: "sev3", Team: "payments", StartedAgo: 48 * time.Hour, Recover: time.Hour,
		Extra: published() + "action_items:\n  - {id: PM-1-1, title: Be careful, due: " + in20Days() + ", status: open}\n"})
	testenv.WriteIncident(t, dir, testenv.Incident{ID: "PM-2", Severity: "sev3", Team: "payments", StartedAgo: 48 * time.Hour, Recover: time.Hour})
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// PM-1: no owner (error), habitual and too large (warnings), no bar raiser.
	if n := count(`SELECT count(*) FROM quality_findings WHERE incident_id = 'PM-1'`); n != 4 {
		t.Errorf("%d findings stored for PM-1, want 4", n)
	}
	if n := count(`SELECT count(*) FROM quality_findings WHERE incident_id = 'PM-1' AND rule = 'action_item_owner' AND severity = 'error'`); n != 1 {
		t.Errorf("the owner finding was not stored as an error")
	}
	if n := count(`SELECT count(*) FROM action_items WHERE id = 'PM-1-1' AND owner = ''`); n != 1 {
		t.Errorf("the unowned item was not stored")
	}
	if err := os.Remove(filepath.Join(dir, "PM-2.md")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, "--prune", dir)
	if code != exitOK || !strings.Contains(stdout, "pruned PM-2: its file") || !strings.Contains(stdout, "warning: action_item_habitual") {
		t.Fatalf("import --prune with findings: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := count(`SELECT count(*) FROM incidents`); n != 1 {
		t.Errorf("%d incidents stored, want 1", n)
	}
}
