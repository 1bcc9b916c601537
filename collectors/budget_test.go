package collectors_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testprovider"
)

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
				r.AcknowledgedAt = r.DetectedAt.Add(2 * time.Minute)
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
	families, err := registry(t, testprovider.Fixed{Snapshot: snap, Status: refresh.Status{Source: "files", Up: true}}).Gather()
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

// budgetOptions are the default settings, as serve reads them from an
// empty environment.
func budgetOptions() snapshot.Options {
	cfg, err := config.FromEnv(map[string]string{}, config.Serve)
	if err != nil {
		panic(err)
	}
	opts, err := cfg.SnapshotOptions(record.DefaultTaxonomy())
	if err != nil {
		panic(err)
	}
	return opts
}

// worstCase returns the snapshot of worstCaseOrg for the given teams.
func worstCase(t *testing.T, teams int, opts snapshot.Options) *snapshot.Snapshot {
	t.Helper()
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	res := record.Check(worstCaseOrg(teams, asOf), nil, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: asOf})
	if len(res.Problems) > 0 {
		t.Fatalf("the synthetic records are invalid: %v", res.Problems[0])
	}
	// Every team has invalid records of every reason too.
	for i := range teams {
		for _, code := range collectors.InvalidReasons {
			res.Problems = append(res.Problems, record.Problem{Path: fmt.Sprintf("bad-%d-%s", i, code), Code: code, Team: fmt.Sprintf("team-%03d", i)})
		}
	}
	return snapshot.FromRecords("files", res, asOf, opts)
}

// TestSeriesBudget checks the defaults stay within the budget at 200
// teams with every label combination filled, and what the opt-in detail
// costs on top.
func TestSeriesBudget(t *testing.T) {
	opts := budgetOptions()
	snap := worstCase(t, 200, opts)
	total, byFamily := seriesCount(t, snap)
	if testing.Verbose() {
		for name, n := range byFamily {
			t.Logf("%7d %s", n, name)
		}
	}
	t.Logf("default: %d series at 200 teams, bound %d", total, collectors.SeriesBound(opts, 200, false))
	if total > collectors.SeriesBudget {
		t.Errorf("the defaults publish %d series at 200 teams, over the budget of %d", total, collectors.SeriesBudget)
	}
	// The bound holds the exporter's own runtime series too, which a
	// scrape of the binary adds to the total above.
	if bound := collectors.SeriesBound(opts, 200, false); bound > collectors.SeriesBudget || bound < total {
		t.Errorf("the bound at 200 teams is %d: it must lie between the %d series filled and the budget of %d", bound, total, collectors.SeriesBudget)
	}
	if snap.PeriodsByTeam || byFamily[collectors.MetricPeriodsByTeam] != 1 {
		t.Errorf("200 teams keep the team on the period metrics by default, over the budget")
	}
	// The worst case must really be filled: every team in every window,
	// severity and period.
	if n := byFamily[collectors.MetricIncidents]; n != 3*4*200 {
		t.Errorf("%d series of %s, want 3 windows × 4 severities × 200 teams", n, collectors.MetricIncidents)
	}
	// The quality bar: by rule over the teams and by team over the rules
	// (the matrix is --metrics.detail's), per window and team, per
	// period and rule, and both lists full.
	for name, want := range map[string]int{
		collectors.MetricQualityFindings:       len(record.QualityRules) - 1, // tracker_drift only with a trackers file
		collectors.MetricTeamQualityFindings:   200,
		collectors.MetricWindowQualityFindings: 3 * 200,
		collectors.MetricPeriodQualityFindings: 13 * (len(record.QualityRules) - 1),
		collectors.MetricPeriodPassing:         13,
		collectors.MetricFindingInfo:           snapshot.DefaultFindingsLimit,
		collectors.MetricPossibleRepeatInfo:    snapshot.DefaultRepeatsLimit,
	} {
		if byFamily[name] != want {
			t.Errorf("%d series of %s, want %d", byFamily[name], name, want)
		}
	}
	if n := byFamily[collectors.MetricRecordsInvalid]; n != len(collectors.InvalidReasons)+collectors.InvalidTeamsLimit {
		t.Errorf("%d series of %s, want a team=\"\" series per reason and the %d pairs of the limit", n, collectors.MetricRecordsInvalid, collectors.InvalidTeamsLimit)
	}
	if n := byFamily[collectors.MetricPeriodIncidents]; n != 13*4 {
		t.Errorf("%d series of %s, want 13 periods × 4 severities", n, collectors.MetricPeriodIncidents)
	}
	opts.Detail = true
	detail, _ := seriesCount(t, worstCase(t, 200, opts))
	opts.Detail, opts.Periods.ByTeam = false, snapshot.TeamsOn
	byTeam, _ := seriesCount(t, worstCase(t, 200, opts))
	t.Logf("with --metrics.detail: %d series; with --periods.by-team=true: %d series", detail, byTeam)
	if detail <= total || byTeam <= total {
		t.Errorf("the opt-in detail adds nothing")
	}
	// A trackers file adds the tracker_drift findings, over the teams
	// (1) and per period (13), and the series of at most 8 trackers, 12
	// each (up, last success, 8 request outcomes, items, stale items):
	// 14 + 96, within the 300 the trackers were given (200 + 96 while the
	// findings were by team and rule by default).
	opts.Periods.ByTeam = snapshot.TeamsAuto
	withTrackers := opts
	withTrackers.Trackers = true
	added := collectors.SeriesBound(withTrackers, 200, false) - collectors.SeriesBound(opts, 200, false)
	t.Logf("with --trackers.file: %d series more at most", added)
	if added != 1+13+8*12 {
		t.Errorf("a trackers file adds %d series at 200 teams, want 1 + 13 + 8 × 12 = 110", added)
	}
}

// TestPeriodTeamsAuto checks --periods.by-team=auto at the edge of its
// limit, derived from the bound formula: with the most teams it allows
// (56 with the defaults), every team-narrowed period metric carries the
// team and the worst case stays within the budget; with one team more,
// they are summed over the teams, again within the budget. The formula
// must really bound the series the collectors publish, and tightly.
func TestPeriodTeamsAuto(t *testing.T) {
	opts := budgetOptions()
	limit := collectors.PeriodTeamsLimit(opts)
	// The bound per team with the team on the periods: per window 3 ×
	// (4 severities + 13 classifications + 5 + 6 + 2 + 4 outcomes due +
	// 1 findings) = 105, per team 4 + 6 + 2 + 4 + 1 findings = 17, per
	// period 13 × (4 + 13 + 4 outcomes + 2 × 3) = 351, repeats after a
	// fix 3: 476. Fixed: 2,304 before the quality bar per window, period
	// and post-mortem (800 overdue items, 100 with an exception and the 2
	// counts of those dropped, 1,067 over all teams, 110 own, 225 of the
	// quality bar over all teams), plus 15 findings per rule, 13 × 15 per
	// period and rule, 13 × 2 published and passing, and 101 + 101
	// listed findings and possible repeats with their dropped counts:
	// 2,742; 3,013 with the 271 series of the time to acknowledge and the
	// custom collector (bound_test.go). (30,000 − 3,013) / 476 = 56.7.
	if limit != 56 {
		t.Errorf("limit = %d teams, want 56", limit)
	}
	for _, c := range []struct {
		teams  int
		byTeam bool
	}{{1, true}, {50, true}, {limit, true}, {limit + 1, false}} {
		snap := worstCase(t, c.teams, opts)
		total, byFamily := seriesCount(t, snap)

		t.Logf("%d teams: %d series, by team %v", c.teams, total, snap.PeriodsByTeam)
		if snap.PeriodsByTeam != c.byTeam || snap.Teams != c.teams {
			t.Errorf("%d teams: by team = %v for %d teams, want %v", c.teams, snap.PeriodsByTeam, snap.Teams, c.byTeam)
		}
		if total > collectors.SeriesBudget {
			t.Errorf("%d teams: %d series, over the budget of %d", c.teams, total, collectors.SeriesBudget)
		}
		// Tight once the overdue items fill their limit (5 teams or
		// more): what the bound keeps for the Go and process metrics and
		// the last refresh success (not in this registry), the medians of
		// the current month (per team for detect and recover, and two
		// quantiles of the four durations per severity), and the repeat
		// list (the worst case lists no repeat).
		slack := collectors.RuntimeSeries + 1 + 2*c.teams + 4*4*2 + snapshot.DefaultRepeatsLimit
		if bound := collectors.SeriesBound(opts, c.teams, c.byTeam); total > bound || snap.OverdueItemsDropped > 0 && bound-total > slack {
			t.Errorf("%d teams: %d series against a bound of %d", c.teams, total, bound)
		}
		// Every panel of the trend dashboard narrows by team: the counts,
		// classifications, items due and the median, sum and count of
		// time to detect and recover, for every team. The current month
		// has no incident yet as of June 1 00:00: no median.
		narrowed := map[string]int{
			collectors.MetricPeriodIncidents: 13 * 4, collectors.MetricPeriodIncidentsByDetection: 13 * 3,
			collectors.MetricPeriodIncidentsByOrigin: 13 * 5, collectors.MetricPeriodIncidentsByResolution: 13 * 5,
			collectors.MetricPeriodActionItemsDue:   13 * 4,
			collectors.MetricPeriodTeamTimeToDetect: 13*3 - 1, collectors.MetricPeriodTeamTimeToRecover: 13*3 - 1,
		}
		for name, perTeam := range narrowed {
			want := perTeam * c.teams
			if !c.byTeam && (name == collectors.MetricPeriodTeamTimeToDetect || name == collectors.MetricPeriodTeamTimeToRecover) {
				want = 0
			} else if !c.byTeam {
				want = perTeam
			}
			if byFamily[name] != want {
				t.Errorf("%d teams: %d series of %s, want %d", c.teams, byFamily[name], name, want)
			}
		}
	}
	// With the team always, past the limit the bound is over the budget.
	if b := collectors.SeriesBound(opts, limit+1, true); b <= collectors.SeriesBudget {
		t.Errorf("the bound with %d teams by team is %d, within the budget: the limit is too low", limit+1, b)
	}
}
