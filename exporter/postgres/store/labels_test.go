package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestPlainSQLLabelLengths: the database refuses an over-long label value
// from a writer that is not `import`, naming the table, the incident, the
// column, the length, the limit and its flag; the limits are the ones
// import stored (store.StoreLabelLimits).
func TestPlainSQLLabelLengths(t *testing.T) {
	pg := pgtest.Database(t)
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
	if err := store.StoreLabelLimits(ctx, pg, lim); err != nil {
		t.Fatal(err)
	}
	if _, err := pg.Exec(ctx, incident("PM-4", long[:300], "")); err != nil {
		t.Errorf("300 bytes refused with a limit of 300: %v", err)
	}
	if _, err := pg.Exec(ctx, incident("PM-5", long[:301], "")); err == nil || !strings.Contains(err.Error(), "301 bytes, longer than the limit of 300") {
		t.Errorf("301 bytes with a limit of 300: %v", err)
	}
}
