// Package pgtest starts the real PostgreSQL the tests of the PostgreSQL
// store, source and synthetic loader run against, with the schema
// migrated, and fills it with the bundled examples.
package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// ExampleSource is the source name the examples are imported as.
const ExampleSource = "https://example.com/examples.git"

// Connect returns a pool on url, closed when the test ends.
func Connect(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Database starts a real PostgreSQL with the schema migrated.
func Database(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := Connect(t, testenv.StartPostgres(t).URL)
	if _, err := store.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// ExamplesDir is the bundled examples' folder as the tests of
// exporter/postgres/* name it: the records' paths, which the comparisons
// with the file source match, are relative to it.
const ExamplesDir = "../../../examples/postmortems"

// Examples is the source the examples are imported from: named
// ExampleSource, read from ExamplesDir, their root.
func Examples(t testing.TB) store.Source {
	t.Helper()
	root, err := filepath.Abs(ExamplesDir)
	if err != nil {
		t.Fatal(err)
	}
	return store.Source{Name: ExampleSource, Root: root, Dir: ExamplesDir, Folder: "."}
}

// ImportExamples imports the bundled examples into a new database and
// returns it with the records it holds, with the verdicts of their check.
// It runs from a package folder of exporter/postgres (ExamplesDir).
func ImportExamples(t testing.TB) (*pgxpool.Pool, []record.Checked) {
	t.Helper()
	pool := Database(t)
	dir := ExamplesDir
	folder, err := files.Read(context.Background(), os.DirFS(dir), dir, files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()})
	if len(res.Problems) > 0 || len(res.Valid) < 2 {
		t.Fatalf("the examples: %d valid, problems %v", len(res.Valid), res.Problems)
	}
	if _, err := store.Import(context.Background(), pool, Examples(t), res.ValidChecked(), nil); err != nil {
		t.Fatal(err)
	}
	return pool, res.ValidChecked()
}

// Count runs a query that counts.
func Count(t testing.TB, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
