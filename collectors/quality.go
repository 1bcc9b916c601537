package collectors

import (
	"cmp"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	findingsDesc = newDesc(MetricQualityFindings,
		"Findings of the quality rules on the served post-mortems, by the record's team and rule (docs/quality.md); their incidents are counted as usual.",
		[]string{LabelTeam, LabelRule})
	learningsDesc = newDesc(MetricLearnings,
		"Learnings written in the post-mortems of the incidents started in the window: kept and counted, never action items. By team with --metrics.detail, else the team label is empty.",
		[]string{LabelWindow, LabelTeam}, emptyUnless(LabelTeam, withDetail))
	publicationDelayDesc = newDesc(MetricPublicationDelay,
		"Time from resolved_at to published_at of the published post-mortems of the incidents started in the window: is the review process keeping up. By team with --metrics.detail, else the team label is empty.",
		[]string{LabelWindow, LabelTeam}, histogramOf(snapshot.PublicationBuckets), emptyUnless(LabelTeam, withDetail))
	repeatsAfterFixDesc = newDesc(MetricRepeatIncidentsAfterFix,
		"Incidents started in the window that repeat an earlier incident whose action items were all done or declined when they started: the fix did not work.",
		[]string{LabelWindow, LabelTeam})
	repeatInfoDesc = newDesc(MetricRepeatIncidentInfo,
		"Always 1: which incident repeats which, for the incidents started in the longest window, the latest first, up to the limit; fix is done (the earlier items were all closed: the fix did not work) or open (the fix was not done).",
		[]string{LabelIncident, LabelTeam, LabelRepeats, LabelFix},
		listedUpTo(func(b bounds) int { return cmp.Or(b.opts.RepeatsLimit, snapshot.DefaultRepeatsLimit) }))
	repeatsDroppedDesc = newDesc(MetricRepeatIncidentsDropped,
		"Repeats left out of "+MetricRepeatIncidentInfo+" by the series limit.", nil)
)

// rulesPublished are the rules with a findings series: tracker_drift only
// where the items' tickets are synced, and pull_finding only where a
// pulled record has one, so that neither costs series (200 each at 200
// teams) to an exporter that does not use them.
func rulesPublished(trackers, pulled bool) []string {
	rules := record.RuleNames()
	return slices.DeleteFunc(rules, func(r string) bool {
		return r == record.RuleTrackerDrift && !trackers || r == record.RulePullFinding && !pulled
	})
}

// pulledFindings reports whether a record of s has a pull_finding.
func pulledFindings(s *snapshot.Snapshot) bool {
	for k, n := range s.Findings {
		if k.Value == record.RulePullFinding && n > 0 {
			return true
		}
	}
	return false
}

// qualityCollector publishes the quality bar: findings, learnings, the
// time to publish and the repeats.
type qualityCollector struct{}

func (qualityCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	// Every team with a finding has a series for every rule, so that a
	// fixed finding goes to 0 instead of vanishing.
	teams := map[string]bool{}
	for k := range s.Findings {
		teams[k.Team] = true
	}
	rules := rulesPublished(s.Trackers, pulledFindings(s))
	for team := range teams {
		for _, rule := range rules {
			gauge(ch, findingsDesc, float64(s.Findings[snapshot.TeamValue{Team: team, Value: rule}]), team, rule)
		}
	}
	for i, w := range s.Windows {
		name := w.Window.Name
		// By team only with --metrics.detail (the series budget); else
		// summed over the teams, the team label empty.
		learnings := map[string]int{}
		delays := map[string]*snapshot.Histogram{}
		for k, st := range w.Incidents {
			team := ""
			if s.Detail {
				team = k.Team
			}
			learnings[team] += st.Learnings
			h, ok := delays[team]
			if !ok {
				nh := snapshot.NewHistogram(snapshot.PublicationBuckets)
				h = &nh
				delays[team] = h
			}
			h.Add(st.PublicationDelay)
		}
		for team, n := range learnings {
			gauge(ch, learningsDesc, float64(n), name, team)
			histogram(ch, publicationDelayDesc, delays[team], name, team)
		}
		if i < len(s.RepeatsAfterFix) {
			for team, n := range s.RepeatsAfterFix[i] {
				gauge(ch, repeatsAfterFixDesc, float64(n), name, team)
			}
		}
	}
	for _, rp := range s.Repeats {
		fix := "open"
		if rp.FixDone {
			fix = "done"
		}
		gauge(ch, repeatInfoDesc, 1, rp.Incident, rp.Team, rp.Earlier, fix)
	}
	gauge(ch, repeatsDroppedDesc, float64(s.RepeatsDropped))
	return nil
}
