package files

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testprovider"
)

// labelRecord is a SEV1 of payments whose every label value can be
// replaced: {{id}}, {{team}} and so on. As of 2026-06-01 its first item is
// overdue (postmortem_action_item_overdue_seconds: id, owner, team,
// ticket_url, postmortem_url) and its second is open with an exception
// (postmortem_action_item_exception_info: approver).
const labelRecord = `---
id: {{id}}
title: Checkout down
severity: sev1
team: {{team}}
services: [checkout, {{service}}]
url: {{url}}
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
  - {id: {{item_id}}, title: Add a canary stage, owner: {{owner}}, team: {{item_team}}, due: 2026-05-25, status: open, url: {{item_url}}}
  - {id: PM-1-2, title: Rebuild the pipeline, owner: ann, due: 2026-05-30, status: open, exception: {approver: {{approver}}, reason: a project}}
---
`

// labelDefaults are the sound values of labelRecord's placeholders.
var labelDefaults = map[string]string{
	"id": "PM-1", "team": "payments", "service": "search", "url": "https://wiki.example.com/pm-1",
	"item_id": "PM-1-1", "owner": "ann", "item_team": "payments", "item_url": "https://jira.example.com/PM-1-1", "approver": "carol",
}

// TestLongLabelValues: a 60 KB value (a paste gone wrong) in any field
// that becomes a label is reported on its field and line, with the limit
// and its flag, and no series carries it. An over-long id or team makes
// the record invalid (counted with team=""); an over-long service or url
// is a field_invalid finding and the incident still counts, without the
// value; an over-long action item field leaves the item out of the action
// item metrics while its incident counts.
func TestLongLabelValues(t *testing.T) {
	long := strings.Repeat("q", 60*1024)
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		placeholder, value, field string
		line                      int
		flag                      string
		core                      bool
		openItems                 float64 // postmortem_action_items{team="payments",status="open"}
	}{
		{"id", long, "id", 2, "--records.max-label-length", true, 0},
		{"team", long, "team", 5, "--records.max-label-length", true, 0},
		{"service", long, "services[1]", 6, "--records.max-label-length", false, 2},
		{"url", "https://wiki.example.com/" + long, "url", 7, "--records.max-url-length", false, 2},
		{"item_id", long, "action_items[0].id", 18, "--records.max-label-length", false, 1},
		{"owner", long, "action_items[0].owner", 18, "--records.max-label-length", false, 1},
		{"item_team", long, "action_items[0].team", 18, "--records.max-label-length", false, 1},
		{"item_url", "https://jira.example.com/" + long, "action_items[0].url", 18, "--records.max-url-length", false, 1},
		{"approver", long, "action_items[1].exception.approver", 19, "--records.max-label-length", false, 1},
	} {
		t.Run(tc.placeholder, func(t *testing.T) {
			text := labelRecord
			for k, v := range labelDefaults {
				if k == tc.placeholder {
					v = tc.value
				}
				text = strings.ReplaceAll(text, "{{"+k+"}}", v)
			}
			dir := writeRecords(t, map[string]string{"pm-1.md": text})

			// What validate prints: the field, its line, the limit and the flag.
			folder, err := Read(t.Context(), os.DirFS(dir), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: asOf})
			found := false
			for _, p := range append(res.Problems, res.Findings...) {
				if p.Field == tc.field {
					found = true
					if p.Line != tc.line || p.Code != record.CodeTooLarge || record.IsCore(p) != tc.core ||
						!strings.Contains(p.Message, "bytes, longer than the limit of") || !strings.Contains(p.Message, tc.flag) {
						t.Errorf("got %.200s; want line %d, too_large, core %v, the limit and %s", p.String(), tc.line, tc.core, tc.flag)
					}
				}
			}
			if !found {
				t.Errorf("no problem on %s", tc.field)
			}

			// What Prometheus scrapes.
			src := &Source{FS: os.DirFS(dir), Dir: dir, Limits: record.DefaultLimits(), Options: snapshot.Options{
				Windows:    []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}},
				Severities: record.DefaultTaxonomy().Severities, TopServices: 5, OverdueItemsLimit: 5, ExceptionItemsLimit: 5,
			}}
			snap, err := src.Snapshot(t.Context(), asOf, record.Config{Taxonomy: record.DefaultTaxonomy()})
			if err != nil {
				t.Fatal(err)
			}
			series := gatherSeries(t, snap)
			for s := range series {
				if strings.Contains(s, "qqqqqqqq") {
					t.Fatalf("a series carries the long value: %.200s", s)
				}
			}
			want := map[string]float64{
				`postmortem_incidents{severity="sev1",team="payments",window="30d"}`:    1,
				`postmortem_records_invalid{reason="too_large",source="files",team=""}`: 0,
				`postmortem_action_items{status="open",team="payments"}`:                tc.openItems,
				`postmortem_incidents_by_service{service="checkout",window="30d"}`:      1,
			}
			if tc.core {
				delete(want, `postmortem_incidents{severity="sev1",team="payments",window="30d"}`)
				delete(want, `postmortem_incidents_by_service{service="checkout",window="30d"}`)
				team := labelDefaults["team"]
				if tc.placeholder == "team" {
					team = "" // the record's team is the long value: counted as unknown
				}
				want[`postmortem_records_invalid{reason="too_large",source="files",team="`+team+`"}`] = 1
			} else {
				want[`postmortem_quality_findings{rule="field_invalid",team=""}`] = 1 // summed over the teams without --metrics.detail
			}
			for s, v := range want {
				if got, ok := series[s]; !ok && v != 0 || got != v {
					t.Errorf("%s = %g (published %v), want %g", s, got, ok, v)
				}
			}
		})
	}
}

// gatherFamilies scrapes a snapshot through the collectors, as the
// exporter serves it.
func gatherFamilies(t *testing.T, snap *snapshot.Snapshot) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors.New(testprovider.Fixed{Snapshot: snap, Status: refresh.Status{Source: SourceName, Up: true}},
		slog.New(slog.NewTextHandler(io.Discard, nil))))
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	return families
}

// gatherSeries scrapes a snapshot through the collectors: every series,
// as name{labels sorted by name}, with its gauge value.
func gatherSeries(t *testing.T, snap *snapshot.Snapshot) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, mf := range gatherFamilies(t, snap) {
		for _, m := range mf.GetMetric() {
			out[seriesName(mf.GetName(), m.GetLabel())] = m.GetGauge().GetValue()
		}
	}
	return out
}

func seriesName(name string, labels []*dto.LabelPair) string {
	pairs := make([]string, len(labels))
	for i, l := range labels {
		pairs[i] = l.GetName() + "=" + `"` + l.GetValue() + `"`
	}
	return name + "{" + strings.Join(pairs, ",") + "}"
}
