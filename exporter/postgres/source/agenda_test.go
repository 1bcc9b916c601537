package source

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
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

// without cuts the sections from one heading to the next out of a report.
func without(t *testing.T, md string, sections ...[2]string) string {
	t.Helper()
	for _, s := range sections {
		start, end := strings.Index(md, s[0]), strings.Index(md, s[1])
		if start < 0 || end < start {
			t.Fatalf("no section %q in:\n%s", s[0], md)
		}
		md = md[:start] + md[end:]
	}
	return md
}

// unlisted are the report's sections the PostgreSQL source does not fill.
var unlisted = [][2]string{
	{"### Post-mortems published late", "### Post-mortems not published yet"},
}

// importedExamples imports the examples and returns their snapshots as
// of 2026-06-01 with the windows and periods, from the files and from
// PostgreSQL.
func importedExamples(t *testing.T, windows []snapshot.Window, periods snapshot.PeriodOptions) (fromFiles, fromDB *snapshot.Snapshot) {
	t.Helper()
	pg, _ := pgtest.ImportExamples(t)
	tax := record.DefaultTaxonomy()
	opts := snapshot.Options{Windows: windows, Severities: tax.Severities, TopServices: 50, OverdueItemsLimit: 1000, Periods: periods}
	return examplesFromBoth(t, pg, opts, time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC), tax)
}

// TestSameReportAsFiles imports the examples and checks the PostgreSQL
// source gives the report the files give, items due soon and titles
// included, and origin by resolution, the time to recover per service,
// the quality bar per window, period and post-mortem and the possible
// repeats; only the list of post-mortems published late, which it does
// not read, is replaced by a count.
func TestSameReportAsFiles(t *testing.T) {
	fromFiles, fromDB := importedExamples(t, []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour}},
		snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13, Location: time.UTC})
	if !fromDB.Listed || len(fromDB.DueSoon) == 0 || len(fromDB.Unpublished) == 0 || fromDB.OriginResolution == nil || fromDB.ServiceIncidents == nil || fromDB.QualityDetail == nil || fromDB.PublishedLate != nil ||
		!reflect.DeepEqual(fromDB.DueSoon, fromFiles.DueSoon) || !reflect.DeepEqual(fromDB.Unpublished, fromFiles.Unpublished) {
		t.Errorf("agenda from postgres:\n%+v\nfrom files:\n%+v", fromDB.Agenda, fromFiles.Agenda)
	}
	got, want := markdown(t, fromDB), markdown(t, fromFiles)
	for _, missing := range []string{"source does not list them; their count is the *published late* rule"} {
		if !strings.Contains(got, missing) {
			t.Errorf("the postgres report does not say %q:\n%s", missing, got)
		}
	}
	if got, want := without(t, got, unlisted...), without(t, want, unlisted...); got != want {
		t.Errorf("postgres and files reports disagree:\n%s", diffLines(got, want))
	}
}

// TestTrendsOfEveryUnitAsFiles: the report's trend periods of every unit
// (month, week, quarter) from PostgreSQL equal those from the files. The
// periods are two months and the window 30 days, so the quarter from
// April 1 reaches back before both: the refresh reads the incidents of
// April 14 and 20 for it (examples/postmortems).
func TestTrendsOfEveryUnitAsFiles(t *testing.T) {
	fromFiles, fromDB := importedExamples(t, []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}},
		snapshot.PeriodOptions{Unit: snapshot.Month, Count: 2, Location: time.UTC})
	// Incidents started from April 1 (quarter), May 1 (month), April 27
	// (the ISO week holding May 1): 2 in April, 11 in May.
	want := map[string]int{snapshot.Quarter: 13, snapshot.Month: 11, snapshot.Week: 11}
	for _, unit := range snapshot.PeriodUnits {
		n := 0
		for _, p := range fromFiles.Trends[unit] {
			for _, c := range p.Incidents {
				n += c
			}
		}
		if n != want[unit] {
			t.Errorf("%s: %d incidents in the trend periods of the files, want %d", unit, n, want[unit])
		}
		if !reflect.DeepEqual(fromDB.Trends[unit], fromFiles.Trends[unit]) {
			t.Errorf("%s: trend periods from postgres:\n%+v\nfrom files:\n%+v", unit, fromDB.Trends[unit], fromFiles.Trends[unit])
		}
	}
}
