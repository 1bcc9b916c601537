package main

import (
	"context"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// killRecords is how many record files the killed import reads: 3
// batches, so that a kill after the first commit finds the import
// half-way (a batch takes seconds).
const killRecords = 1200

// TestImportKilledThenRerun kills the real binary with SIGKILL at a random
// point after its first batch committed, runs the import again, and
// compares every table, row for row, with one clean import of the same
// folder into another database of the same server.
func TestImportKilledThenRerun(t *testing.T) {
	pg := testenv.StartPostgres(t)
	ctx := context.Background()
	killed := pgtest.Connect(t, pg.URL)
	if _, err := killed.Exec(ctx, `CREATE DATABASE clean`); err != nil {
		t.Fatal(err)
	}
	cleanURL := strings.Replace(pg.URL, "/postgres?", "/clean?", 1)
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "synthesize-files", dir, "--records="+strconv.Itoa(killRecords), "--items-per-incident=2", "--teams=10"); code != exitOK {
		t.Fatalf("synthesize-files: exit %d\n%s", code, stderr)
	}
	bin := testenv.BuildExporter(t)
	importArgs := func(url string) []string {
		return []string{"import", "--database.url=" + url, "--source.name=synthetic", dir}
	}

	// Killed once the first batch is stored, a random 0-1 s later.
	if code, _, stderr := runCLI(t, "migrate", "--database.url="+pg.URL); code != exitOK {
		t.Fatalf("migrate: exit %d\n%s", code, stderr)
	}
	p := testenv.Start(t, nil, bin, importArgs(pg.URL)...)
	for stored := 0; stored == 0; {
		select {
		case <-p.Exited():
			t.Fatalf("the import ended (exit %d) before its first batch was seen: raise killRecords\n%s", p.ExitCode(), p.Output())
		case <-time.After(5 * time.Millisecond):
		}
		if err := killed.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Duration(rand.IntN(1000)) * time.Millisecond)
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	var stored int
	if err := killed.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if p.ExitCode() != -1 || stored >= killRecords {
		t.Fatalf("the import was not killed half-way (exit %d, %d of %d incidents stored): raise killRecords", p.ExitCode(), stored, killRecords)
	}
	t.Logf("killed with %d of %d incidents stored", stored, killRecords)

	// The re-run and the clean run: the same binary.
	for _, url := range []string{pg.URL, cleanURL} {
		if out, err := exec.Command(bin, importArgs(url)...).CombinedOutput(); err != nil {
			t.Fatalf("import into %s: %v\n%s", url, err, out)
		}
	}
	want, got := dumpTables(t, pgtest.Connect(t, cleanURL)), dumpTables(t, killed)
	if len(want) < 10 {
		t.Fatalf("%d tables dumped, the schema has more", len(want))
	}
	for table, rows := range want {
		if !slices.Equal(got[table], rows) {
			t.Errorf("table %s after the kill and a re-run: %d rows, differing from the %d of one clean run", table, len(got[table]), len(rows))
		}
	}
	if n := len(want["incidents"]); n != killRecords {
		t.Errorf("%d incidents after one clean run, want %d", n, killRecords)
	}
}

// dumpTables returns every row of every table of the public schema as
// JSON text, sorted, by table; the time each migration was applied, which
// differs between any two databases, is left out.
func dumpTables(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	dump := map[string][]string{}
	for _, table := range tables {
		rows, err := pool.Query(ctx, `SELECT (to_jsonb(t) - 'applied_at')::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(lines)
		dump[table] = lines
	}
	return dump
}
