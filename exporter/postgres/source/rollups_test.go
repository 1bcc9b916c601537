package source

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/synthload"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// change is a write another client makes with plain SQL, and the same
// change made to the records in memory.
type change struct {
	name  string
	sql   string
	apply func(byID map[string]*record.Record)
}

// TestRollupsAgreeWithRecords writes a synthetic organisation, changes it
// with plain SQL as any client could (the triggers must keep the rollups
// right), and checks that the PostgreSQL source gives exactly the metrics
// the same records give in memory, as of instants that cut days in the
// middle, fall before events, and lie in the future.
func TestRollupsAgreeWithRecords(t *testing.T) {
	pg := pgtest.Database(t)
	ctx := context.Background()
	end := time.Date(2026, time.June, 1, 12, 30, 0, 0, time.UTC)
	org := synthetic.Org{Incidents: 1500, ItemsPerRecord: 3, Teams: 5, Seed: 11, End: end, History: 500 * 24 * time.Hour}
	if err := synthload.WriteSynthetic(ctx, pg, org, nil); err != nil {
		t.Fatal(err)
	}
	byID := map[string]*record.Record{}
	for i := range org.Incidents {
		r := org.Record(i)
		byID[r.ID] = r
	}
	for _, c := range changesOf(t, byID) {
		if _, err := pg.Exec(ctx, c.sql); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		c.apply(byID)
	}

	tax := record.DefaultTaxonomy()
	opts := snapshot.Options{
		Windows: []snapshot.Window{
			{Name: "36h", Length: 36 * time.Hour}, {Name: "30d", Length: 30 * 24 * time.Hour},
			{Name: "90d", Length: 90 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour},
		},
		Severities: tax.Severities, TopServices: 5, OverdueItemsLimit: 10,
		// Months in a zone west of UTC with DST, by team: every period
		// series has a team to disagree on.
		Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13, Location: mustZone(t, "America/New_York"), ByTeam: snapshot.TeamsOn},
	}
	// Synthetic rows are written with COPY, not by import: they have no
	// stored findings, so the records in memory are checked with the
	// rules that can be off turned off (TestSameMetricsAsFiles compares
	// the findings import stores).
	quality := record.DefaultQuality()
	for _, rule := range record.QualityRules {
		if !rule.AlwaysOn {
			quality.Severity[rule.Name] = record.SeverityOff
		}
	}
	src := &Source{Pool: pg, Limits: record.DefaultLimits(), Options: opts, StatementTimeout: 10 * time.Second, Logger: slog.Default()}
	seen := coverage{}
	agreeAsOf := func(asOf time.Time) {
		t.Helper()
		var records []*record.Record
		for _, r := range byID {
			r.Path = "postgres:incidents/" + r.ID
			records = append(records, r)
		}
		fromRecords := snapshot.FromRecords(SourceName, record.Check(records, nil,
			record.Rules{Taxonomy: tax, Limits: record.DefaultLimits(), Now: time.Now(), Quality: quality}), asOf, opts)
		seen.add(records, fromRecords, opts.Windows)
		want := exposition(t, fromRecords)
		got, err := src.Snapshot(ctx, asOf, record.Config{Taxonomy: tax, Quality: quality})
		if err != nil {
			t.Fatal(err)
		}
		if exp := exposition(t, got); exp != want {
			t.Fatalf("as of %s the rollups disagree with the records:\n%s", asOf, diffLines(exp, want))
		}
		if !strings.Contains(want, collectors.MetricRepeatIncidents) || !strings.Contains(want, collectors.MetricPeriodTeamTimeToRecover) || got.Records < 1000 {
			t.Fatalf("as of %s the comparison is nearly empty: %d records", asOf, got.Records)
		}
	}
	for _, asOf := range []time.Time{
		end,
		end.Add(-45*24*time.Hour - 7*time.Hour - 13*time.Minute),
		time.Date(2025, time.December, 24, 0, 0, 0, 0, time.UTC), // midnight: a day edge
		end.Add(-400 * 24 * time.Hour),
		end.Add(3*24*time.Hour + time.Hour),
	} {
		agreeAsOf(asOf)
	}
	seen.check(t, caseClosedLater, caseCreatedLater, caseCreatedLaterDue, caseInvalid, caseApproved, caseWithoutApprover, caseExceptionClosedLater, caseInvalidException)

	// TRUNCATE fires no row triggers: the rollups are rebuilt instead.
	if _, err := pg.Exec(ctx, `TRUNCATE action_items`); err != nil {
		t.Fatal(err)
	}
	for _, r := range byID {
		r.ActionItems = nil
	}
	agreeAsOf(end)
}

// changesOf picks records to change, so that each kind of write touches a
// rollup: block moves, key changes, deletions, taxonomy violations, a
// repeat that stops being one, services and item status changes.
func changesOf(t *testing.T, byID map[string]*record.Record) []change {
	t.Helper()
	var ids []string
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	repeatID, earlierID, itemID := "", "", ""
	for _, id := range ids {
		r := byID[id]
		// Every item the database holds counts: a zero verdict.
		if len(r.Related) == 0 || !snapshot.IsRepeat(r, byID, record.Result{}.Verdict) {
			continue
		}
		for _, a := range byID[r.Related[0]].ActionItems {
			if a.OpenAt(r.StartedAt) {
				repeatID, earlierID, itemID = id, r.Related[0], a.ID
			}
		}
		if itemID != "" {
			break
		}
	}
	if itemID == "" {
		t.Fatal("the synthetic organisation has no repeat incident")
	}
	var deletedRelated string
	for _, id := range ids {
		if r := byID[id]; len(r.Related) > 0 && r.Related[0] != earlierID && id != repeatID {
			deletedRelated = r.Related[0]
			break
		}
	}
	// An item logged after its due day: as of an instant between the
	// two, it is not due in the windows yet, though the rollups count it.
	var loggedLate *record.Record
	for _, id := range ids {
		if r := byID[id]; id != deletedRelated && len(r.Related) == 0 && r.StartedAt.Before(time.Date(2025, time.November, 1, 0, 0, 0, 0, time.UTC)) {
			loggedLate = r
			break
		}
	}
	loggedItem := record.ActionItem{ID: loggedLate.ID + "-9", Title: "t", Owner: "zoe", Team: loggedLate.Team,
		CreatedAt: time.Date(2025, time.December, 26, 10, 0, 0, 0, time.UTC), Due: time.Date(2025, time.December, 10, 0, 0, 0, 0, time.UTC),
		Status: record.ItemDone, ClosedAt: time.Date(2025, time.December, 27, 9, 0, 0, 0, time.UTC)}
	item := func(r *record.Record, id string) *record.ActionItem {
		for i := range r.ActionItems {
			if r.ActionItems[i].ID == id {
				return &r.ActionItems[i]
			}
		}
		t.Fatalf("no action item %s", id)
		return nil
	}
	return []change{
		{"close the item a repeat incident names", `UPDATE action_items SET status = 'done', closed_at = created_at WHERE id = '` + itemID + `'`,
			func(m map[string]*record.Record) {
				a := item(m[earlierID], itemID)
				a.Status, a.ClosedAt = record.ItemDone, a.CreatedAt
			}},
		{"move an incident 70 days back", `UPDATE incidents SET started_at = started_at - interval '70 days' WHERE id = 'SYN-00000010'`,
			func(m map[string]*record.Record) {
				m["SYN-00000010"].StartedAt = m["SYN-00000010"].StartedAt.Add(-70 * 24 * time.Hour)
			}},
		{"change severity and team", `UPDATE incidents SET severity = 'sev1', team = 'team-000' WHERE id = 'SYN-00000020'`,
			func(m map[string]*record.Record) {
				m["SYN-00000020"].Severity, m["SYN-00000020"].Team = "sev1", "team-000"
			}},
		{"delete an incident others relate to", `DELETE FROM incidents WHERE id = '` + deletedRelated + `'`,
			func(m map[string]*record.Record) { delete(m, deletedRelated) }},
		{"insert a severity outside the exporter's taxonomy", `
			INSERT INTO taxonomy VALUES ('severity', 'sev0');
			INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, origin, detection, status)
			VALUES ('SQL-1', 'sql', '', 't', 'sev0', 'team-001', '2026-05-20T08:00:00Z', '2026-05-20T08:30:00Z', 'unknown', 'internal', 'draft');
			INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, closed_at)
			VALUES ('SQL-1-1', 'SQL-1', 't', 'zoe', 'team-001', '2026-05-20T09:00:00Z', '2026-05-21', 'done', '2026-05-22T09:00:00Z');
			INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, exception, exception_approver)
			VALUES ('SQL-1-2', 'SQL-1', 't', 'zoe', 'team-001', '2026-05-20T09:00:00Z', '2026-06-20', 'open', 'approved', 'cto')`,
			func(m map[string]*record.Record) {
				m["SQL-1"] = &record.Record{ID: "SQL-1", Title: "t", Severity: "sev0", Team: "team-001",
					StartedAt: time.Date(2026, 5, 20, 8, 0, 0, 0, time.UTC), DetectedAt: time.Date(2026, 5, 20, 8, 30, 0, 0, time.UTC),
					Origin: "unknown", Detection: "internal", Status: record.StatusDraft,
					ActionItems: []record.ActionItem{{ID: "SQL-1-1", Title: "t", Owner: "zoe", Team: "team-001",
						CreatedAt: time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC), Due: time.Date(2026, 5, 21, 0, 0, 0, 0, time.UTC),
						Status: record.ItemDone, ClosedAt: time.Date(2026, 5, 22, 9, 0, 0, 0, time.UTC)},
						{ID: "SQL-1-2", Title: "t", Owner: "zoe", Team: "team-001", CreatedAt: time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC),
							Due: time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC), Status: record.ItemOpen, Exception: "approved", ExceptionApprover: "cto"}}}
			}},
		{"log an item after its due day", fmt.Sprintf(`INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, closed_at)
			VALUES ('%s', '%s', 't', 'zoe', '%s', '2025-12-26T10:00:00Z', '2025-12-10', 'done', '2025-12-27T09:00:00Z')`,
			loggedItem.ID, loggedLate.ID, loggedLate.Team),
			func(m map[string]*record.Record) {
				m[loggedLate.ID].ActionItems = append(m[loggedLate.ID].ActionItems, loggedItem)
			}},
		{"add and remove services", `INSERT INTO incident_services VALUES ('SYN-00000030', 'billing');
			DELETE FROM incident_services WHERE incident_id = 'SYN-00000031'`,
			func(m map[string]*record.Record) {
				m["SYN-00000030"].Services = append(m["SYN-00000030"].Services, "billing")
				m["SYN-00000031"].Services = nil
			}},
		{"reopen a done item and delete another", `UPDATE action_items SET status = 'open', closed_at = NULL WHERE id = 'SYN-00000040-1';
			DELETE FROM action_items WHERE id = 'SYN-00000041-2'`,
			func(m map[string]*record.Record) {
				a := item(m["SYN-00000040"], "SYN-00000040-1")
				a.Status, a.ClosedAt = record.ItemOpen, time.Time{}
				m["SYN-00000041"].ActionItems = slices.DeleteFunc(m["SYN-00000041"].ActionItems,
					func(a record.ActionItem) bool { return a.ID == "SYN-00000041-2" })
			}},
	}
}

// diffLines lists the lines only one of two expositions has.
func diffLines(got, want string) string {
	var out strings.Builder
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	for _, l := range gotLines {
		if !slices.Contains(wantLines, l) {
			out.WriteString("postgres only: " + l + "\n")
		}
	}
	for _, l := range wantLines {
		if !slices.Contains(gotLines, l) {
			out.WriteString("records only:  " + l + "\n")
		}
	}
	return out.String()
}

// TestBucketsAndBlocksMatchGo checks that the SQL that fills the rollups
// puts durations in the snapshot's histogram buckets and days in the
// blocks the refresh reads.
func TestBucketsAndBlocksMatchGo(t *testing.T) {
	pg := pgtest.Database(t)
	ctx := context.Background()
	for _, c := range []struct {
		function string
		bounds   []float64
	}{
		{"postmortem_duration_bucket", snapshot.IncidentDurationBuckets},
		{"postmortem_completion_bucket", snapshot.CompletionBuckets},
	} {
		for _, bound := range c.bounds {
			for _, seconds := range []float64{bound - 0.5, bound, bound + 0.000001} {
				h := snapshot.NewHistogram(c.bounds)
				h.Observe(seconds)
				want := slices.Index(h.Counts, 1)
				var got int
				if err := pg.QueryRow(ctx, `SELECT `+c.function+`($1)`, seconds).Scan(&got); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s(%v) = %d, the snapshot's bucket is %d", c.function, seconds, got, want)
				}
			}
		}
	}
	for day := -130; day <= 130; day++ {
		rows, err := pg.Query(ctx, `SELECT span, first_day FROM postmortem_blocks($1) ORDER BY span DESC`, day)
		if err != nil {
			t.Fatal(err)
		}
		var got []block
		var b block
		if _, err := pgx.ForEachRow(rows, []any{&b.span, &b.firstDay}, func() error { got = append(got, b); return nil }); err != nil {
			t.Fatal(err)
		}
		var want []block
		for _, span := range blockSpans {
			// The block of this span that coverDays would use for the day.
			want = append(want, coverDays(day-floorMod(day, span), day-floorMod(day, span)+span)[0])
		}
		if !slices.Equal(got, want) {
			t.Fatalf("day %d: SQL blocks %v, Go blocks %v", day, got, want)
		}
	}
}

// TestCoverDays checks that the blocks cover exactly the days asked for,
// each aligned to its span, and that long stretches take few blocks.
func TestCoverDays(t *testing.T) {
	for from := -70; from < 70; from += 3 {
		for to := from; to < from+400; to += 7 {
			blocks := coverDays(from, to)
			day := from
			for _, b := range blocks {
				if b.firstDay != day || floorMod(b.firstDay, b.span) != 0 {
					t.Fatalf("[%d, %d): block %v does not follow day %d aligned", from, to, b, day)
				}
				day += b.span
			}
			if day != to {
				t.Fatalf("[%d, %d): blocks end at %d", from, to, day)
			}
			if len(blocks) > 7+7+7+7+(to-from)/64 {
				t.Fatalf("[%d, %d): %d blocks", from, to, len(blocks))
			}
		}
	}
}

// TestSegmentsMatchWindows checks that the segment rollupSums corrects
// for an instant is added to exactly the windows that hold the instant:
// an incident at the edge of a window belongs to it, or not, as for
// files. The instants are each window's start and the snapshot's instant,
// a microsecond either side, and a day in the future.
func TestSegmentsMatchWindows(t *testing.T) {
	asOf := time.Date(2026, time.June, 1, 12, 30, 0, 0, time.UTC)
	day := 24 * time.Hour
	windows := []snapshot.Window{{Name: "36h", Length: 36 * time.Hour}, {Name: "30d", Length: 30 * day},
		{Name: "also 30d", Length: 30 * day}, {Name: "365d", Length: 365 * day}}
	p := newPlan(asOf, windows)
	instants := []time.Time{asOf.Add(day)}
	for _, start := range append([]time.Time{asOf}, asOf.Add(-36*time.Hour), asOf.Add(-30*day), asOf.Add(-365*day)) {
		instants = append(instants, start.Add(-time.Microsecond), start, start.Add(time.Microsecond))
	}
	for _, at := range instants {
		i := p.segmentOf(at)
		for _, w := range windows {
			added := i >= 0 && w.Length >= p[i].sinceAsOf
			if want := w.Contains(at, asOf); added != want {
				t.Errorf("%s: in window %s: %v, added to it: %v (segment %d)", at, w.Name, want, added, i)
			}
		}
	}
}
