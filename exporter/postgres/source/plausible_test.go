package source

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/synthload"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestImplausibleTimesAreCounted writes rows with implausible times with
// plain SQL, as any client could: each is counted invalid under
// implausible_time with its field named, and the metrics are exactly
// those of the valid records alone (the rollups' share of the invalid
// rows, a time to recover of 8,000 years included, is taken back out).
// A time before 1970 is refused by the schema itself.
func TestImplausibleTimesAreCounted(t *testing.T) {
	pg, _ := pgtest.ImportExamples(t)
	ctx := context.Background()
	tax := record.DefaultTaxonomy()
	src := &Source{Pool: pg, Limits: record.DefaultLimits(), StatementTimeout: 10 * time.Second, Logger: slog.Default(),
		Options: snapshot.Options{
			Windows:    []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "800d", Length: 800 * 24 * time.Hour}},
			Severities: tax.Severities, TopServices: 5, OverdueItemsLimit: 5,
		}}
	asOf := time.Now()

	// Whole seconds, as records have: the sums are floats, and a time to
	// recover of 8,000 years leaves no room for microseconds in them.
	incident := func(id, started, detected, resolved, published string) string {
		return `WITH t (now) AS (SELECT date_trunc('second', now())) INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, resolved_at,
			origin, resolution, detection, status, published_at)
			SELECT '` + id + `', 'sql', '', 't', 'sev3', 'payments', ` + started + `, ` + detected + `, ` + resolved + `,
			'unknown', 'rollback', 'internal', 'published', ` + published + ` FROM t`
	}
	item := func(id, incident, created, due, status, closed string) string {
		return `WITH t (now) AS (SELECT date_trunc('second', now())) INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, closed_at)
			SELECT '` + id + `', '` + incident + `', 't', 'alice', 'payments', ` + created + `, ` + due + `, '` + status + `', ` + closed + ` FROM t`
	}
	// An action item's implausible time is a finding, not a problem of the
	// incident core: these incidents stay valid (docs/quality.md).
	for _, sql := range []string{
		// A sound incident whose item was closed tomorrow.
		incident("PM-ITEM", "now - interval '3 days'", "now - interval '3 days'", "now - interval '2 days'", "now - interval '2 days'"),
		item("PM-ITEM-1", "PM-ITEM", "now - interval '2 days'", "current_date + 10", "done", "now + interval '1 day'"),
		// A sound incident whose item is due in 400 days.
		incident("PM-DUE", "now - interval '3 days'", "now - interval '3 days'", "now - interval '2 days'", "now - interval '2 days'"),
		item("PM-DUE-1", "PM-DUE", "now - interval '2 days'", "current_date + 400", "open", "NULL"),
	} {
		if _, err := pg.Exec(ctx, sql); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	before, err := src.Snapshot(ctx, asOf, record.Config{Taxonomy: tax})
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Problems) != 0 {
		t.Errorf("implausible item times made incidents invalid: %v", before.Problems)
	}
	for _, sql := range []string{
		// Resolved in 9999: in the future, 8,000 years to recover.
		incident("PM-FUTURE", "now - interval '2 days'", "now - interval '1 day'", "'9999-05-10T11:00:00Z'", "now - interval '1 day'"),
		// Recovered 695 days after it started, both in the past.
		incident("PM-LONG", "now - interval '700 days'", "now - interval '700 days'", "now - interval '5 days'", "now - interval '4 days'"),
		// Published next month.
		incident("PM-PUB", "now - interval '3 days'", "now - interval '3 days'", "now - interval '2 days'", "now + interval '30 days'"),
		// Not resolved yet, acknowledged tomorrow.
		incident("PM-ACK", "now - interval '3 days'", "now - interval '3 days'", "NULL", "now - interval '2 days'"),
		`UPDATE incidents SET acknowledged_at = now() + interval '1 day' WHERE id = 'PM-ACK'`,
	} {
		if _, err := pg.Exec(ctx, sql); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	_, err = pg.Exec(ctx, incident("PM-YEAR1", "'0001-05-10T10:00:00Z'", "now", "NULL", "now"))
	if err == nil || !strings.Contains(err.Error(), "incidents_plausible_times") {
		t.Errorf("a start in year 1 was not refused by the schema: %v", err)
	}

	after, err := src.Snapshot(ctx, asOf, record.Config{Taxonomy: tax})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range after.Problems {
		got = append(got, p.Path+" "+p.Field+" "+string(p.Code))
	}
	slices.Sort(got)
	want := []string{
		"postgres:incidents/PM-ACK acknowledged_at implausible_time",
		"postgres:incidents/PM-FUTURE resolved_at implausible_time",
		"postgres:incidents/PM-LONG resolved_at implausible_time",
		"postgres:incidents/PM-PUB published_at implausible_time",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if after.InvalidCount(record.CodeImplausibleTime) != 4 || after.Records != before.Records {
		t.Errorf("invalid %v, records %d; want 4 implausible and the %d valid records", after.Invalid, after.Records, before.Records)
	}
	zero := `postmortem_records_invalid{reason="implausible_time",source="any",team=""} 0` + "\n"
	wantExp := strings.Replace(exposition(t, before), zero,
		zero+`postmortem_records_invalid{reason="implausible_time",source="any",team="payments"} 4`+"\n", 1)
	if exp := exposition(t, after); exp != wantExp {
		t.Errorf("the implausible rows changed the metrics:\n%s", diffLines(exp, wantExp))
	}
}

// TestImplausibleQueryReadsNoTable checks the refresh finds implausible
// rows by index alone, as docs/postgres.md promises for every query of a
// refresh: with the refresh's planner settings, no branch of the queries
// scans a table.
func TestImplausibleQueryReadsNoTable(t *testing.T) {
	pg := pgtest.Database(t)
	ctx := context.Background()
	org := synthetic.Org{Incidents: 2000, ItemsPerRecord: 3, Teams: 10, Seed: 3, End: time.Now().UTC()}
	if err := synthload.WriteSynthetic(ctx, pg, org, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	tx, err := pg.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 10000"+refreshPlannerSettings); err != nil {
		t.Fatal(err)
	}
	args := []any{time.Now(), 365 * 24 * time.Hour, record.Earliest, []string{"PM-1"}}
	now := time.Now()
	for _, tc := range []struct {
		query string
		args  []any
		index string // an index the plan must use, if any
	}{
		{implausibleQuery, args[:3], ""}, {implausibleItems, args, ""},
		// The quality bar's row reads (quality.go).
		{unownedQuery, nil, ""}, {repeatsQuery, []any{now.Add(-365 * 24 * time.Hour), now}, ""},
		// Not the whole of another index of action_items either.
		{openItemsQuery(exceptionItems), []any{now}, "action_items_open_exceptions"},
		// The counts by custom field (custom.go), of the recent incidents only.
		{customQuery, []any{[]time.Time{now.Add(-30 * 24 * time.Hour)}, now, []string{"Root cause type"}, []string{"PM-1"}}, "incidents_started_at"},
	} {
		query := tc.query
		rows, err := tx.Query(ctx, "EXPLAIN "+query, tc.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		if strings.Contains(plan.String(), "Seq Scan") || !strings.Contains(plan.String(), tc.index) {
			t.Errorf("a table is read whole, or not through the index %q:\n%s", tc.index, plan.String())
		}
	}
}
