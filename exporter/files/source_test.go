package files

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// TestEditsInFlight follows a file through the life of an edit: a record
// that turns invalid keeps being served in its last valid version (and
// counted as stale) while its problem is reported, until it is fixed or
// removed; rewrites in place and replacements by rename both count.
//
// The source shifts timestamps with the refresh instant, as it does for the
// bundled examples: the old version must move with the refreshes too.
// fields starts at 2026-01-01T00:00Z, a day before the anchor, so it is in
// the 30d window as long as the shift follows asOf. b.md never changes: its
// record is reused from one refresh to the next, and must follow the shift
// as well.
func TestEditsInFlight(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "alpha"), "b.md": recordText("PM-2", "beta")})
	src := testSource(nil, dir)
	anchor := time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
	src.Shift = func(asOf time.Time) time.Duration { return asOf.Sub(anchor) }
	day := 0
	refresh := func() *snapshot.Snapshot {
		t.Helper()
		day += 50 // each refresh 50 days later: an unshifted record leaves the 30d window
		s, err := src.Snapshot(t.Context(), anchor.AddDate(0, 0, day), defaultConfig)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := filepath.Join(dir, "a.md")
	replace := func(text string) { // as editors and git do: write aside, rename over
		t.Helper()
		tmp := filepath.Join(dir, ".a.md.tmp")
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, a); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, s *snapshot.Snapshot, records, stale, malformed int, teams map[string]int) {
		t.Helper()
		if s.Records != records || s.Stale != stale || s.InvalidCount(record.CodeMalformed) != malformed {
			t.Errorf("%s: records %d, stale %d, malformed %d; want %d, %d, %d", step, s.Records, s.Stale, s.InvalidCount(record.CodeMalformed), records, stale, malformed)
		}
		for team, want := range teams {
			got := 0
			if st := s.Windows[0].Incidents[snapshot.SeverityTeam{Severity: "sev2", Team: team}]; st != nil {
				got = st.Count
			}
			if got != want {
				t.Errorf("%s: incidents of %s in 30d = %d, want %d", step, team, got, want)
			}
		}
	}

	check("both valid", refresh(), 2, 0, 0, map[string]int{"alpha": 1, "beta": 1})

	// Saved half-way, in place: the front matter is cut short.
	if err := os.WriteFile(a, []byte(recordText("PM-1", "gamma")[:40]), 0o644); err != nil {
		t.Fatal(err)
	}
	s := refresh()
	check("a.md cut short", s, 2, 1, 1, map[string]int{"alpha": 1, "gamma": 0, "beta": 1})
	if len(s.Problems) != 1 || s.Problems[0].Path != a {
		t.Errorf("problems %v, want a.md's", s.Problems)
	}
	check("still cut short, a refresh later", refresh(), 2, 1, 1, map[string]int{"alpha": 1, "beta": 1})

	replace(recordText("PM-1", "gamma"))
	check("a.md fixed by rename", refresh(), 2, 0, 0, map[string]int{"alpha": 0, "gamma": 1, "beta": 1})

	replace("---\nid: PM-1\n<<<<<<< HEAD\nteam: gamma\n=======\nteam: delta\n>>>>>>> branch\n---\n")
	check("a.md with merge markers", refresh(), 2, 1, 1, map[string]int{"gamma": 1, "delta": 0, "beta": 1})

	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	check("a.md removed", refresh(), 1, 0, 0, map[string]int{"gamma": 0, "beta": 1})
}

// TestStaleVersionYieldsToItsID checks an old version is not served when
// another file now holds its id: the valid file wins, and no id is served
// twice.
func TestStaleVersionYieldsToItsID(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "alpha")})
	src := testSource(nil, dir)
	asOf := time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
	if _, err := src.Snapshot(t.Context(), asOf, defaultConfig); err != nil {
		t.Fatal(err)
	}
	// The record moves to b.md and a.md is left broken.
	writeTree(t, dir, map[string]string{"a.md": "---\nid: PM-1\n", "b.md": recordText("PM-1", "beta")})
	s, err := src.Snapshot(t.Context(), asOf, defaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	beta := s.Windows[0].Incidents[snapshot.SeverityTeam{Severity: "sev2", Team: "beta"}]
	if s.Records != 1 || s.Stale != 0 || beta == nil || beta.Count != 1 {
		t.Errorf("records %d, stale %d, beta %+v; want only b.md's PM-1", s.Records, s.Stale, beta)
	}
}

// TestTimeoutKeepsRecordsForNextRefresh checks a refresh that times out
// half-way keeps what it read for the next refresh, and leaves the records
// it reused as they were: the next refresh still places them in time.
func TestTimeoutKeepsRecordsForNextRefresh(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "alpha"), "slow.md": recordText("PM-2", "beta")})
	slow := &atomic.Bool{}
	src := testSource(slowFS{FS: os.DirFS(dir), slow: slow, delay: time.Second}, dir)
	anchor := time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
	src.Shift = func(asOf time.Time) time.Duration { return asOf.Sub(anchor) }
	alpha := func(s *snapshot.Snapshot) int {
		if st := s.Windows[0].Incidents[snapshot.SeverityTeam{Severity: "sev2", Team: "alpha"}]; st != nil {
			return st.Count
		}
		return 0
	}
	if s, err := src.Snapshot(t.Context(), anchor.AddDate(0, 0, 50), defaultConfig); err != nil || alpha(s) != 1 {
		t.Fatalf("first refresh: %v", err)
	}
	writeTree(t, dir, map[string]string{"b.md": recordText("PM-3", "bravo")}) // new: parsed for the first time below
	slow.Store(true)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := src.Snapshot(ctx, anchor.AddDate(0, 0, 100), defaultConfig); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow refresh: %v, want the deadline", err)
	}
	if _, ok := src.parsed[filepath.Join(dir, "b.md")]; !ok {
		t.Errorf("b.md, parsed before the deadline, is not kept for the next refresh")
	}
	slow.Store(false)
	s, err := src.Snapshot(t.Context(), anchor.AddDate(0, 0, 150), defaultConfig)
	if err != nil || s.Records != 3 || alpha(s) != 1 {
		t.Fatalf("refresh after the timeout: %v, %d records, alpha in 30d %d; want 3 and 1", err, s.Records, alpha(s))
	}
}

// TestStaleCascade breaks a record that another one relates to: the other
// record, unchanged, turns invalid too (unknown related id). Both are
// served in their last valid version, each placed in time once.
func TestStaleCascade(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.md": strings.Replace(recordText("PM-1", "alpha"), "status: draft\n", "status: draft\nrelated: [PM-9]\n", 1),
		"z.md": recordText("PM-9", "zulu"),
	})
	src := testSource(nil, dir)
	anchor := time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC)
	src.Shift = func(asOf time.Time) time.Duration { return asOf.Sub(anchor) }
	if s, err := src.Snapshot(t.Context(), anchor.AddDate(0, 0, 50), defaultConfig); err != nil || s.Records != 2 {
		t.Fatalf("first refresh: %v", err)
	}
	writeTree(t, dir, map[string]string{"z.md": "---\nid: PM-9\n"})
	s, err := src.Snapshot(t.Context(), anchor.AddDate(0, 0, 100), defaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	alpha := s.Windows[0].Incidents[snapshot.SeverityTeam{Severity: "sev2", Team: "alpha"}]
	if s.Records != 2 || s.Stale != 2 || s.InvalidCount(record.CodeUnknownRelated) != 1 || alpha == nil || alpha.Count != 1 {
		t.Fatalf("records %d, stale %d, unknown_related %d, alpha %+v; want 2, 2, 1 and alpha in the 30d window",
			s.Records, s.Stale, s.InvalidCount(record.CodeUnknownRelated), alpha)
	}
}
