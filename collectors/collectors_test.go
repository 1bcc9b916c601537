package collectors_test

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testprovider"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.prom from the current output")

// asOf is the fixed clock of the golden test.
var asOf = time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)

func fixtureSnapshot(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	folder, err := files.Read(t.Context(), os.DirFS("testdata/records"), "testdata/records", files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tax := record.DefaultTaxonomy()
	res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: tax, Limits: record.DefaultLimits(), Now: time.Now()})
	return snapshot.FromRecords("files", res, asOf, snapshot.Options{
		Windows: []snapshot.Window{
			{Name: "30d", Length: 30 * 24 * time.Hour},
			{Name: "90d", Length: 90 * 24 * time.Hour},
		},
		Taxonomy:          tax,
		PeriodTeamsLimit:  collectors.PeriodTeamsLimit,
		Severities:        tax.Severities,
		TopServices:       2,
		OverdueItemsLimit: 10,
		Periods:           snapshot.PeriodOptions{Unit: snapshot.Month, Count: 3, Location: time.UTC},
	})
}

func registry(t *testing.T, p collectors.Provider) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors.New(p, slog.New(slog.NewTextHandler(io.Discard, nil))))
	return reg
}

// goldenMetrics are every metric of the golden file: all but the collector
// durations, which vary from run to run.
var goldenMetrics = []string{
	collectors.MetricIncidents, collectors.MetricSeverityShare, collectors.MetricIncidentsOpen,
	collectors.MetricIncidentsByDetection, collectors.MetricIncidentsByOrigin, collectors.MetricIncidentsByResolution,
	collectors.MetricIncidentsByService, collectors.MetricRepeatIncidents,
	collectors.MetricTimeToDetect, collectors.MetricTimeToMitigate, collectors.MetricTimeToRecover,
	collectors.MetricTeamTimeToDetect, collectors.MetricTeamTimeToRecover, collectors.MetricTeamActionItemCompletion,
	collectors.MetricMTTD, collectors.MetricMTTM, collectors.MetricMTTR,
	collectors.MetricImpactCustomers, collectors.MetricImpactFailedRequests, collectors.MetricIncidentsDataLoss,
	collectors.MetricSecurityIncidents, collectors.MetricActionItems, collectors.MetricActionItemsOverdue,
	collectors.MetricActionItemsUnowned, collectors.MetricActionItemsExceptions, collectors.MetricActionItemOverdue,
	collectors.MetricActionItemOverdueDrop, collectors.MetricActionItemException, collectors.MetricActionItemExceptionDrop,
	collectors.MetricActionItemCompletion, collectors.MetricActionItemsDue, collectors.MetricReviewsPending, collectors.MetricReviewsPendingAge,
	collectors.MetricRecordsValid, collectors.MetricRecordsInvalid, collectors.MetricRecordsStale,
	collectors.MetricQualityFindings, collectors.MetricLearnings, collectors.MetricPublicationDelay,
	collectors.MetricRepeatIncidentsAfterFix, collectors.MetricRepeatIncidentInfo, collectors.MetricRepeatIncidentsDropped,
	collectors.MetricTeamQualityFindings, collectors.MetricWindowQualityFindings, collectors.MetricPeriodQualityFindings,
	collectors.MetricPeriodPublished, collectors.MetricPeriodPassing, collectors.MetricFindingInfo, collectors.MetricFindingInfoDropped,
	collectors.MetricPossibleRepeatInfo, collectors.MetricPossibleRepeatDropped,
	collectors.MetricPeriodIncidents, collectors.MetricPeriodIncidentsByDetection, collectors.MetricPeriodIncidentsByOrigin,
	collectors.MetricPeriodIncidentsByResolution, collectors.MetricPeriodSecurityIncidents, collectors.MetricPeriodIncidentsDataLoss,
	collectors.MetricPeriodRepeatIncidents, collectors.MetricPeriodTimeToDetect, collectors.MetricPeriodTimeToMitigate,
	collectors.MetricPeriodTimeToRecover, collectors.MetricPeriodActionItemsDue, collectors.MetricPeriodActionItemsCreated,
	collectors.MetricPeriodActionItemsClosed, collectors.MetricPeriodTeamTimeToDetect, collectors.MetricPeriodTeamTimeToRecover,
	collectors.MetricPeriodsByTeam,
	collectors.MetricRefreshDuration, collectors.MetricLastRefreshSuccess, collectors.MetricSourceUp,
	collectors.MetricRefreshErrors, collectors.MetricSnapshotTimestamp, collectors.MetricCollectorSuccess,
}

// TestGolden checks the whole exposition of the fixture records as of
// 2026-03-01T00:00:00Z. Values worth checking by hand (see testdata/records):
//
//	MTTR 30d sev1: A1 2h (7200 s) and B1 24h (86400 s): (7200+86400)/2 = 46800 s.
//	MTTR 90d sev1: A1, A2 4h (14400 s), B1: (7200+14400+86400)/3 = 36000 s.
//	MTTD 30d sev1: A1 10m (600 s), B1 1h (3600 s): (600+3600)/2 = 2100 s.
//	MTTD 90d sev1: A1, A2 30m (1800 s), B1: (600+1800+3600)/3 = 2000 s.
//	MTTD 30d sev2: A3 5m = 300 s; A3 is unresolved, so no sev2 MTTR.
//	MTTM 30d sev1: only A1 was mitigated, 40m = 2400 s.
//	Severity share 30d: A1, B1 sev1 and A3 sev2: 2/3 and 1/3. B2 started
//	before both windows; G1 is invalid (sev9) and its unowned item counts.
//	Overdue: A1-1 due 02-25, overdue since 02-26: 3 days = 259200 s;
//	B1-1 due 02-20, overdue since 02-21: 8 days = 691200 s.
//	A3 repeats A2, whose item A2-1 was open when A3 started.
//	Completion 30d: A1-2 created at A1's published_at 02-22, done 02-27
//	(5 days = 432000 s, on time); B2-1 done 02-01 after its due day (late).
//	Items due in a window are those whose due day ended in it: in 30d the
//	days 01-30 to 02-28 (their ends in (01-30, 03-01]), in 90d 12-01 to
//	02-28. Both: alpha A1-2 on time (done 02-27, due 02-28) and A1-1 open;
//	beta B1-1 open and B1-2 wont_do. B2-1 (due 2025-11-20) is in neither,
//	nor A2-1 and A1-3 (due in March and April).
//	Exceptions: A1-3 is open, listed with its approver vera; B1-2's
//	exception is wont_do, only counted.
//	Quality findings (default rules): bar_raiser alpha 1 (A1 published
//	without one), beta 2 (B1, B2); action_item_size alpha 1 (A2-1 created
//	at A2's detection 01-10T00:30, due 03-10: 59 days > 14), beta 1 (B2-1
//	created at publication 11-05, due 11-20: 15 days; B1-2 is larger but
//	has an exception); security_review alpha 1 (A2 is a security incident
//	without a review). G1 is invalid: its findings are not counted, its
//	invalid_value is counted under team gamma.
//	Publication delay, summed over the teams (by team only with
//	--metrics.detail): A1 resolved 02-20T12:00, published 02-22T00:00: 36h
//	= 129600 s; B1 resolved 02-11, published 02-15: 4 days = 345600 s; in
//	30d and 90d 2 post-mortems, 475200 s.
//	A3 repeats A2 whose item A2-1 was open: fix="open", none after a fix.
//	Period 2026-02 sev1 (A1, B1), exact summaries by linear interpolation:
//	recover median (7200+86400)/2 = 46800, p90 7200 + 0.9·79200 = 78480;
//	detect median (600+3600)/2 = 2100, p90 600 + 0.9·3000 = 3300.
//	A2 started in January: 2026-01 sev1 has its 14400 s alone.
//	Window 90d sev1 recover (7200, 14400, 86400): median 14400, p90 at rank
//	1.8: 14400 + 0.8·72000 = 72000; detect (600, 1800, 3600): 1800 and
//	1800 + 0.8·1800 = 3240. Team alpha 90d recover (7200, 14400): median
//	10800, p90 7200 + 0.9·7200 = 13680.
func TestGolden(t *testing.T) {
	provider := testprovider.Fixed{
		Snapshot: fixtureSnapshot(t),
		Status: refresh.Status{
			Source: "files", Up: true, LastDuration: 250 * time.Millisecond, LastSuccess: asOf,
		},
	}
	reg := registry(t, provider)
	if *update {
		writeGolden(t, reg)
	}
	golden, err := os.Open("testdata/golden.prom")
	if err != nil {
		t.Fatal(err)
	}
	defer golden.Close()
	if err := testutil.GatherAndCompare(reg, golden, goldenMetrics...); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

func writeGolden(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	var out strings.Builder
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() == collectors.MetricCollectorDuration {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&out, mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("testdata/golden.prom", []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNoSnapshotYet checks that before the first refresh only the refresh
// status is published, with the source down.
func TestNoSnapshotYet(t *testing.T) {
	reg := registry(t, testprovider.Fixed{Status: refresh.Status{Source: "files", Errors: 2}})
	want := `
# HELP postmortem_exporter_source_up Whether the last refresh could read the records source (1) or not (0); when 0 the last good snapshot is served.
# TYPE postmortem_exporter_source_up gauge
postmortem_exporter_source_up{source="files"} 0
# HELP postmortem_exporter_refresh_errors_total Refreshes that failed to read the source since the exporter started.
# TYPE postmortem_exporter_refresh_errors_total counter
postmortem_exporter_refresh_errors_total 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), collectors.MetricSourceUp, collectors.MetricRefreshErrors); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(collectors.New(testprovider.Fixed{}, slog.Default()), collectors.MetricIncidents, collectors.MetricMTTR); n != 0 {
		t.Fatalf("got %d incident series before the first snapshot, want none", n)
	}
}
