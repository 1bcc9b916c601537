package source

import (
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
)

// TestAcknowledgeAndCustomFromBothSources: the time to acknowledge and
// the breakdown by custom field of the examples, as of 2026-06-01, are the
// same from files and from PostgreSQL, and are the values worked out by
// hand from the five examples that carry acknowledged_at and custom:
//
//	PM checkout 500s    sev2 started 05-20 14:02, acked 14:12:  600 s  Root cause type: Deploy
//	autoscaler stuck    sev1 started 05-12 03:10, acked 03:19:  540 s  Root cause type: Capacity
//	indexer crash loop  sev2 started 05-29 16:20, acked 16:50: 1800 s  Root cause type: Deploy
//	MFA SMS delays      sev3 started 05-03 07:00, acked 07:40: 2400 s  vendor ticket: 4711
//	gateway rate limit  sev2 started 04-14 10:05, acked 10:20:  900 s  Root cause type: Config
//
// The 30d window starts 2026-05-02: sev2 has 600 and 1800 s, median
// 1200, p90 600 + 0.9 × 1200 = 1680, sum 2400, mean 1200. The 90d window
// adds 900 s: median 900, p90 at rank 1.8 = 900 + 0.8 × 900 = 1620, sum
// 3300, mean 1100. With one value per field kept (--metrics.custom-top=1),
// Deploy (2) leads and the rest is "other": 1 in 30d (Capacity), 2 in 90d
// (Capacity, Config); "Root cause" is named but no record has it.
func TestAcknowledgeAndCustomFromBothSources(t *testing.T) {
	pg, _ := pgtest.ImportExamples(t)
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	tax := record.DefaultTaxonomy()
	opts := snapshot.Options{
		Windows:    []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}},
		Severities: tax.Severities, TopServices: 3, OverdueItemsLimit: 3,
		CustomLabels: []string{"Root cause type", "vendor ticket", "Root cause"}, TopCustomValues: 1,
		Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 3, Location: time.UTC},
	}
	fromFiles, fromDB := examplesFromBoth(t, pg, opts, asOf, tax)
	requireQualityDetail(t, fromFiles, fromDB)
	want, got := exposition(t, fromFiles), exposition(t, fromDB)
	if got != want {
		t.Fatalf("postgres and files disagree:\n%s", diffLines(got, want))
	}
	for _, line := range []string{
		collectors.MetricTimeToAcknowledge + `{severity="sev2",window="30d",quantile="0.5"} 1200`,
		collectors.MetricTimeToAcknowledge + `{severity="sev2",window="30d",quantile="0.9"} 1680`,
		collectors.MetricTimeToAcknowledge + `_sum{severity="sev2",window="30d"} 2400`,
		collectors.MetricTimeToAcknowledge + `_count{severity="sev2",window="30d"} 2`,
		collectors.MetricTimeToAcknowledge + `{severity="sev2",window="90d",quantile="0.5"} 900`,
		collectors.MetricTimeToAcknowledge + `{severity="sev2",window="90d",quantile="0.9"} 1620`,
		collectors.MetricTimeToAcknowledge + `_sum{severity="sev2",window="90d"} 3300`,
		collectors.MetricTimeToAcknowledge + `_count{severity="sev1",window="30d"} 1`,
		collectors.MetricTimeToAcknowledge + `_sum{severity="sev3",window="30d"} 2400`,
		collectors.MetricMTTA + `{severity="sev2",window="30d"} 1200`,
		collectors.MetricMTTA + `{severity="sev2",window="90d"} 1100`,
		collectors.MetricPeriodTimeToAcknowledge + `_sum{period="2026-05",severity="sev2"} 2400`,
		collectors.MetricPeriodTimeToAcknowledge + `_sum{period="2026-04",severity="sev2"} 900`,
		collectors.MetricIncidentsByCustom + `{key="Root cause type",value="Deploy",window="30d"} 2`,
		collectors.MetricIncidentsByCustom + `{key="Root cause type",value="other",window="30d"} 1`,
		collectors.MetricIncidentsByCustom + `{key="Root cause type",value="other",window="90d"} 2`,
		collectors.MetricIncidentsByCustom + `{key="vendor ticket",value="4711",window="90d"} 1`,
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("missing %s", line)
		}
	}
	if strings.Contains(got, `key="Root cause"`) || strings.Contains(got, `key="customer facing"`) {
		t.Errorf("a custom field without a record, or not configured, has a series")
	}
}
