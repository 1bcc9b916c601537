package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// storedTaxonomy reads table taxonomy, values sorted per field.
func storedTaxonomy(t *testing.T, pool *pgxpool.Pool) map[string][]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT field, value FROM taxonomy ORDER BY field, value`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	var field, value string
	if _, err := pgx.ForEachRow(rows, []any{&field, &value}, func() error {
		got[field] = append(got[field], value)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func sortedFields(tax record.Taxonomy) map[string][]string {
	want := store.TaxonomyFields(tax)
	for _, values := range want {
		slices.Sort(values)
	}
	return want
}

// TestDatabaseTaxonomy checks that the database refuses an incident outside
// its taxonomy, whoever writes it, that the migration starts from the
// default taxonomy, and that store.StoreTaxonomy replaces it without touching the
// rows already stored.
func TestDatabaseTaxonomy(t *testing.T) {
	pg := pgtest.Database(t)
	ctx := context.Background()
	if got, want := storedTaxonomy(t, pg), sortedFields(record.DefaultTaxonomy()); !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("migrated taxonomy %v, want the defaults %v", got, want)
	}
	insert := func(id, severity, origin string) error {
		_, err := pg.Exec(ctx, `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, origin, detection, status)
			VALUES ($1, 'sql', '', 't', $2, 'a', now() - interval '2 days', now() - interval '1 day', $3, 'internal', 'draft')`, id, severity, origin)
		return err
	}
	refused := func(err error, want string) {
		t.Helper()
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23514" || pgErr.Message != want {
			t.Fatalf("got %v, want a check violation %q", err, want)
		}
	}
	if err := insert("PM-1", "sev2", "unknown"); err != nil {
		t.Fatal(err)
	}
	refused(insert("PM-2", "sev0", "unknown"), `incident PM-2: severity 'sev0' is not in the taxonomy`)
	refused(insert("PM-3", "sev1", "cosmic_rays"), `incident PM-3: origin 'cosmic_rays' is not in the taxonomy`)
	_, err := pg.Exec(ctx, `UPDATE incidents SET detection = 'pager' WHERE id = 'PM-1'`)
	refused(err, `incident PM-1: detection 'pager' is not in the taxonomy`)

	custom := record.DefaultTaxonomy()
	custom.Severities = []string{"sev0", "sev1"}
	if err := store.StoreTaxonomy(ctx, pg, custom); err != nil {
		t.Fatal(err)
	}
	if got, want := storedTaxonomy(t, pg), sortedFields(custom); !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("stored taxonomy %v, want %v", got, want)
	}
	if err := insert("PM-2", "sev0", "unknown"); err != nil {
		t.Fatalf("sev0 after the taxonomy change: %v", err)
	}
	// The sev2 row stays, and can still be edited apart from its severity:
	// the source reports it as invalid, it is not lost.
	if _, err := pg.Exec(ctx, `UPDATE incidents SET title = 'renamed' WHERE id = 'PM-1'`); err != nil {
		t.Fatalf("editing the title of a row outside the new taxonomy: %v", err)
	}
	var n int
	if err := pg.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d incidents, %v; want 2", n, err)
	}
	// A refused taxonomy leaves the stored one as it was.
	if err := store.StoreTaxonomy(ctx, pg, record.Taxonomy{Severities: []string{""}}); err == nil || !strings.Contains(err.Error(), "store taxonomy") {
		t.Fatalf("storing an empty value: %v", err)
	}
	if got, want := storedTaxonomy(t, pg), sortedFields(custom); !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("after a refused store the taxonomy is %v, want %v", got, want)
	}
}

// TestStoreTaxonomyConcurrently runs store.StoreTaxonomy from several clients at
// once, as two `migrate` or `import` runs do: each succeeds, and the table
// holds the taxonomy once. Without the table lock, a writer whose DELETE
// waited for another's commit failed with a duplicate key.
func TestStoreTaxonomyConcurrently(t *testing.T) {
	pg := pgtest.Database(t)
	const writers = 8
	errs := make(chan error, writers)
	for range writers {
		go func() { errs <- store.StoreTaxonomy(context.Background(), pg, record.DefaultTaxonomy()) }()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got, want := storedTaxonomy(t, pg), sortedFields(record.DefaultTaxonomy()); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("stored taxonomy %v, want %v", got, want)
	}
}
