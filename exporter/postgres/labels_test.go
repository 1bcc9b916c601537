package postgres

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// TestImportKeepsLongValuesOutOfLabels: import stores a record with an
// over-long service, url and action item owner (field_invalid findings)
// without them, so the PostgreSQL source serves the incident but none of
// the long values: its second service, its url and the item are left out,
// as the file source leaves them out. An over-long team is a problem of
// the incident core: import is never given such a record.
func TestImportKeepsLongValuesOutOfLabels(t *testing.T) {
	pg := startTestDatabase(t)
	ctx := context.Background()
	long := strings.Repeat("q", 4096)
	text := `id: PM-1
title: Checkout down
severity: sev1
team: payments
services: [checkout, ` + long + `]
url: https://wiki.example.com/` + long + `
started_at: 2026-05-20T10:00:00Z
detected_at: 2026-05-20T10:10:00Z
resolved_at: 2026-05-20T13:00:00Z
origin: code_change
resolution: rollback
detection: customer
status: published
published_at: 2026-05-22T10:00:00Z
bar_raiser: bob
action_items:
  - {id: PM-1-1, title: Add a canary stage, owner: ` + long + `, due: 2026-05-25, status: open}
  - {id: PM-1-2, title: Alert on errors, owner: ann, due: 2026-05-25, status: open}
`
	r, problems := files.Parse("pm-1.yaml", []byte(text))
	res := record.Check([]*record.Record{r}, problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()})
	if len(res.Valid) != 1 || len(res.Findings) != 3 {
		t.Fatalf("valid %d, findings %v; want the record valid with 3 findings (service, url, owner)", len(res.Valid), res.Findings)
	}
	if _, err := Import(ctx, pg, exampleSource, res.ValidChecked(), nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pg, `SELECT count(*) FROM incident_services WHERE incident_id = 'PM-1'`); n != 1 {
		t.Errorf("%d services stored, want 1 (checkout)", n)
	}
	if n := count(t, pg, `SELECT count(*) FROM incidents WHERE id = 'PM-1' AND url = ''`); n != 1 {
		t.Errorf("the long url is stored")
	}
	if n := count(t, pg, `SELECT count(*) FROM action_items WHERE incident_id = 'PM-1'`); n != 1 {
		t.Errorf("%d action items stored, want 1 (the one with a short owner)", n)
	}
	if n := count(t, pg, `SELECT count(*) FROM quality_findings`); n != 3 {
		t.Errorf("%d findings stored, want 3", n)
	}
	opts := snapshot.Options{Windows: []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, TopServices: 5, OverdueItemsLimit: 5}
	src := &Source{Pool: pg, Limits: record.DefaultLimits(), Options: opts, StatementTimeout: 10 * time.Second, Logger: slog.Default()}
	s, err := src.Snapshot(ctx, time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC), record.Config{Taxonomy: record.DefaultTaxonomy()})
	if err != nil {
		t.Fatal(err)
	}
	w := s.Windows[0]
	if st := w.Incidents[snapshot.SeverityTeam{Severity: "sev1", Team: "payments"}]; st == nil || st.Count != 1 {
		t.Errorf("incidents of payments: %+v, want 1", st)
	}
	if len(w.Services) != 1 || w.Services["checkout"] != 1 {
		t.Errorf("%d services, checkout %d; want checkout 1 only", len(w.Services), w.Services["checkout"])
	}
	if s.Findings[snapshot.TeamValue{Team: "payments", Value: record.RuleFieldInvalid}] != 3 {
		t.Errorf("findings %v, want 3 field_invalid of payments", s.Findings)
	}
}

// TestPlainSQLLabelLengths: the database refuses an over-long label value
// from a writer that is not `import`, naming the table, the incident, the
// column, the length, the limit and its flag; the limits are the ones
// import stored (StoreLabelLimits).
func TestPlainSQLLabelLengths(t *testing.T) {
	pg := startTestDatabase(t)
	ctx := context.Background()
	incident := func(id, team, url string) string {
		return `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, url, started_at, detected_at, origin, detection, status)
			VALUES ('` + id + `', 'sql', '', 't', 'sev2', '` + team + `', '` + url + `', now() - interval '1 day', now() - interval '1 day', 'unknown', 'internal', 'draft')`
	}
	item := func(id, owner, url, approver string) string {
		return `INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, url, exception_approver)
			VALUES ('` + id + `', 'PM-1', 't', '` + owner + `', 'payments', now(), current_date, 'open', '` + url + `', '` + approver + `')`
	}
	if _, err := pg.Exec(ctx, incident("PM-1", "payments", "https://wiki.example.com/pm-1")); err != nil {
		t.Fatal(err)
	}
	long, longURL := strings.Repeat("q", 61440), "https://wiki.example.com/"+strings.Repeat("q", 2024) // 25 + 2024 = 2049 bytes
	for _, tc := range []struct{ sql, want string }{
		{incident("PM-2", long, ""), "incidents: incident PM-2: team is 61440 bytes, longer than the limit of 256 (--records.max-label-length)"},
		{incident(long, "payments", ""), "incidents: incident " + long[:64] + ": id is 61440 bytes"},
		{incident("PM-2", "payments", longURL), "incidents: incident PM-2: url is 2049 bytes, longer than the limit of 2048 (--records.max-url-length)"},
		{`INSERT INTO incident_services VALUES ('PM-1', '` + long + `')`, "incident_services: incident PM-1: service is 61440 bytes"},
		{`INSERT INTO incident_related VALUES ('PM-1', '` + long + `')`, "incident_related: incident PM-1: related_id is 61440 bytes"},
		{item(long, "ann", "", ""), "action_items: incident PM-1: id is 61440 bytes"},
		{item("PM-1-1", long, "", ""), "action_items: incident PM-1: owner is 61440 bytes"},
		{item("PM-1-1", "ann", longURL, ""), "action_items: incident PM-1: url is 2049 bytes, longer than the limit of 2048"},
		{item("PM-1-1", "ann", "", long), "action_items: incident PM-1: exception_approver is 61440 bytes"},
		{`UPDATE incidents SET team = '` + long + `' WHERE id = 'PM-1'`, "incidents: incident PM-1: team is 61440 bytes"},
	} {
		_, err := pg.Exec(ctx, tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.100s: got %v, want %q", tc.sql, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), long[:65]) {
			t.Errorf("the error repeats the whole value: %.200v", err)
		}
	}
	// 256 bytes are accepted; import stores a higher limit, and 300 bytes are.
	if _, err := pg.Exec(ctx, incident("PM-3", long[:256], "")); err != nil {
		t.Errorf("256 bytes refused: %v", err)
	}
	lim := record.DefaultLimits()
	lim.MaxLabelLength = 300
	if err := StoreLabelLimits(ctx, pg, lim); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Exec(ctx, incident("PM-4", long[:300], "")); err != nil {
		t.Errorf("300 bytes refused with a limit of 300: %v", err)
	}
	if _, err := pg.Exec(ctx, incident("PM-5", long[:301], "")); err == nil || !strings.Contains(err.Error(), "301 bytes, longer than the limit of 300") {
		t.Errorf("301 bytes with a limit of 300: %v", err)
	}
}
