package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Incident describes a valid record for a test, dated relative to now.
type Incident struct {
	ID, Severity, Team string
	Title              string        // incident <ID> when empty; plain ASCII
	StartedAgo         time.Duration // how long before now it started
	Recover            time.Duration // started_at to resolved_at
	// Extra is more front matter, e.g. "status: published\n" and action
	// items; without it the record is in review.
	Extra string
}

// WriteIncident writes the record as dir/<ID>.md.
func WriteIncident(t testing.TB, dir string, in Incident) {
	t.Helper()
	started := time.Now().UTC().Add(-in.StartedAgo).Truncate(time.Second)
	extra := in.Extra
	if extra == "" {
		extra = "status: in_review\n"
	}
	title := "incident " + in.ID // as tests that edit the file expect it
	if in.Title != "" {
		title = strconv.Quote(in.Title)
	}
	text := fmt.Sprintf("---\nid: %s\ntitle: %s\nseverity: %s\nteam: %s\nstarted_at: %s\ndetected_at: %s\nresolved_at: %s\n"+
		"origin: code_change\nresolution: rollback\ndetection: automated\n%s---\n",
		in.ID, title, in.Severity, in.Team, started.Format(time.RFC3339), started.Add(5*time.Minute).Format(time.RFC3339),
		started.Add(in.Recover).Format(time.RFC3339), extra)
	if err := os.WriteFile(filepath.Join(dir, in.ID+".md"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
