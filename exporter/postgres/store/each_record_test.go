package store_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
	"github.com/postmortem-exporter/postmortem-exporter/report"
)

// csvLines writes records as the report's CSV and returns its lines
// sorted, so that two sources compare whatever their order.
func csvLines(t *testing.T, each report.Records) []string {
	t.Helper()
	var b bytes.Buffer
	if _, err := report.WriteCSV(context.Background(), &b, each); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	slices.Sort(lines)
	return lines
}

// TestEachRecordAsFiles streams the imported examples back: the CSV of
// the database's records is the CSV of the files, field for field, and
// rows outside the taxonomy are counted, not handed over.
func TestEachRecordAsFiles(t *testing.T) {
	pool, records := pgtest.ImportExamples(t)
	examples := pgtest.Examples(t)
	fromFiles := csvLines(t, func(_ context.Context, fn func(record.Checked) error) error {
		for _, r := range records {
			// The database keeps the services as a set, in name order,
			// and the path from the repository's root.
			sorted := *r.Record
			sorted.Services = slices.Sorted(slices.Values(r.Services))
			sorted.Path = examples.StoredPath(r.Path)
			if err := fn(record.Checked{Record: &sorted, Verdict: r.Verdict}); err != nil {
				return err
			}
		}
		return nil
	})
	rules := record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()}
	fromDatabase := csvLines(t, func(ctx context.Context, fn func(record.Checked) error) error {
		invalid, err := store.EachRecord(ctx, pool, rules, fn)
		if invalid != 0 {
			t.Errorf("%d examples invalid in the database", invalid)
		}
		return err
	})
	if strings.Join(fromDatabase, "\n") != strings.Join(fromFiles, "\n") {
		t.Errorf("the database's CSV differs from the files':\n%s\n---\n%s", strings.Join(fromDatabase, "\n"), strings.Join(fromFiles, "\n"))
	}

	narrow := rules
	narrow.Taxonomy.Severities = []string{"sev1", "sev2", "sev3"}
	var handed []string
	invalid, err := store.EachRecord(context.Background(), pool, narrow, func(r record.Checked) error {
		handed = append(handed, r.ID)
		return nil
	})
	sev4 := 0
	for _, r := range records {
		if r.Severity == "sev4" {
			sev4++
		}
	}
	if err != nil || invalid != sev4 || len(handed) != len(records)-sev4 || !slices.IsSorted(handed) {
		t.Errorf("without sev4: %d invalid (want %d), %d handed over in id order %v, err %v", invalid, sev4, len(handed), handed, err)
	}
}
