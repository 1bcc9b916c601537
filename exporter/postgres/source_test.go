package postgres

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// exposition renders a snapshot's record metrics (not the exporter's self
// metrics, which differ by nature) with the source label neutralised.
func exposition(t *testing.T, snap *snapshot.Snapshot) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors.New(testenv.FixedProvider{Snapshot: snap, Status: collectors.RefreshStatus{Source: snap.Source, Up: true}}, slog.New(slog.NewTextHandler(io.Discard, nil))))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, mf := range families {
		if strings.HasPrefix(mf.GetName(), "postmortem_exporter_") {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&out, mf); err != nil {
			t.Fatal(err)
		}
	}
	return strings.ReplaceAll(out.String(), `source="`+snap.Source+`"`, `source="any"`)
}

// TestSameMetricsAsFiles imports the examples and checks the PostgreSQL
// source gives exactly the metrics the file source gives for them.
func TestSameMetricsAsFiles(t *testing.T) {
	pg, records := importExamples(t)
	ctx := context.Background()
	const dir = "../../examples/postmortems"
	imported := len(records)
	tax := record.DefaultTaxonomy()
	// Months in Paris (the default shape), ISO weeks by team in Kolkata
	// (UTC+5:30: every week starts and ends inside a UTC day), quarters.
	for _, periods := range []snapshot.PeriodOptions{
		{Unit: snapshot.Month, Count: 13, Location: mustZone(t, "Europe/Paris")}, // auto: by team for the 4 teams
		{Unit: snapshot.Week, Count: 20, Location: mustZone(t, "Asia/Kolkata"), ByTeam: snapshot.TeamsOn},
		{Unit: snapshot.Quarter, Count: 5, Location: time.UTC, ByTeam: snapshot.TeamsOff},
	} {
		opts := snapshot.Options{
			Windows: []snapshot.Window{
				{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour},
			},
			Severities: tax.Severities, TopServices: 3, OverdueItemsLimit: 3, Periods: periods,
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
		want, got := exposition(t, fromFiles), exposition(t, fromDB)
		if got != want {
			t.Fatalf("%s periods: postgres and files disagree:\n%s", periods.Unit, diffLines(got, want))
		}
		if !strings.Contains(got, collectors.MetricMTTR) || !strings.Contains(got, collectors.MetricPeriodActionItemsDue) ||
			!strings.Contains(got, collectors.MetricPeriodTimeToRecover+`{period="`) || fromDB.Records != imported {
			t.Fatalf("%s periods: the comparison is empty: %d records", periods.Unit, fromDB.Records)
		}
	}
}

// TestTaxonomyViolationsAreCounted writes a row another client could write
// after a taxonomy change: it is counted invalid, with its id, not dropped
// silently, and the other rows are served.
func TestTaxonomyViolationsAreCounted(t *testing.T) {
	pg := startTestDatabase(t)
	ctx := context.Background()
	// The writer's taxonomy allowed sev0; the exporter's does not.
	writers := record.DefaultTaxonomy()
	writers.Severities = append(writers.Severities, "sev0")
	if err := StoreTaxonomy(ctx, pg, writers); err != nil {
		t.Fatal(err)
	}
	for _, sev := range []string{"sev2", "sev0"} {
		_, err := pg.Exec(ctx, `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, origin, detection, status)
			VALUES ($1, 'sql', '', 't', $2, 'a', now() - interval '2 days', now() - interval '1 day', 'unknown', 'internal', 'draft')`, "PM-"+sev, sev)
		if err != nil {
			t.Fatal(err)
		}
	}
	tax := record.DefaultTaxonomy()
	src := &Source{Pool: pg, Limits: record.DefaultLimits(), StatementTimeout: 10 * time.Second, Logger: slog.Default(), Options: snapshot.Options{
		Windows: []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Severities: tax.Severities, TopServices: 5, OverdueItemsLimit: 5,
	}}
	snap, err := src.Snapshot(ctx, time.Now(), tax)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Records != 1 || snap.InvalidCount(record.CodeInvalidValue) != 1 || len(snap.Problems) != 1 ||
		snap.Problems[0].Path != "postgres:incidents/PM-sev0" || snap.Problems[0].Field != "severity" {
		t.Fatalf("records %d, invalid %v, problems %v", snap.Records, snap.Invalid, snap.Problems)
	}
}

// TestSyntheticOrganisation writes a small synthetic organisation with COPY
// and reads it back: every row is valid and every incident counted.
func TestSyntheticOrganisation(t *testing.T) {
	pg := startTestDatabase(t)
	ctx := context.Background()
	end := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	org := Synthetic{Incidents: 300, ItemsPerRecord: 5, Teams: 20, Seed: 7, End: end}
	if err := org.Write(ctx, pg); err != nil {
		t.Fatal(err)
	}
	var items int
	if err := pg.QueryRow(ctx, `SELECT count(*) FROM action_items`).Scan(&items); err != nil || items != 1500 {
		t.Fatalf("%d action items, %v; want 1500", items, err)
	}
	tax := record.DefaultTaxonomy()
	snap, err := (&Source{Pool: pg, Limits: record.DefaultLimits(), StatementTimeout: 10 * time.Second, Logger: slog.Default(), Options: snapshot.Options{
		Windows: []snapshot.Window{{Name: "365d", Length: 365 * 24 * time.Hour}}, Severities: tax.Severities, TopServices: 10, OverdueItemsLimit: 10,
	}}).Snapshot(ctx, end, tax)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Records != 300 || len(snap.Problems) != 0 {
		t.Fatalf("records %d, problems %v", snap.Records, snap.Problems)
	}
	if a, b := org.Record(42), org.Record(42); a.ID != b.ID || !a.StartedAt.Equal(b.StartedAt) || a.ActionItems[0].Owner != b.ActionItems[0].Owner {
		t.Fatal("the same seed gave different records")
	}
}
