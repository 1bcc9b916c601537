package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs the binary's entry point in-process.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, map[string]string{}, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateValidFolder(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-2", "sev3", "search", 24*time.Hour, time.Hour)
	code, stdout, stderr := runCLI(t, "validate", dir)
	if code != exitOK || stdout != dir+": 2 records: 2 valid, 0 invalid (0 problems)\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	bad := "---\nid: PM-2\ntitle: bad\nseverity: sev0\nteam: search\nstarted_at: yesterday\n" +
		"detected_at: 2026-01-01T00:00:00Z\norigin: unknown\ndetection: internal\nstatus: draft\n---\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.md"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCLI(t, "validate", dir)
	badPath := filepath.Join(dir, "bad.md")
	want := badPath + `:4: severity: unknown value "sev0" (allowed: sev1, sev2, sev3, sev4)` + "\n" +
		badPath + `:6: started_at: "yesterday" is not a timestamp: write it like 2026-05-20T14:02:00Z, 2026-05-20 14:02:00Z or 2026-05-20 16:02:00 +02:00` + "\n" +
		dir + ": 2 records: 1 valid, 1 invalid (2 problems)\n"
	if code != exitInvalid || stdout != want {
		t.Fatalf("exit %d, stdout:\n%s\nwant exit %d and:\n%s", code, stdout, exitInvalid, want)
	}

	code, stdout, _ = runCLI(t, "validate", "--output=json", dir)
	var report validationReport
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("json output: %v\n%s", err, stdout)
	}
	if code != exitInvalid || report.Records != 2 || report.Invalid != 1 || len(report.Problems) != 2 ||
		report.Problems[0].Field != "severity" || report.Problems[0].Line != 4 || report.Problems[0].Code != "invalid_value" {
		t.Fatalf("exit %d, report %+v", code, report)
	}
}

// TestValidateIgnoresServeSettings checks a bad serve variable does not
// stop validate, which does not use it.
func TestValidateIgnoresServeSettings(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"validate", dir}, map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "often"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestValidateMissingFolder(t *testing.T) {
	code, _, stderr := runCLI(t, "validate", filepath.Join(t.TempDir(), "nope"))
	if code != exitError || !strings.Contains(stderr, "no such file or directory") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestServeRejectsBadConfig checks that serve stops at once, naming the bad
// variable or flag value, instead of serving with a half-read config.
func TestServeRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		environ map[string]string
		args    []string
		want    string
	}{
		{map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "often"}, nil, "POSTMORTEM_REFRESH_INTERVAL"},
		{map[string]string{}, []string{"--windows=30d,soon"}, `"soon"`},
		{map[string]string{}, []string{"--taxonomy.file=/nonexistent.yaml"}, "/nonexistent.yaml"},
		{map[string]string{"POSTMORTEM_RECORDS_MAX_ACTION_ITEMS": "0"}, nil, "records.max-action-items (POSTMORTEM_RECORDS_MAX_ACTION_ITEMS): must be at least 1"},
		{map[string]string{}, []string{"--records.max-duration=0s"}, "records.max-duration (POSTMORTEM_RECORDS_MAX_DURATION): must be positive"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"serve"}, tc.args...), tc.environ, &out, &errOut)
		if code != exitError || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want exit %d naming %s", tc.environ, tc.args, code, errOut.String(), exitError, tc.want)
		}
	}
}

// writeFiles writes files under dir, creating their folders.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestValidateRepositoryLayout runs validate on a post-mortem repository as
// teams keep it: git's folder, GitHub templates, editor litter and
// Markdown without front matter are not records and never errors; the
// Markdown files are listed as skipped. A template folder with front
// matter is an error unless excluded, by flag or environment.
func TestValidateRepositoryLayout(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeFiles(t, dir, map[string]string{
		".git/HEAD":                          "ref: refs/heads/main\n",
		".git/config":                        "[core]\n",
		".github/PULL_REQUEST_TEMPLATE.md":   "---\nname: Post-mortem\nabout: a new record\n---\n",
		".github/workflows/validate.yaml":    "on: [pull_request]\njobs: {}\n",
		".DS_Store":                          "\x00\x00\x00\x01Bud1",
		".PM-1.md.swp":                       "b0VIM 9.0\x00",
		"README.md":                          "# Post-mortems\n\nOne file per incident.\n",
		"CONTRIBUTING.md":                    "How to write a post-mortem.\n",
		"TEMPLATE.md":                        "## Summary\n\n## Timeline\n",
		"templates/incident.md":              "---\nid: PM-YYYY-NNN\ntitle: <what went wrong>\n---\n",
		"templates/nested/action-items.yaml": "id: <id>\n",
	})
	code, stdout, stderr := runCLI(t, "validate", dir)
	if code != exitInvalid || !strings.Contains(stdout, filepath.Join(dir, "templates/incident.md")) ||
		strings.Contains(stdout, ".github") || strings.Contains(stdout, ".git/") {
		t.Fatalf("without exclude: exit %d, stdout:\n%s\nstderr %s\nwant exit 1 naming only the templates", code, stdout, stderr)
	}

	want := filepath.Join(dir, "CONTRIBUTING.md") + ": skipped: Markdown without front matter: not a record\n" +
		filepath.Join(dir, "README.md") + ": skipped: Markdown without front matter: not a record\n" +
		filepath.Join(dir, "TEMPLATE.md") + ": skipped: Markdown without front matter: not a record\n" +
		dir + ": 1 records: 1 valid, 0 invalid (0 problems); 3 files skipped\n"
	code, stdout, stderr = runCLI(t, "validate", "--source.exclude=./templates/**", "--source.exclude=*.tmp", dir)
	if code != exitOK || stdout != want {
		t.Fatalf("with --source.exclude: exit %d, stdout:\n%s\nstderr %s\nwant exit 0 and:\n%s", code, stdout, stderr, want)
	}

	var out, errOut bytes.Buffer
	code = run(context.Background(), []string{"validate", "--output=json", dir},
		map[string]string{"POSTMORTEM_SOURCE_EXCLUDE": "*.tmp,templates/**"}, &out, &errOut)
	var report validationReport
	if err := json.Unmarshal(out.Bytes(), &report); err != nil {
		t.Fatalf("json output: %v\n%s", err, out.String())
	}
	if code != exitOK || report.Records != 1 || len(report.Problems) != 0 || len(report.Skipped) != 3 ||
		report.Skipped[1].Path != filepath.Join(dir, "README.md") || report.Skipped[1].Reason == "" {
		t.Fatalf("with POSTMORTEM_SOURCE_EXCLUDE: exit %d, report %+v, stderr %s", code, report, errOut.String())
	}
}

// TestValidateRejectsBadSourceSettings checks a malformed glob or size
// stops validate with exit 2, naming the setting.
func TestValidateRejectsBadSourceSettings(t *testing.T) {
	for _, tc := range []struct {
		environ map[string]string
		args    []string
		want    string
	}{
		{map[string]string{}, []string{"--source.exclude=templates/[a"}, "source.exclude"},
		{map[string]string{"POSTMORTEM_SOURCE_MAX_FILE_SIZE": "huge"}, nil, "POSTMORTEM_SOURCE_MAX_FILE_SIZE"},
		{map[string]string{}, []string{"--source.max-file-size=0"}, "source.max-file-size"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"validate", t.TempDir()}, tc.args...), tc.environ, &out, &errOut)
		if code != exitError || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want exit %d naming %s", tc.environ, tc.args, code, errOut.String(), exitError, tc.want)
		}
	}
}

// TestValidateRecordLimits: an implausible duration fails validate with
// the field named; the bound comes from the environment, and the flag
// overrides it.
func TestValidateRecordLimits(t *testing.T) {
	dir := t.TempDir()
	// Started 400 days ago, resolved 390 days later: 10 days ago.
	writeIncident(t, dir, "PM-1", "sev1", "payments", 400*24*time.Hour, 390*24*time.Hour)
	path := filepath.Join(dir, "PM-1.md")
	for _, tc := range []struct {
		environ map[string]string
		args    []string
		code    int
		want    string
	}{
		{nil, nil, exitInvalid, path + ":8: resolved_at: "},
		{nil, nil, exitInvalid, "is 390 days after started_at, longer than the limit of 365 days (--records.max-duration)"},
		{map[string]string{"POSTMORTEM_RECORDS_MAX_DURATION": "400d"}, nil, exitOK, "1 valid, 0 invalid"},
		{map[string]string{"POSTMORTEM_RECORDS_MAX_DURATION": "400d"}, []string{"--records.max-duration=30d"}, exitInvalid, "the limit of 30 days"},
		{map[string]string{"POSTMORTEM_RECORDS_MAX_DURATION": "0s"}, nil, exitError, "records.max-duration (POSTMORTEM_RECORDS_MAX_DURATION): must be positive"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(append([]string{"validate"}, tc.args...), dir), tc.environ, &out, &errOut)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("%v %v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.environ, tc.args, code, out.String(), errOut.String(), tc.code, tc.want)
		}
	}
}
