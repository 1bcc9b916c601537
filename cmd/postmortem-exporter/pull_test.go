package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var pullDocuments = []string{
	"../../exporter/pull/document/testdata/checkout-outage.md",
	"../../exporter/pull/document/testdata/gdocs-export.html",
}

// TestPullExitCodes: a pull of documents exits 0 with a one-line
// summary; a hand edit of a source-owned field makes the next pull exit
// 1 and list the conflict on stdout; a bad mapping file exits 2 and
// changes nothing.
func TestPullExitCodes(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("document:\n  severity: {Critical: sev1}\n  fields: {Root cause: origin, Incident ID: id}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"pull", "--from=document", "--to=" + dir, "--mapping.file=" + mapping}, pullDocuments...)
	code, stdout, stderr := runCLI(t, args...)
	summary := regexp.MustCompile(`^pull document: 2 incidents: 2 written, 0 unchanged, 0 skipped, 0 conflicts, 0 gone in \S+\n$`)
	if code != exitOK || stdout != "" || !summary.MatchString(stderr) {
		t.Fatalf("first pull: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	path := filepath.Join(dir, "PM-2026-020.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "severity: sev3\n", "severity: sev2\n", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCLI(t, args...)
	want := "conflict: PM-2026-020.md: severity: edited by hand (sev2); the source says sev3: kept (--overwrite takes the source's)\n"
	if code != exitConflicts || stdout != want {
		t.Errorf("pull after a hand edit: exit %d, stdout %q; want %d, %q", code, stdout, exitConflicts, want)
	}

	if err := os.WriteFile(mapping, []byte("document:\n  severity: {Critical: sev1, critical: sev2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, args...)
	if code != exitError || !strings.Contains(stderr, `document.severity: "critical" given twice`) {
		t.Errorf("bad mapping file: exit %d, stderr %q", code, stderr)
	}
	if got, _ := os.ReadFile(path); string(got) != edited {
		t.Error("a failed pull changed a file")
	}
}

// TestPullTokenNeverShown: the Confluence token, from a _FILE, reaches
// the server but no message, and a refused token fails the pull (exit 2).
func TestPullTokenNeverShown(t *testing.T) {
	const token = "s3cret-confluence-pat"
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		http.Error(w, "bad token "+token, http.StatusUnauthorized)
	}))
	defer srv.Close()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLIEnv(t, map[string]string{"POSTMORTEM_CONFLUENCE_TOKEN_FILE": tokenFile},
		"pull", "--from=confluence", "--to="+t.TempDir(), "--confluence.flavor=datacenter", "--confluence.url="+srv.URL, "--confluence.space=OPS")
	if code != exitError || !strings.Contains(stderr, "401 Unauthorized") || strings.Contains(stdout+stderr, token) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got != "Bearer "+token {
		t.Errorf("the server got Authorization %q", got)
	}
}

// TestPullIncidentToolTokens: the incident.io and PagerDuty tokens, from
// the variable or its _FILE, reach the server as each API wants them and
// no message; a refused token fails the pull (exit 2) and writes nothing.
func TestPullIncidentToolTokens(t *testing.T) {
	for _, c := range []struct{ from, variable, header string }{
		{"incidentio", "POSTMORTEM_INCIDENTIO_TOKEN", "Bearer "},
		{"pagerduty", "POSTMORTEM_PAGERDUTY_TOKEN_FILE", "Token token="},
	} {
		t.Run(c.from, func(t *testing.T) {
			const token = "s3cret-incident-tool-key"
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Header.Get("Authorization")
				http.Error(w, `{"error":"bad key `+token+`"}`, http.StatusUnauthorized)
			}))
			defer srv.Close()
			value := token
			if strings.HasSuffix(c.variable, "_FILE") {
				value = filepath.Join(t.TempDir(), "token")
				if err := os.WriteFile(value, []byte(token+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			code, stdout, stderr := runCLIEnv(t, map[string]string{c.variable: value},
				"pull", "--from="+c.from, "--to="+dir, "--"+c.from+".url="+srv.URL)
			if code != exitError || !strings.Contains(stderr, "401 Unauthorized") || strings.Contains(stdout+stderr, token) {
				t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if got != c.header+token {
				t.Errorf("the server got Authorization %q", got)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a failed pull wrote %d files", len(entries))
			}
		})
	}
	code, _, stderr := runCLIEnv(t, map[string]string{}, "pull", "--from=pagerduty", "--to="+t.TempDir())
	if code != exitError || !strings.Contains(stderr, "pagerduty: no API token") {
		t.Errorf("no token: exit %d, stderr %q", code, stderr)
	}
}

// TestPulledRecordsValidate: validate flags a pulled record exactly for
// what the pull could not read (a time without a zone: missing, and its
// pull_finding); once a person sets the field, the next pull keeps it
// without a conflict and drops the finding, and validate passes.
func TestPulledRecordsValidate(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(mapping, []byte("document:\n  fields: {Incident ID: id, Incident lead: moderator}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"pull", "--from=document", "--to=" + dir, "--mapping.file=" + mapping,
		"../../exporter/pull/document/testdata/gdocs-export.html", "../../exporter/pull/document/testdata/confluence-storage.xhtml"}
	if code, _, stderr := runCLI(t, args...); code != exitOK {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	code, stdout, _ := runCLI(t, "validate", dir)
	path := filepath.Join(dir, "PM-2026-020.md")
	want := path + ":1: detected_at: required field is missing\n" +
		path + `:17: detected_at: warning: pull_finding: from the pull: table row "Detected at" "2026-06-02 08:05": not a time with a zone (2026-05-20T14:02:00Z, 2026-05-20 16:02 +02:00); set the field and remove this entry` + "\n" +
		dir + ": 2 records: 1 valid, 1 invalid (1 problems); findings: 0 errors, 1 warnings\n"
	if code != exitInvalid || stdout != want {
		t.Fatalf("validate: exit %d\n%s\nwant:\n%s", code, stdout, want)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	completed := strings.Replace(string(data), "started_at: 2026-06-02T08:00:00Z\n", "started_at: 2026-06-02T08:00:00Z\ndetected_at: 2026-06-02T08:05:00Z\n", 1)
	if err := os.WriteFile(path, []byte(completed), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, _ := runCLI(t, args...); code != exitOK || stdout != "" {
		t.Fatalf("pull after the person completed the field: exit %d\n%s", code, stdout)
	}
	got, _ := os.ReadFile(path)
	if !strings.Contains(string(got), "detected_at: 2026-06-02T08:05:00Z\n") || strings.Contains(string(got), "pull_findings") {
		t.Errorf("after the re-pull:\n%s", got)
	}
	if code, stdout, _ := runCLI(t, "validate", dir); code != exitOK {
		t.Errorf("validate after completion: exit %d\n%s", code, stdout)
	}
}
