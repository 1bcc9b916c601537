package main

import (
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// csvRows runs `report --format csv` with args and returns its rows, each
// joined back into one line with the services in name order (PostgreSQL
// keeps them as a set), sorted.
func csvRows(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"report", "--format=csv"}, args...)...)
	if code != exitOK {
		t.Fatalf("report %v: exit %d\n%s", args, code, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("report %v: %d rows, %v", args, len(rows), err)
	}
	services := slices.Index(rows[0], "services")
	var out []string
	for _, row := range rows {
		list := strings.Split(row[services], ";")
		slices.Sort(list)
		row[services] = strings.Join(list, ";")
		out = append(out, strings.Join(row, "\x1f"))
	}
	slices.Sort(out)
	return out
}

// TestReportCSVFromEitherSource writes the CSV of the examples from their
// folder and, once imported, from PostgreSQL (streamed): the same rows.
// Served as the default source, the examples are shifted like the
// snapshot, so that their times fall where the report's figures put them.
func TestReportCSVFromEitherSource(t *testing.T) {
	const dir = "../../examples/postmortems"
	fromFiles := csvRows(t, "--source.dir="+dir)
	pg := testenv.StartPostgres(t)
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	fromDatabase := csvRows(t, "--database.url="+pg.URL)
	// The database keeps each file's path from the repository's root.
	_, folder, err := sourceRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range fromFiles {
		fromFiles[i] = strings.Replace(row, "\x1f"+dir+"/", "\x1f"+folder+"/", 1)
	}
	slices.Sort(fromFiles)
	if strings.Join(fromDatabase, "\n") != strings.Join(fromFiles, "\n") {
		t.Errorf("the CSV from PostgreSQL differs from the folder's:\n%s\n---\n%s", strings.Join(fromDatabase, "\n"), strings.Join(fromFiles, "\n"))
	}
	incidents := 0
	for _, row := range fromFiles {
		if strings.HasPrefix(row, "incident\x1f") {
			incidents++
		}
	}
	if incidents < 15 || len(fromFiles) < 2*incidents {
		t.Errorf("%d incidents in %d rows: the examples have more", incidents, len(fromFiles)-1)
	}

	// The bundled examples, moved so that examples.Anchor is today.
	asOf := time.Now().UTC()
	shifted := csvRows(t, "--as-of="+asOf.Format(time.RFC3339))
	days := asOf.Truncate(24 * time.Hour).Sub(examples.Anchor)
	want := "PM-2026-031\x1f\x1fCheckout API returned 500s after the payment SDK upgrade\x1fsev2\x1ffalse\x1fpayments\x1fcheckout-api;payment-gateway\x1f" +
		"https://wiki.example.com/postmortems/PM-2026-031\x1f" + time.Date(2026, 5, 20, 14, 2, 0, 0, time.UTC).Add(days).Format(time.RFC3339) + "\x1f"
	if !slices.ContainsFunc(shifted, func(row string) bool { return strings.HasPrefix(row, "incident\x1f"+want) }) {
		t.Errorf("no row of PM-2026-031 started %v after its written day in:\n%s", days, strings.Join(shifted, "\n"))
	}
}
