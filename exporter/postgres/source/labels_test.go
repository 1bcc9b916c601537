package source

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestImportKeepsLongValuesOutOfLabels: import stores a record with an
// over-long service, url and action item owner (field_invalid findings)
// without them, so the PostgreSQL source serves the incident but none of
// the long values: its second service, its url and the item are left out,
// as the file source leaves them out. An over-long team is a problem of
// the incident core: import is never given such a record.
func TestImportKeepsLongValuesOutOfLabels(t *testing.T) {
	pg := pgtest.Database(t)
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
moderator: mia
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
	if _, err := store.Import(ctx, pg, pgtest.Examples(t), res.ValidChecked(), nil); err != nil {
		t.Fatal(err)
	}
	if n := pgtest.Count(t, pg, `SELECT count(*) FROM incident_services WHERE incident_id = 'PM-1'`); n != 1 {
		t.Errorf("%d services stored, want 1 (checkout)", n)
	}
	if n := pgtest.Count(t, pg, `SELECT count(*) FROM incidents WHERE id = 'PM-1' AND url = ''`); n != 1 {
		t.Errorf("the long url is stored")
	}
	if n := pgtest.Count(t, pg, `SELECT count(*) FROM action_items WHERE incident_id = 'PM-1'`); n != 1 {
		t.Errorf("%d action items stored, want 1 (the one with a short owner)", n)
	}
	if n := pgtest.Count(t, pg, `SELECT count(*) FROM quality_findings`); n != 3 {
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
