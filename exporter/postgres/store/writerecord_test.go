package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestWriteRecordRefusesAnotherSource checks the guard of the upsert
// itself, which protects an id another import inserted after this one
// read the stored incidents: nothing is written and the owner is named.
func TestWriteRecordRefusesAnotherSource(t *testing.T) {
	ctx := context.Background()
	pool := connect(t, testenv.StartPostgres(t).URL)
	if _, err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	const owner = "https://example.com/team-a.git"
	start := time.Date(2026, 5, 20, 14, 2, 0, 0, time.UTC)
	stored := record.Record{ID: "PM-1", Title: "Checkout 500s", Severity: "sev2", Team: "payments", Path: "PM-1.md",
		StartedAt: start, DetectedAt: start.Add(7 * time.Minute), ResolvedAt: start.Add(time.Hour),
		Origin: "code_change", Resolution: "rollback", Detection: "automated", Status: "draft"}
	if _, err := Import(ctx, pool, Source{Name: owner, Root: "/checkouts/team-a", Dir: ".", Folder: "."}, []record.Checked{{Record: &stored}}, nil); err != nil {
		t.Fatal(err)
	}
	r := stored
	r.Title = "overwritten"
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after the commit
	teamB := Source{Name: "https://example.com/team-b.git", Root: "/checkouts/team-b", Dir: ".", Folder: "."}
	_, err = writeRecord(ctx, tx, teamB, record.Checked{Record: &r}, r.Path, "hash", false, nil)
	var taken *sourceTakenError
	if !errors.As(err, &taken) || taken.source != owner {
		t.Fatalf("writeRecord over another source: %v, want a *sourceTakenError naming %s", err, owner)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var title string
	if err := pool.QueryRow(ctx, `SELECT title FROM incidents WHERE id = $1`, r.ID).Scan(&title); err != nil || title != stored.Title {
		t.Fatalf("%s has title %q (%v), want %q kept", r.ID, title, err, stored.Title)
	}
}
