package collectors_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// SeriesBudget is the most series the exporter may publish with the
// default settings for an organisation of 200 teams (DESIGN: "Scale and
// speed"), whatever the number of incidents and action items.
const SeriesBudget = 30000

// worstCaseOrg returns records that fill every label combination the
// defaults can publish for the given teams: every team has, in every one
// of the last 13 months and in the last 30 days, incidents of every
// severity, detection, origin and resolution, security, data-loss and
// repeat incidents, unpublished post-mortems, and action items of every
// status and outcome, with more overdue items than the overdue limit.
func worstCaseOrg(teams int, asOf time.Time) []*record.Record {
	tax := record.DefaultTaxonomy()
	var records []*record.Record
	for t := range teams {
		team := fmt.Sprintf("team-%03d", t)
		for m := range 14 {
			// 16 incidents a month, the newest 12 hours before asOf, one every
			// two days; the last four (one per severity) unresolved.
			for k := range 16 {
				started := asOf.Add(-12*time.Hour - time.Duration(m*30+k*2)*24*time.Hour)
				r := &record.Record{
					ID: fmt.Sprintf("PM-%s-%02d-%02d", team, m, k), Title: "t", Team: team,
					Severity:   tax.Severities[k%len(tax.Severities)],
					StartedAt:  started,
					DetectedAt: started.Add(time.Duration(1+k) * time.Minute),
					Origin:     tax.Origins[k%len(tax.Origins)], Detection: tax.Detections[k%len(tax.Detections)],
					SecurityIncident: k == 0, Impact: record.Impact{DataLoss: k == 1, CustomersAffected: 10, FailedRequests: 100},
					Services: []string{fmt.Sprintf("svc-%d", (t*15+k)%300)},
					Status:   []string{record.StatusDraft, record.StatusInReview, record.StatusPublished}[k%3],
				}
				r.MitigatedAt = r.DetectedAt.Add(time.Hour)
				if k < 12 {
					r.ResolvedAt, r.Resolution = r.MitigatedAt.Add(time.Duration(k)*time.Hour), tax.Resolutions[k%len(tax.Resolutions)]
				}
				if r.Status == record.StatusPublished {
					if r.ResolvedAt.IsZero() {
						r.Status = record.StatusInReview
					} else {
						r.PublishedAt = r.ResolvedAt.Add(time.Hour)
					}
				}
				if k == 2 && len(records) > 0 {
					r.Related = []string{records[len(records)-1].ID}
				}
				for i, status := range []string{record.ItemOpen, record.ItemDone, record.ItemWontDo} {
					a := record.ActionItem{
						ID: fmt.Sprintf("%s-%d", r.ID, i), Title: "a", Owner: "o", Team: team, Status: status,
						CreatedAt: r.DetectedAt, Due: r.DetectedAt.Truncate(24 * time.Hour).Add(time.Duration(k%3) * 24 * time.Hour),
					}
					if status != record.ItemOpen {
						a.ClosedAt = a.CreatedAt.Add(time.Duration(k) * 12 * time.Hour)
					}
					if k == 3 {
						a.Exception = "approved"
					}
					r.ActionItems = append(r.ActionItems, a)
				}
				records = append(records, r)
			}
		}
		records = append(records, everyFinding(team, asOf))
	}
	for _, r := range records {
		r.Path = r.ID + ".md" // Check tells records apart by path
	}
	return records
}

// everyFinding returns a record of team, started before every window and
// period, that breaks every quality rule: its incident counts nowhere but
// every (team, rule) of postmortem_quality_findings has a series.
func everyFinding(team string, asOf time.Time) *record.Record {
	started := asOf.Add(-500 * 24 * time.Hour)
	r := &record.Record{
		ID: "PM-" + team + "-findings", Title: "t", Team: team, Severity: "sev1", SecurityIncident: true,
		StartedAt: started, DetectedAt: started.Add(time.Minute), ResolvedAt: started.Add(time.Hour), Resolution: "rollback",
		Origin: "unknown", Detection: "internal", Status: record.StatusPublished, PublishedAt: started.Add(20 * 24 * time.Hour),
	}
	for i := range 8 { // more than 7 (action_item_count)
		r.ActionItems = append(r.ActionItems, record.ActionItem{ID: fmt.Sprintf("%s-%d", r.ID, i), Title: "a", Owner: "o",
			Status: record.ItemOpen, CreatedAt: r.PublishedAt, Due: r.PublishedAt.Add(3 * 24 * time.Hour).Truncate(24 * time.Hour)})
	}
	r.ActionItems[0].Owner = ""                                   // action_item_owner
	r.ActionItems[1].Due = time.Time{}                            // action_item_due
	r.ActionItems[2].Due = r.PublishedAt.Add(30 * 24 * time.Hour) // action_item_size
	r.ActionItems[3].Title = "Be careful"                         // action_item_habitual
	r.ActionItems[4].Status = "finished"                          // field_invalid
	return r
}

// seriesCount renders the exporter's metrics as a scrape does and counts
// the samples, one line each.
func seriesCount(t *testing.T, snap *snapshot.Snapshot) (int, map[string]int) {
	t.Helper()
	families, err := registry(t, testenv.FixedProvider{Snapshot: snap, Status: collectors.RefreshStatus{Source: "files", Up: true}}).Gather()
	if err != nil {
		t.Fatal(err)
	}
	total, byFamily := 0, map[string]int{}
	for _, mf := range families {
		var out strings.Builder
		if _, err := expfmt.MetricFamilyToText(&out, mf); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				total++
				byFamily[mf.GetName()]++
			}
		}
	}
	return total, byFamily
}

// TestSeriesBudget checks the defaults stay within the budget at 200
// teams with every label combination filled, and what the opt-in detail
// costs on top.
func TestSeriesBudget(t *testing.T) {
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	tax := record.DefaultTaxonomy()
	res := record.Check(worstCaseOrg(200, asOf), nil, record.Rules{Taxonomy: tax, Limits: record.DefaultLimits(), Now: asOf})
	if len(res.Problems) > 0 {
		t.Fatalf("the synthetic records are invalid: %v", res.Problems[0])
	}
	// Every team has invalid records of every reason too.
	for i := range 200 {
		for _, code := range collectors.InvalidReasons {
			res.Problems = append(res.Problems, record.Problem{Path: fmt.Sprintf("bad-%d-%s", i, code), Code: code, Team: fmt.Sprintf("team-%03d", i)})
		}
	}
	opts := snapshot.Options{
		Windows: []snapshot.Window{
			{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour},
		},
		Severities: tax.Severities, TopServices: 50, OverdueItemsLimit: 1000,
		Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13, Location: time.UTC},
	}
	total, byFamily := seriesCount(t, snapshot.FromRecords("files", res, asOf, opts))
	if testing.Verbose() {
		for name, n := range byFamily {
			t.Logf("%7d %s", n, name)
		}
	}
	t.Logf("default: %d series at 200 teams", total)
	if total > SeriesBudget {
		t.Errorf("the defaults publish %d series at 200 teams, over the budget of %d", total, SeriesBudget)
	}
	// The worst case must really be filled: every team in every window,
	// severity and period.
	if n := byFamily[collectors.MetricIncidents]; n != 3*4*200 {
		t.Errorf("%d series of %s, want 3 windows × 4 severities × 200 teams", n, collectors.MetricIncidents)
	}
	if n := byFamily[collectors.MetricQualityFindings]; n != len(record.QualityRules)*200 {
		t.Errorf("%d series of %s, want every rule × 200 teams", n, collectors.MetricQualityFindings)
	}
	if n := byFamily[collectors.MetricRecordsInvalid]; n != len(collectors.InvalidReasons)+collectors.InvalidTeamsLimit {
		t.Errorf("%d series of %s, want a team=\"\" series per reason and the %d pairs of the limit", n, collectors.MetricRecordsInvalid, collectors.InvalidTeamsLimit)
	}
	if n := byFamily[collectors.MetricPeriodIncidents]; n != 13*4 {
		t.Errorf("%d series of %s, want 13 periods × 4 severities", n, collectors.MetricPeriodIncidents)
	}
	opts.Detail = true
	detail, _ := seriesCount(t, snapshot.FromRecords("files", res, asOf, opts))
	opts.Detail, opts.Periods.ByTeam = false, true
	byTeam, _ := seriesCount(t, snapshot.FromRecords("files", res, asOf, opts))
	t.Logf("with --metrics.detail: %d series; with --periods.by-team: %d series", detail, byTeam)
	if detail <= total || byTeam <= total {
		t.Errorf("the opt-in detail adds nothing")
	}
}
