package collectors_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testprovider"
)

// TestPullFindingsPublished: the pull_finding rule has its series only
// while a record carries a pull_findings entry: then every team with a
// finding has one (1 for the pulled record's team, 0 for the other).
func TestPullFindingsPublished(t *testing.T) {
	const pulled = `---
id: PM-1
title: Pulled from PagerDuty
severity: sev2
team: alpha
started_at: 2026-02-20T10:00:00Z
detected_at: 2026-02-20T10:05:00Z
origin: unknown
detection: automated
status: draft
pull_findings:
  - field: origin
    value: unknown
    reason: not provided by pagerduty
---
`
	const other = `---
id: PM-2
title: Published without a bar raiser
severity: sev3
team: beta
started_at: 2026-02-21T10:00:00Z
detected_at: 2026-02-21T10:05:00Z
resolved_at: 2026-02-21T11:00:00Z
origin: code_change
resolution: rollback
detection: internal
status: published
published_at: 2026-02-22T10:00:00Z
---
`
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"with a pulled record", map[string]string{"a.md": pulled, "b.md": other},
			`postmortem_quality_findings{rule="pull_finding",team="alpha"} 1` + "\n" + `postmortem_quality_findings{rule="pull_finding",team="beta"} 0`},
		{"without", map[string]string{"b.md": other}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var records []*record.Record
			var problems []record.Problem
			for name, text := range c.files {
				r, ps := files.Parse(name, []byte(text))
				records, problems = append(records, r), append(problems, ps...)
			}
			tax := record.DefaultTaxonomy()
			res := record.Check(records, problems, record.Rules{Taxonomy: tax, Limits: record.DefaultLimits(), Now: asOf})
			snap := snapshot.FromRecords("files", res, asOf, snapshot.Options{
				Windows: []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Taxonomy: tax, Severities: tax.Severities,
				Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 1, Location: time.UTC},
			})
			reg := registry(t, testprovider.Fixed{Snapshot: snap, Status: refresh.Status{Source: "files", Up: true, LastSuccess: asOf}})
			n, err := testutil.GatherAndCount(reg, collectors.MetricQualityFindings)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			mfs, _ := reg.Gather()
			for _, mf := range mfs {
				if mf.GetName() != collectors.MetricQualityFindings {
					continue
				}
				for _, m := range mf.GetMetric() {
					labels := map[string]string{}
					for _, l := range m.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					if labels["rule"] == record.RulePullFinding {
						got = append(got, fmt.Sprintf(`postmortem_quality_findings{rule="pull_finding",team=%q} %g`, labels["team"], m.GetGauge().GetValue()))
					}
				}
			}
			if strings.Join(got, "\n") != c.want {
				t.Errorf("pull_finding series (of %d findings series):\n%s\nwant:\n%s", n, strings.Join(got, "\n"), c.want)
			}
		})
	}
}
