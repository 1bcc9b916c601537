package collectors_test

import (
	"bytes"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testprovider"
)

// TestDescribeListsEveryMetric checks that the Exporter is a checked
// collector: every sample it collects has a descriptor it described, so the
// registry checks them and a name collision fails at registration.
func TestDescribeListsEveryMetric(t *testing.T) {
	exp := collectors.New(testprovider.Fixed{Snapshot: fixtureSnapshot(t), Status: refresh.Status{Source: "files", Up: true}},
		slog.New(slog.DiscardHandler))
	descs := make(chan *prometheus.Desc)
	go func() { exp.Describe(descs); close(descs) }()
	described := map[string]bool{}
	for d := range descs {
		described[d.String()] = true
	}
	metrics := make(chan prometheus.Metric)
	go func() { exp.Collect(metrics); close(metrics) }()
	n := 0
	for m := range metrics {
		n++
		if !described[m.Desc().String()] {
			t.Errorf("collected but not described: %s", m.Desc())
		}
	}
	if n == 0 {
		t.Fatal("nothing collected from the fixture")
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(exp); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("pedantic gather: %v", err)
	}
}

// TestFailingCollectorHidesNoOther breaks one value of a collector's input
// at a time: that collector says 0 in postmortem_exporter_collector_success
// and 1 in postmortem_exporter_collector_samples_refused, the error is
// logged, the broken series is left out, and every other series, of that
// collector and of the others, is published as usual. Before, the whole
// collector went dark: after a reload that narrowed the taxonomy, one
// stale sev0 record hid every incident count and share.
func TestFailingCollectorHidesNoOther(t *testing.T) {
	for _, c := range []struct {
		collector string
		its       []string // metrics of the failing collector, still published
		gone      string   // the refused series, as the exposition writes it
		refused   float64  // how many samples are refused
		breakIt   func(*snapshot.Snapshot)
		logged    string
	}{
		{
			collector: "action_items",
			its:       []string{collectors.MetricActionItems, collectors.MetricActionItemsOverdue, collectors.MetricActionItemOverdue},
			gone:      `postmortem_action_items_overdue{team="ghost"}`,
			refused:   1,
			breakIt:   func(s *snapshot.Snapshot) { s.OverdueByTeam["ghost"] = -1 },
			logged:    `postmortem_action_items_overdue{team=\"ghost\"} would be -1`,
		},
		{
			collector: "durations",
			its:       []string{collectors.MetricTimeToRecover, collectors.MetricMTTR, collectors.MetricMTTD},
			refused:   1,
			breakIt: func(s *snapshot.Snapshot) {
				s.Detail = true // the per-team histograms are published only then
				for _, st := range s.Windows[0].Incidents {
					h := &st.TimeToRecover
					h.Counts[len(h.Counts)-1]-- // an unmatched take-back: 0 wraps around to 2^64−1
					return
				}
			},
			logged: "bucket le=+Inf holds -1 observations",
		},
		{
			collector: "periods",
			its:       []string{collectors.MetricPeriodIncidents, collectors.MetricPeriodTimeToRecover},
			refused:   1,
			breakIt: func(s *snapshot.Snapshot) {
				s.Periods[len(s.Periods)-2].BySeverity["sev1"][snapshot.TimeToRecover].Quantiles[0.5] = math.NaN()
			},
			logged: `postmortem_period_time_to_recover_seconds{period=\"2026-02\",severity=\"sev1\"} would hold NaN`,
		},
		{
			collector: "incidents",
			its:       []string{collectors.MetricIncidents, collectors.MetricSeverityShare, collectors.MetricIncidentsByOrigin},
			gone:      `postmortem_severity_share_ratio{severity="sev2"`,
			refused:   2,                                                              // the share of sev2 in each window, 30d and 90d
			breakIt:   func(s *snapshot.Snapshot) { s.Severities = []string{"sev1"} }, // the fixture has sev2 incidents too
			logged:    `severity \"sev2\" is not in the snapshot's taxonomy`,
		},
	} {
		t.Run(c.collector, func(t *testing.T) {
			snap := fixtureSnapshot(t)
			c.breakIt(snap)
			var logs bytes.Buffer
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(collectors.New(testprovider.Fixed{Snapshot: snap, Status: refresh.Status{Source: "files", Up: true}},
				slog.New(slog.NewJSONHandler(&logs, nil))))
			families, err := reg.Gather()
			if err != nil {
				t.Fatalf("gather: %v", err)
			}
			byName := map[string]*dto.MetricFamily{}
			for _, mf := range families {
				byName[mf.GetName()] = mf
			}
			for _, name := range c.its {
				if byName[name] == nil {
					t.Errorf("%s is missing: one refused value darkened its collector", name)
				}
			}
			var exposition strings.Builder
			for _, mf := range families {
				if _, err := expfmt.MetricFamilyToText(&exposition, mf); err != nil {
					t.Fatal(err)
				}
			}
			if c.gone != "" && strings.Contains(exposition.String(), c.gone) {
				t.Errorf("the refused series %s is published", c.gone)
			}
			refused := byName[collectors.MetricCollectorRefused]
			for _, m := range refused.GetMetric() {
				name, v := m.GetLabel()[0].GetValue(), m.GetGauge().GetValue()
				if want := map[bool]float64{true: c.refused, false: 0}[name == c.collector]; v != want {
					t.Errorf("collector_samples_refused{collector=%q} = %v, want %v", name, v, want)
				}
			}
			for _, name := range []string{collectors.MetricRecordsValid, collectors.MetricReviewsPending, collectors.MetricImpactCustomers} {
				if byName[name] == nil {
					t.Errorf("%s, of a collector that did not fail, is missing", name)
				}
			}
			success := byName[collectors.MetricCollectorSuccess]
			if success == nil || len(success.GetMetric()) < 7 {
				t.Fatalf("collector_success: %v", success)
			}
			for _, m := range success.GetMetric() {
				name, v := m.GetLabel()[0].GetValue(), m.GetGauge().GetValue()
				if want := map[bool]float64{true: 0, false: 1}[name == c.collector]; v != want {
					t.Errorf("collector_success{collector=%q} = %v, want %v", name, v, want)
				}
			}
			if !strings.Contains(logs.String(), `"collector":"`+c.collector+`"`) || !strings.Contains(logs.String(), c.logged) {
				t.Errorf("the log does not say the %s collector failed with %q:\n%s", c.collector, c.logged, logs.String())
			}
		})
	}
}
