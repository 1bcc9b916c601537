package source

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/synthload"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	refreshloop "github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testprovider"
)

// exposition renders a snapshot's record metrics (not the exporter's self
// metrics, which differ by nature) with the source label neutralised.
func exposition(t *testing.T, snap *snapshot.Snapshot) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors.New(testprovider.Fixed{Snapshot: snap, Status: refreshloop.Status{Source: snap.Source, Up: true}}, slog.New(slog.NewTextHandler(io.Discard, nil))))
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
// source gives exactly the metrics the file source gives for them, as of
// the examples' "now" and as of an instant before some of their events,
// with the default taxonomy and with one that makes three incidents
// invalid.
func TestSameMetricsAsFiles(t *testing.T) {
	pg, records := pgtest.ImportExamples(t)
	imported := len(records)
	// Without the resolution "other", PM-2025-061, PM-2026-025 and
	// PM-2026-026 are invalid: their items, due in the windows, no longer
	// count.
	narrow := record.DefaultTaxonomy()
	narrow.Resolutions = slices.DeleteFunc(slices.Clone(narrow.Resolutions), func(v string) bool { return v == "other" })
	now := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	// Before PM-2026-027-1 (due 2026-04-28) was done late on 2026-05-06,
	// before the items of incidents started since were created.
	before := time.Date(2026, time.May, 5, 12, 0, 0, 0, time.UTC)
	seen := coverage{}
	possible := 0
	// Months in Paris (the default shape), ISO weeks by team in Kolkata
	// (UTC+5:30: every week starts and ends inside a UTC day), quarters.
	for _, c := range []struct {
		periods snapshot.PeriodOptions
		asOf    time.Time
		tax     record.Taxonomy
	}{
		{snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13, Location: mustZone(t, "Europe/Paris")}, now, record.DefaultTaxonomy()}, // auto: by team for the 4 teams
		{snapshot.PeriodOptions{Unit: snapshot.Week, Count: 20, Location: mustZone(t, "Asia/Kolkata"), ByTeam: snapshot.TeamsOn}, now, record.DefaultTaxonomy()},
		{snapshot.PeriodOptions{Unit: snapshot.Quarter, Count: 5, Location: time.UTC, ByTeam: snapshot.TeamsOff}, now, narrow},
		{snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13, Location: time.UTC}, before, narrow},
	} {
		name := fmt.Sprintf("%s periods as of %s", c.periods.Unit, c.asOf.Format(time.RFC3339))
		opts := snapshot.Options{
			Windows: []snapshot.Window{
				{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour},
			},
			Severities: c.tax.Severities, TopServices: 3, OverdueItemsLimit: 3, Periods: c.periods,
		}
		fromFiles, fromDB := examplesFromBoth(t, pg, opts, c.asOf, c.tax)
		requireQualityDetail(t, fromFiles, fromDB)
		want, got := exposition(t, fromFiles), exposition(t, fromDB)
		if got != want {
			t.Fatalf("%s: postgres and files disagree:\n%s", name, diffLines(got, want))
		}
		if !strings.Contains(got, collectors.MetricMTTR) || !strings.Contains(got, collectors.MetricPeriodActionItemsDue) ||
			!strings.Contains(got, collectors.MetricPeriodTimeToRecover+`{period="`) || !strings.Contains(got, collectors.MetricActionItemsDue) ||
			!strings.Contains(got, collectors.MetricFindingInfo+`{incident="`) ||
			!strings.Contains(got, collectors.MetricPeriodPassing+`{period="`) || fromDB.Records+len(fromDB.Problems) != imported {
			t.Fatalf("%s: the comparison is empty: %d records", name, fromDB.Records)
		}
		seen.add(plain(records), fromFiles, opts.Windows)
		possible += len(fromDB.QualityDetail.PossibleRepeats)
	}
	if possible == 0 {
		t.Error("no possible repeat compared")
	}
	seen.check(t, caseClosedLater, caseCreatedLater, caseInvalid, caseApproved, caseWithoutApprover)
}

// examplesFromBoth returns the snapshots of the examples as of asOf from
// their folder and from pg, where they are imported.
func examplesFromBoth(t *testing.T, pg *pgxpool.Pool, opts snapshot.Options, asOf time.Time, tax record.Taxonomy) (fromFiles, fromDB *snapshot.Snapshot) {
	t.Helper()
	ctx, dir := context.Background(), pgtest.ExamplesDir
	fromFiles, err := (&files.Source{FS: os.DirFS(dir), Dir: dir, Limits: record.DefaultLimits(), Options: opts, Logger: slog.Default()}).Snapshot(ctx, asOf, record.Config{Taxonomy: tax})
	if err != nil {
		t.Fatal(err)
	}
	fromDB, err = (&Source{Pool: pg, Limits: record.DefaultLimits(), Options: opts, StatementTimeout: 10 * time.Second, Logger: slog.Default()}).Snapshot(ctx, asOf, record.Config{Taxonomy: tax})
	if err != nil {
		t.Fatal(err)
	}
	return fromFiles, fromDB
}

// requireQualityDetail checks that both sources give the quality bar per
// window, period and post-mortem and the possible repeats, so that the
// expositions compared hold them (PostgreSQL from the findings import
// stored, docs/quality.md).
func requireQualityDetail(t *testing.T, fromFiles, fromDB *snapshot.Snapshot) {
	t.Helper()
	if fromFiles.QualityDetail == nil || fromDB.QualityDetail == nil {
		t.Fatal("no quality detail from the files or from postgres")
	}
}

// plain returns the records without their verdicts.
func plain(checked []record.Checked) []*record.Record {
	out := make([]*record.Record, len(checked))
	for i, c := range checked {
		out[i] = c.Record
	}
	return out
}

// coverage counts the cases, in the snapshots compared, that the
// PostgreSQL source reads in a way of its own: the items due in the
// windows by outcome (summed from rollups, corrected row by row) and the
// open items with an exception (read by index, or recounted).
type coverage map[string]int

// The cases besides the outcomes.
const (
	caseClosedLater          = "item due in a window closed after the instant"
	caseCreatedLater         = "item created after the instant, of an incident started by then"
	caseCreatedLaterDue      = "item due in a window created after the instant"
	caseInvalid              = "item due in a window of an invalid incident"
	caseApproved             = "open item with an exception, with its approver"
	caseWithoutApprover      = "open item with an exception, without approver"
	caseExceptionClosedLater = "item with an exception closed after the instant"
	caseInvalidException     = "open item with an exception of an invalid incident"
)

func (c coverage) add(records []*record.Record, snap *snapshot.Snapshot, windows []snapshot.Window) {
	for _, w := range snap.Windows {
		for k, n := range w.ItemsDue {
			c[k.Value] += n
		}
	}
	invalid := map[string]bool{}
	for _, p := range snap.Problems {
		invalid[p.Path] = true
	}
	first, end := windows[len(windows)-1].DueDays(snap.AsOf) // the longest window
	items := map[string]record.ActionItem{}
	for _, r := range records {
		for _, a := range r.ActionItems {
			items[a.ID] = a
			if r.StartedAt.After(snap.AsOf) {
				continue
			}
			if invalid[r.Path] && a.Exception != "" && a.OpenAt(snap.AsOf) && !a.CreatedAt.After(snap.AsOf) {
				c[caseInvalidException]++
			}
			if a.CreatedAt.After(snap.AsOf) {
				c[caseCreatedLater]++
			}
			if a.Due.Before(first) || !a.Due.Before(end) {
				continue
			}
			switch {
			case invalid[r.Path]:
				c[caseInvalid]++
			case a.CreatedAt.After(snap.AsOf):
				c[caseCreatedLaterDue]++
			case a.ClosedAt.After(snap.AsOf):
				c[caseClosedLater]++
			}
		}
	}
	for _, it := range snap.ExceptionItems {
		if it.Approver == "" {
			c[caseWithoutApprover]++
		} else {
			c[caseApproved]++
		}
		if items[it.ID].ClosedAt.After(snap.AsOf) {
			c[caseExceptionClosedLater]++
		}
	}
}

// check fails unless every outcome and every case named was seen.
func (c coverage) check(t *testing.T, cases ...string) {
	t.Helper()
	for _, name := range append(slices.Clone(snapshot.ItemOutcomes), cases...) {
		if c[name] == 0 {
			t.Errorf("the data lacks a case: %s (seen: %v)", name, c)
		}
	}
}

// TestTaxonomyViolationsAreCounted writes a row another client could write
// after a taxonomy change: it is counted invalid, with its id, not dropped
// silently, and the other rows are served.
func TestTaxonomyViolationsAreCounted(t *testing.T) {
	pg := pgtest.Database(t)
	ctx := context.Background()
	// The writer's taxonomy allowed sev0; the exporter's does not.
	writers := record.DefaultTaxonomy()
	writers.Severities = append(writers.Severities, "sev0")
	if err := store.StoreTaxonomy(ctx, pg, writers); err != nil {
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
	snap, err := src.Snapshot(ctx, time.Now(), record.Config{Taxonomy: tax})
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
	pg := pgtest.Database(t)
	ctx := context.Background()
	end := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	org := synthetic.Org{Incidents: 300, ItemsPerRecord: 5, Teams: 20, Seed: 7, End: end}
	if err := synthload.WriteSynthetic(ctx, pg, org, nil); err != nil {
		t.Fatal(err)
	}
	var items int
	if err := pg.QueryRow(ctx, `SELECT count(*) FROM action_items`).Scan(&items); err != nil || items != 1500 {
		t.Fatalf("%d action items, %v; want 1500", items, err)
	}
	tax := record.DefaultTaxonomy()
	snap, err := (&Source{Pool: pg, Limits: record.DefaultLimits(), StatementTimeout: 10 * time.Second, Logger: slog.Default(), Options: snapshot.Options{
		Windows: []snapshot.Window{{Name: "365d", Length: 365 * 24 * time.Hour}}, Severities: tax.Severities, TopServices: 10, OverdueItemsLimit: 10,
	}}).Snapshot(ctx, end, record.Config{Taxonomy: tax})
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
