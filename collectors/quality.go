package collectors

import (
	"cmp"
	"slices"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	findingsDesc = newDesc(MetricQualityFindings,
		"Findings of the quality rules on the served post-mortems by rule (docs/quality.md); their incidents are counted as usual. By the record's team with --metrics.detail, else the team label is empty.",
		[]string{LabelTeam, LabelRule}, emptyUnless(LabelTeam, withDetail))
	teamFindingsDesc = newDesc(MetricTeamQualityFindings,
		"Findings of the quality rules on the served post-mortems of the team, all rules together.",
		[]string{LabelTeam})
	windowFindingsDesc = newDesc(MetricWindowQualityFindings,
		"Findings of the quality rules on the post-mortems of the team's incidents started in the window.",
		[]string{LabelWindow, LabelTeam})
	periodFindingsDesc = newDesc(MetricPeriodQualityFindings,
		"Findings of the quality rules on the post-mortems published in the period, by rule.",
		[]string{LabelPeriod, LabelRule})
	periodPublishedDesc = newDesc(MetricPeriodPublished,
		"Post-mortems published in the period: the n of the share that passes the bar.",
		[]string{LabelPeriod})
	periodPassingDesc = newDesc(MetricPeriodPassing,
		"Post-mortems published in the period with no finding: they pass the bar.",
		[]string{LabelPeriod})
	findingInfoDesc = newDesc(MetricFindingInfo,
		"Always 1: a finding (rule, action item, reason) on the post-mortem of an incident started in the longest window, the latest first, up to --findings.limit.",
		[]string{LabelIncident, LabelTeam, LabelRule, LabelItem, LabelReason},
		listedUpTo(func(b bounds) int { return cmp.Or(b.opts.FindingsLimit, snapshot.DefaultFindingsLimit) }))
	findingsDroppedDesc = newDesc(MetricFindingInfoDropped,
		"Findings left out of "+MetricFindingInfo+" by the series limit.", nil)
	possibleRepeatInfoDesc = newDesc(MetricPossibleRepeatInfo,
		"Always 1: an incident started in the longest window that follows another on the same service with the same origin within --repeats.possible-within, neither naming the other in related: for the forum to confirm. The latest first, up to --repeats.limit.",
		[]string{LabelIncident, LabelTeam, LabelRepeats, LabelService, LabelOrigin},
		listedUpTo(func(b bounds) int { return cmp.Or(b.opts.RepeatsLimit, snapshot.DefaultRepeatsLimit) }))
	possibleRepeatsDroppedDesc = newDesc(MetricPossibleRepeatDropped,
		"Possible repeats left out of "+MetricPossibleRepeatInfo+" by the series limit.", nil)
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
// where the items' tickets are synced, so that it costs no series (200 at
// 200 teams) to an exporter without trackers.
func rulesPublished(trackers bool) []string {
	rules := record.RuleNames()
	if !trackers {
		rules = slices.DeleteFunc(rules, func(r string) bool { return r == record.RuleTrackerDrift })
	}
	return rules
}

// qualityCollector publishes the quality bar: findings, learnings, the
// time to publish and the repeats.
type qualityCollector struct{}

func (qualityCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	// By team and rule only with --metrics.detail (the series budget),
	// else by rule over the teams and by team over the rules. Every rule
	// has a series (of every team with a finding, with the detail), so
	// that a fixed finding goes to 0 instead of vanishing.
	byTeam, byRule := map[string]int{}, map[snapshot.TeamValue]int{}
	for k, n := range s.Findings {
		byTeam[k.Team] += n
	}
	for team := range byTeam {
		if !s.Detail {
			team = ""
		}
		for _, rule := range rulesPublished(s.Trackers) {
			byRule[snapshot.TeamValue{Team: team, Value: rule}] += 0
		}
	}
	for k, n := range s.Findings {
		if !s.Detail {
			k.Team = ""
		}
		byRule[k] += n
	}
	for k, n := range byRule {
		gauge(ch, findingsDesc, float64(n), k.Team, k.Value)
	}
	for team, n := range byTeam {
		gauge(ch, teamFindingsDesc, float64(n), team)
	}
	if s.QualityDetail != nil {
		qualityDetail(s, ch)
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

// qualityDetail publishes the bar per window, period and post-mortem,
// and the possible repeats.
func qualityDetail(s *snapshot.Snapshot, ch chan<- prometheus.Metric) {
	d := s.QualityDetail
	for i, byTeam := range d.ByWindow {
		for team, n := range byTeam {
			gauge(ch, windowFindingsDesc, float64(n), s.Windows[i].Window.Name, team)
		}
	}
	for i, pq := range d.ByPeriod {
		name := s.Periods[i].Period.Name
		for _, rule := range rulesPublished(s.Trackers) { // every rule, 0 included
			gauge(ch, periodFindingsDesc, float64(pq.Findings[rule]), name, rule)
		}
		gauge(ch, periodPublishedDesc, float64(pq.Published), name)
		gauge(ch, periodPassingDesc, float64(pq.Passing), name)
	}
	for _, f := range d.Findings {
		gauge(ch, findingInfoDesc, 1, f.Incident, f.Team, f.Rule, f.Item, shortReason(f.Reason, d.LabelLimit))
	}
	gauge(ch, findingsDroppedDesc, float64(d.FindingsDropped))
	for _, p := range d.PossibleRepeats {
		gauge(ch, possibleRepeatInfoDesc, 1, p.Incident, p.Team, p.Earlier, p.Service, p.Origin)
	}
	gauge(ch, possibleRepeatsDroppedDesc, float64(d.PossibleRepeatsDropped))
}

// maxReasonRunes bounds the reason label of a listed finding: the
// message may quote an item's whole title.
const maxReasonRunes = 200

// shortReason cuts a finding's reason to maxReasonRunes, and to limit
// bytes when limit is positive (the label limit), marking the cut with
// "…".
func shortReason(reason string, limit int) string {
	if limit <= 0 {
		limit = len(reason)
	}
	if utf8.RuneCountInString(reason) <= maxReasonRunes && len(reason) <= limit {
		return reason
	}
	const mark = "…"
	runes := []rune(reason)[:min(utf8.RuneCountInString(reason), maxReasonRunes-1)]
	for len(string(runes))+len(mark) > limit && len(runes) > 0 {
		runes = runes[:len(runes)-1]
	}
	if len(mark) > limit {
		return string(runes)
	}
	return string(runes) + mark
}
