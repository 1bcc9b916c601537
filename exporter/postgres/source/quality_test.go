package source

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestStoredFindings: import stores the examples' findings with their
// incidents; a refresh leaves out the rules serve turns off, and the
// findings of an incident it finds invalid; a re-import with the cause
// fixed replaces them.
func TestStoredFindings(t *testing.T) {
	pg, records := pgtest.ImportExamples(t)
	ctx := context.Background()
	// The examples' 11 warnings (examples/quality_test.go works them out).
	if n := pgtest.Count(t, pg, `SELECT count(*) FROM quality_findings`); n != 11 {
		t.Fatalf("%d findings stored, want 11", n)
	}
	opts := snapshot.Options{Windows: []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, TopServices: 5, OverdueItemsLimit: 5}
	findings := func(quality record.Quality, tax record.Taxonomy) map[snapshot.TeamValue]int {
		t.Helper()
		src := &Source{Pool: pg, Limits: record.DefaultLimits(), Options: opts, StatementTimeout: 10 * time.Second, Logger: slog.Default()}
		s, err := src.Snapshot(ctx, time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC), record.Config{Taxonomy: tax, Quality: quality})
		if err != nil {
			t.Fatal(err)
		}
		return s.Findings
	}
	barRaiser := snapshot.TeamValue{Team: "identity", Value: record.RuleBarRaiser}
	size := snapshot.TeamValue{Team: "platform", Value: record.RuleActionItemSize}
	if got := findings(record.Quality{}, record.DefaultTaxonomy()); got[barRaiser] != 2 || got[size] != 1 {
		t.Errorf("default rules: %v; want identity bar_raiser 2, platform action_item_size 1", got)
	}
	off := record.DefaultQuality()
	off.Severity[record.RuleBarRaiser] = record.SeverityOff
	if got := findings(off, record.DefaultTaxonomy()); got[barRaiser] != 0 || got[size] != 1 {
		t.Errorf("bar_raiser off: %v; want no bar_raiser, platform action_item_size 1", got)
	}
	// Without sev4 in the taxonomy PM-2026-030 (identity, sev4, no bar
	// raiser) is invalid: its finding goes with it.
	tax := record.DefaultTaxonomy()
	tax.Severities = slices.DeleteFunc(tax.Severities, func(s string) bool { return s == "sev4" })
	if got := findings(record.Quality{}, tax); got[barRaiser] != 1 {
		t.Errorf("with PM-2026-030 invalid: identity bar_raiser %d, want 1", got[barRaiser])
	}
	// PM-2026-030 gains a bar raiser: the re-import replaces its findings.
	for _, r := range records {
		if r.ID == "PM-2026-030" {
			r.BarRaiser = "ruth"
			res := record.Check([]*record.Record{r.Record}, nil, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()})
			if _, err := store.Import(ctx, pg, pgtest.Examples(t), res.ValidChecked(), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := findings(record.Quality{}, record.DefaultTaxonomy()); got[barRaiser] != 1 {
		t.Errorf("after the fix: identity bar_raiser %d, want 1", got[barRaiser])
	}
}
