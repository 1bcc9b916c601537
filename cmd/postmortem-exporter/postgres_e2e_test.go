package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestPostgresOutage serves from a real PostgreSQL: rows written by another
// client show up on the next refresh; with the database stopped, scrapes
// still answer with the last snapshot and source_up 0; started again, the
// exporter recovers by itself.
func TestPostgresOutage(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	e := testenv.StartExporter(t, []string{"POSTMORTEM_DATABASE_URL_FILE=" + writeSecret(t, pg.URL)}, "--refresh.interval=1s", "--refresh.timeout=3s")
	value := func(name string, labels map[string]string) func() (float64, bool) {
		return func() (float64, bool) { return scrapeValue(t, e, name, labels) }
	}
	incidents := value(collectors.MetricIncidents, map[string]string{"window": "30d", "severity": "sev1", "team": "payments"})
	sourceUp := value(collectors.MetricSourceUp, map[string]string{"source": "postgres"})
	waitValue(t, "incidents", 1, incidents)

	pool, err := pgxpool.New(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = pool.Exec(context.Background(), `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, origin, detection, status)
		VALUES ('PM-SQL', 'sql', '', 'written by another client', 'sev1', 'payments', now() - interval '1 hour', now() - interval '50 minutes', 'unknown', 'internal', 'draft')`)
	if err != nil {
		t.Fatal(err)
	}
	waitValue(t, "incidents after another client's insert", 2, incidents)

	pg.Stop(t)
	waitValue(t, "source_up with the database stopped", 0, sourceUp)
	if got, ok := incidents(); !ok || got != 2 {
		t.Fatalf("the last snapshot is not served while the database is down: %v (present %v)", got, ok)
	}
	pg.Start(t)
	waitValue(t, "source_up after the database came back", 1, sourceUp)
}

func waitValue(t *testing.T, what string, want float64, get func() (float64, bool)) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() error {
		if got, ok := get(); !ok || got != want {
			return fmt.Errorf("%s = %v (present %v), want %v", what, got, ok, want)
		}
		return nil
	})
}

// writeSecret writes the database URL to a file, as a secret mount would.
func writeSecret(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "database-url")
	if err := os.WriteFile(path, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPostgresDownAtStartup starts the exporter while the database is down:
// it runs, healthy but not ready, and becomes ready (migrating the empty
// database with --migrate) once the database is up.
func TestPostgresDownAtStartup(t *testing.T) {
	pg := testenv.StartPostgres(t)
	pg.Stop(t)
	base := startUnready(t, "--database.url="+pg.URL, "--migrate", "--refresh.interval=1s")
	pg.Start(t)
	testenv.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	if body := testenv.Get(t, base+"/metrics"); !strings.Contains(body, collectors.MetricSourceUp+`{source="postgres"} 1`) {
		t.Fatalf("source_up is not 1 once ready:\n%s", body)
	}
}
