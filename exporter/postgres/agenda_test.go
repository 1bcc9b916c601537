package postgres

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/report"
)

// markdown renders a snapshot's report, the source's name left out.
func markdown(t *testing.T, snap *snapshot.Snapshot) string {
	t.Helper()
	r, err := report.New(snap, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(b.String(), "source "+snap.Source, "source any")
}

// withoutCrossTable cuts the origin by resolution section out of a report.
func withoutCrossTable(t *testing.T, md string) string {
	t.Helper()
	start := strings.Index(md, "### Where faults came from")
	end := strings.Index(md, "### Who detected them first")
	if start < 0 || end < start {
		t.Fatalf("no origin section in:\n%s", md)
	}
	return md[:start] + md[end:]
}

// TestSameReportAsFiles imports the examples and checks the PostgreSQL
// source gives the report the files give, items due soon and titles
// included; only origin by resolution, which it does not count, is
// replaced by the counts per origin.
func TestSameReportAsFiles(t *testing.T) {
	pg, _ := importExamples(t)
	ctx := context.Background()
	const dir = "../../examples/postmortems"
	tax := record.DefaultTaxonomy()
	opts := snapshot.Options{
		Windows:    []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour}},
		Severities: tax.Severities, TopServices: 50, OverdueItemsLimit: 1000,
		Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13, Location: time.UTC},
	}
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	fromFiles, err := (&files.Source{FS: os.DirFS(dir), Dir: dir, Limits: record.DefaultLimits(), Options: opts, Logger: slog.Default()}).Snapshot(ctx, asOf, tax)
	if err != nil {
		t.Fatal(err)
	}
	fromDB, err := (&Source{Pool: pg, Limits: record.DefaultLimits(), Options: opts, StatementTimeout: 10 * time.Second, Logger: slog.Default()}).Snapshot(ctx, asOf, tax)
	if err != nil {
		t.Fatal(err)
	}
	if !fromDB.Listed || len(fromDB.DueSoon) != 3 || !reflect.DeepEqual(fromDB.DueSoon, fromFiles.DueSoon) || !reflect.DeepEqual(fromDB.Titles, fromFiles.Titles) {
		t.Errorf("agenda from postgres:\n%+v\nfrom files:\n%+v", fromDB.Agenda, fromFiles.Agenda)
	}
	got, want := markdown(t, fromDB), markdown(t, fromFiles)
	if !strings.Contains(got, "does not cross origin with resolution") {
		t.Errorf("the postgres report does not say the cross table is missing:\n%s", got)
	}
	if withoutCrossTable(t, got) != withoutCrossTable(t, want) {
		t.Errorf("postgres and files reports disagree:\n%s", diffLines(got, want))
	}
}
