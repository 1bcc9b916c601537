package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestImportRefusesImplausibleTimes: import checks records like validate,
// with the same limits from the same variables and flags, and stores
// none that breaks them.
func TestImportRefusesImplausibleTimes(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dir := t.TempDir()
	writeIncident(t, dir, "PM-OK", "sev2", "payments", 48*time.Hour, time.Hour)
	// Resolved 390 days after it started, 10 days ago.
	writeIncident(t, dir, "PM-LONG", "sev2", "payments", 400*24*time.Hour, 390*24*time.Hour)
	future := "---\nid: PM-FUTURE\ntitle: t\nseverity: sev2\nteam: payments\nstarted_at: 2026-05-10 10:00:00Z\n" +
		"detected_at: 2026-05-10 10:20:00 +00:00\nresolved_at: 9999-05-10 11:00:00Z\norigin: code_change\nresolution: rollback\n" +
		"detection: automated\nstatus: in_review\n---\n"
	if err := os.WriteFile(filepath.Join(dir, "PM-FUTURE.md"), []byte(future), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir)
	for _, want := range []string{
		filepath.Join(dir, "PM-FUTURE.md") + ":8: resolved_at: 9999-05-10T11:00:00Z is in the future",
		filepath.Join(dir, "PM-LONG.md") + ":8: resolved_at: ",
	} {
		if code != exitInvalid || !strings.Contains(stdout, want) {
			t.Errorf("exit %d, stdout:\n%s\nstderr: %s\nwant exit %d and %q", code, stdout, stderr, exitInvalid, want)
		}
	}
	pool, err := pgxpool.New(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	stored := func() string {
		t.Helper()
		var ids string
		if err := pool.QueryRow(context.Background(), `SELECT string_agg(id, ',' ORDER BY id) FROM incidents`).Scan(&ids); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := stored(); ids != "PM-OK" {
		t.Errorf("stored %q, want PM-OK", ids)
	}
	// A longer bound, from the environment, lets the long one in.
	var out, errOut strings.Builder
	code = run(context.Background(), []string{"import", "--database.url=" + pg.URL, dir},
		map[string]string{"POSTMORTEM_RECORDS_MAX_DURATION": "400d"}, &out, &errOut)
	if ids := stored(); code != exitInvalid || ids != "PM-LONG,PM-OK" {
		t.Errorf("with POSTMORTEM_RECORDS_MAX_DURATION=400d: exit %d, stored %q, want PM-LONG,PM-OK; stdout:\n%s\nstderr: %s",
			code, ids, out.String(), errOut.String())
	}
}
