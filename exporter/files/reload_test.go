package files

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// withSeverity is recordText with another severity than sev2.
func withSeverity(id, team, severity string) string {
	return strings.Replace(recordText(id, team), "severity: sev2", "severity: "+severity, 1)
}

// TestReloadJudgesEveryRecordAgain narrows the taxonomy between two
// refreshes, as a SIGHUP does. b.md, unchanged, holds a sev4 the new
// taxonomy refuses: it is invalid (invalid_value), not served in its "last
// valid version" as before the fix (which kept sev4 in the snapshot and
// made the incidents collector fail on every scrape). c.md was cut short
// while sev4 was allowed, and its last valid version was served; that
// version is refused now too. Only a.md's sev2 is served: exactly what a
// source started afresh with the new taxonomy serves.
func TestReloadJudgesEveryRecordAgain(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.md": recordText("PM-1", "alpha"),
		"b.md": withSeverity("PM-2", "beta", "sev4"),
		"c.md": withSeverity("PM-3", "gamma", "sev4"),
	})
	src := testSource(nil, dir)
	asOf := time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
	snap := func(src *Source, cfg record.Config) *snapshot.Snapshot {
		t.Helper()
		s, err := src.Snapshot(t.Context(), asOf, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := snap(src, defaultConfig); s.Records != 3 {
		t.Fatalf("first refresh: %d records, want 3: %v", s.Records, s.Problems)
	}
	writeTree(t, dir, map[string]string{"c.md": withSeverity("PM-3", "gamma", "sev4")[:40]})
	if s := snap(src, defaultConfig); s.Records != 3 || s.Stale != 1 {
		t.Fatalf("c.md cut short: %d records, %d stale; want 3 and 1", s.Records, s.Stale)
	}

	narrow := defaultConfig
	narrow.Taxonomy.Severities = []string{"sev1", "sev2", "sev3"}
	reloaded := snap(src, narrow)
	if reloaded.Records != 1 || reloaded.Stale != 0 || reloaded.InvalidCount(record.CodeInvalidValue) != 1 ||
		reloaded.InvalidCount(record.CodeMalformed) != 1 {
		t.Errorf("after the reload: %d records, %d stale, invalid_value %d, malformed %d; want 1, 0, 1 (b.md) and 1 (c.md)",
			reloaded.Records, reloaded.Stale, reloaded.InvalidCount(record.CodeInvalidValue), reloaded.InvalidCount(record.CodeMalformed))
	}
	restarted := snap(testSource(nil, dir), narrow)
	if reloaded.Records != restarted.Records || reloaded.Stale != restarted.Stale || !sameCounts(reloaded.Invalid, restarted.Invalid) {
		t.Errorf("the reload serves %d records (%d stale, invalid %v), a restart %d (%d stale, invalid %v)",
			reloaded.Records, reloaded.Stale, reloaded.Invalid, restarted.Records, restarted.Stale, restarted.Invalid)
	}
	series := gatherSeries(t, reloaded)
	for _, want := range []string{
		`postmortem_incidents{severity="sev2",team="alpha",window="30d"}`,
		`postmortem_severity_share_ratio{severity="sev2",window="30d"}`,
		`postmortem_exporter_collector_success{collector="incidents"}`,
	} {
		if series[want] != 1 {
			t.Errorf("%s = %v, want 1", want, series[want])
		}
	}
	// Allowed again: b.md counts again, and c.md, still cut short, is
	// invalid: its last valid version was dropped with the reload.
	if s := snap(src, defaultConfig); s.Records != 2 || s.Stale != 0 {
		t.Errorf("sev4 allowed again: %d records, %d stale; want 2 and 0", s.Records, s.Stale)
	}
}

// sameCounts reports whether two invalid counts are equal.
func sameCounts(a, b map[snapshot.InvalidKey]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

// TestRecordNeverLeavesUnsaid: a heading added above a record's front
// matter made the file "not a record" before the fix: skipped, the
// incident gone from every metric, nothing counted. Now it is a malformed
// record named at the line of its front matter, and its last valid
// version is served (stale) until it is fixed. A file deleted is logged
// and counted in Snapshot.Removed; a README with horizontal rules stays a
// skipped file.
func TestRecordNeverLeavesUnsaid(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.md": recordText("PM-1", "alpha"), "b.md": recordText("PM-2", "beta"),
		"README.md": "# Post-mortems\n\n---\nOne file per incident.\n---\n",
	})
	var logs bytes.Buffer
	src := testSource(nil, dir)
	src.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	asOf := time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
	refresh := func() *snapshot.Snapshot {
		t.Helper()
		s, err := src.Snapshot(t.Context(), asOf, defaultConfig)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if s := refresh(); s.Records != 2 || len(s.Problems) != 0 {
		t.Fatalf("first refresh: %d records, problems %v", s.Records, s.Problems)
	}

	writeTree(t, dir, map[string]string{"a.md": "# Checkout 500s\n\n" + recordText("PM-1", "alpha")})
	s := refresh()
	a := filepath.Join(dir, "a.md")
	if s.Records != 2 || s.Stale != 1 || s.InvalidCount(record.CodeMalformed) != 1 || len(s.Problems) != 1 ||
		s.Problems[0].Path != a || s.Problems[0].Line != 3 || !strings.Contains(s.Problems[0].Message, "starts on line 3") {
		t.Errorf("heading above the front matter: %d records, %d stale, problems %v; want 2, 1 and a.md:3 malformed", s.Records, s.Stale, s.Problems)
	}

	if err := os.Remove(filepath.Join(dir, "b.md")); err != nil {
		t.Fatal(err)
	}
	s = refresh()
	if s.Records != 1 || s.Removed != 1 || !strings.Contains(logs.String(), "PM-2") {
		t.Errorf("b.md deleted: %d records, %d removed, log %q; want 1, 1 and PM-2 logged", s.Records, s.Removed, logs.String())
	}
	if s := refresh(); s.Removed != 1 {
		t.Errorf("a refresh later: %d removed, want still 1 (a count since the start)", s.Removed)
	}
}

// TestParseDisplacedFrontMatter: a front matter with an id below the first
// line is a problem at its line; Markdown whose rules frame no record is
// not.
func TestParseDisplacedFrontMatter(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int // 0: skipped, no problem
	}{
		{"heading", "# Checkout 500s\n---\n" + fields + "---\n", 2},
		{"blank line", "\n---\n" + fields + "---\nnarrative\n", 2},
		{"horizontal rules", "# Notes\n\n---\nnot: a record\n---\n", 0},
		{"rule and text", "# Notes\n---\ntext only\n---\n", 0},
		{"unclosed", "# Notes\n---\n" + fields, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, problems := Parse("pm.md", []byte(tc.text))
			lines := []int{}
			for _, p := range problems {
				lines = append(lines, p.Line)
			}
			if r != nil || tc.line == 0 && len(problems) != 0 || tc.line > 0 && !slices.Equal(lines, []int{tc.line}) {
				t.Errorf("record %v, problems %v; want a problem on line %d (0: none)", r, problems, tc.line)
			}
		})
	}
}
