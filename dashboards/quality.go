package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// quality shows the forum's quality bar: the findings per team, rule,
// month and post-mortem, the repeat incidents and the possible ones, and
// post-mortems that are late.
func (c Config) quality() *dashboard.DashboardBuilder {
	tw := []string{windowFilter, teamFilter}
	// The exporter keeps learnings and the time to publish per team only
	// with --metrics.detail: with the defaults, these panels are for all
	// teams, and say so.
	detail := ": the split per team needs the exporter's --metrics.detail"
	noFindings := "No findings"
	byPeriodRule := c.matrixBars("Findings per rule, by month of publication",
		"Findings by rule on the post-mortems published in each period, over all teams (the exporter counts them per period over all teams); every window.", m.LabelRule,
		c.sumBy(m.MetricPeriodQualityFindings, m.LabelPeriod+", "+m.LabelRule)+" > 0", false)
	for _, r := range record.QualityRules {
		byPeriodRule = byPeriodRule.OverrideByName(r.Name, []dashboard.DynamicConfigValue{{Id: "displayName", Value: r.Title}})
	}
	return c.newDashboard(uidQuality, "Post-mortems: quality bar",
		"Findings of the quality rules per team, rule, month and post-mortem (docs/quality.md), repeat incidents, learnings, and post-mortems that are late.", varWindow|varTeam).
		WithRow(dashboard.NewRowBuilder("Findings")).
		WithPanel(statPanel("Findings", "Findings of the quality rules on the selected teams' post-mortems, "+asOfNow+" (every window); their incidents count as usual.", unitCount,
			query{expr: c.count(m.MetricTeamQualityFindings, teamFilter), legend: "findings"}).Thresholds(badFrom(1, 10))).
		WithPanel(statPanel("Findings in the window", "Findings on the post-mortems of the selected teams' incidents started in the window.", unitCount,
			query{expr: c.count(m.MetricWindowQualityFindings, tw...), legend: "findings"}).Thresholds(badFrom(1, 10)).NoValue("No findings")).
		WithPanel(statPanel("Learnings, "+allTeams, "Learnings written in the post-mortems of the window's incidents, over all teams"+detail+". Kept and counted, never action items.", unitCount,
			query{expr: c.count(m.MetricLearnings, windowFilter), legend: "learnings"})).
		WithPanel(statPanel("Findings not listed", "Findings of "+allTeams+" left out of the list below by the exporter's --findings.limit, "+asOfNow+".", unitCount,
			query{expr: c.count(m.MetricFindingInfoDropped), legend: "not listed"}).Thresholds(badFrom(1, 1))).
		WithPanel(byPeriodRule).
		WithPanel(c.joinedBars("Post-mortems that pass the bar, by month of publication",
			"The share of the post-mortems published in each period with no finding, beside how many were published (the n), over all teams; every window.", unitPercent,
			query{expr: ratio(c.sumBy(m.MetricPeriodPassing, m.LabelPeriod), c.sumBy(m.MetricPeriodPublished, m.LabelPeriod)+" > 0"), legend: "pass the bar"},
			query{expr: c.sumBy(m.MetricPeriodPublished, m.LabelPeriod), legend: "post-mortems"})).
		WithPanel(tablePanel("Findings per team", "One row per selected team: its findings "+asOfNow+" (every window), and those on the post-mortems of its incidents started in the window.", "Findings",
			[]column{{field: m.LabelTeam, header: "Team", link: teamLink}, {field: "Value #A", header: "Findings", unit: unitCount, colour: badFrom(1, 5)},
				{field: "Value #B", header: "In the window", unit: unitCount, colour: badFrom(1, 5)}},
			query{expr: c.sumBy(m.MetricTeamQualityFindings, m.LabelTeam, teamFilter) + " > 0"},
			query{expr: c.sumBy(m.MetricWindowQualityFindings, m.LabelTeam, tw...)}).NoValue(noFindings).Span(12)).
		WithPanel(tablePanel("Findings per rule", "Findings of "+allTeams+" by rule, "+asOfNow+" (every window); by team with the exporter's --metrics.detail.", "Findings",
			[]column{{field: m.LabelRule, header: "Rule", words: ruleWords()}, {field: "Value", header: "Findings", unit: unitCount}},
			query{expr: c.sumBy(m.MetricQualityFindings, m.LabelRule) + " > 0"}).NoValue(noFindings).Span(12)).
		WithPanel(tablePanel("Findings, post-mortem by post-mortem", "Each finding on the post-mortems of the selected teams' incidents of the longest window (whatever the window chosen: "+everyWindow+"), the latest first: rule, action item and reason. `validate` gives the file and line.", "Incident",
			[]column{{field: m.LabelIncident, header: "Post-mortem"}, {field: m.LabelTeam, header: "Team", link: teamLink},
				{field: m.LabelRule, header: "Rule", words: ruleWords()}, {field: m.LabelItem, header: "Action item"}, {field: m.LabelReason, header: "Reason"}},
			query{expr: c.dedup(m.MetricFindingInfo, teamFilter)}).NoValue(noFindings)).
		WithRow(dashboard.NewRowBuilder("Repeat incidents")).
		WithPanel(statPanel(snapshot.RepeatFixNotDone, "Incidents started in the window that repeat one whose action items were still open.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidents, tw...), legend: "fix not done"}).Thresholds(badFrom(1, 2))).
		WithPanel(statPanel(snapshot.RepeatDespiteFix, "Incidents started in the window that repeat one whose action items were all done or declined: the fix did not work.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidentsAfterFix, tw...), legend: "despite the fix"}).Thresholds(badFrom(1, 2))).
		WithPanel(statPanel("Repeats not listed", "Repeats and possible repeats of "+allTeams+" left out of the lists below by the exporter's limit, "+asOfNow+".", unitCount,
			query{expr: c.count(m.MetricRepeatIncidentsDropped), legend: "repeats"},
			query{expr: c.count(m.MetricPossibleRepeatDropped), legend: "possible repeats"}).Thresholds(badFrom(1, 1))).
		WithPanel(tablePanel("Which incident repeats which", "The selected teams' incidents of the longest window (whatever the window chosen: "+everyWindow+") that name an earlier one in related: "+
			snapshot.RepeatFixNotDone+" (its items were still open) or "+snapshot.RepeatDespiteFix+" (all closed).", "Incident",
			[]column{{field: m.LabelIncident, header: "Incident"}, {field: m.LabelTeam, header: "Team", link: teamLink}, {field: m.LabelRepeats, header: "Repeats"},
				{field: m.LabelFix, header: "Kind", words: map[string]string{"open": snapshot.RepeatFixNotDone, "done": snapshot.RepeatDespiteFix}}},
			query{expr: c.dedup(m.MetricRepeatIncidentInfo, teamFilter)}).NoValue("No repeat incidents").Span(12)).
		WithPanel(tablePanel("Possible repeats, to confirm", "The selected teams' incidents of the longest window (whatever the window chosen: "+everyWindow+") on the same service with the same origin as an earlier one shortly before, neither naming the other in related: "+
			"the forum confirms (the author adds related) or not.", "Incident",
			[]column{{field: m.LabelIncident, header: "Incident"}, {field: m.LabelTeam, header: "Team", link: teamLink}, {field: m.LabelRepeats, header: "Earlier"},
				{field: m.LabelService, header: "Service"}, {field: m.LabelOrigin, header: "Origin"}},
			query{expr: c.dedup(m.MetricPossibleRepeatInfo, teamFilter)}).NoValue("No possible repeats").Span(12)).
		WithRow(dashboard.NewRowBuilder("Late post-mortems")).
		WithPanel(statPanel("Time to publish, "+allTeams, "Mean and p90 (estimated from the buckets) of published_at − resolved_at of the window's published post-mortems, over all teams, beside how many"+detail+".", unitSeconds,
			query{expr: c.mean(m.MetricPublicationDelay, "", windowFilter), legend: "mean"},
			query{expr: fmt.Sprintf("histogram_quantile(0.9, %s) and %s > 0", c.sumBy(m.MetricPublicationDelay+"_bucket", "le", windowFilter), c.sumBy(m.MetricPublicationDelay+"_count", "", windowFilter)), legend: "p90"},
			query{expr: c.sumBy(m.MetricPublicationDelay+"_count", "", windowFilter), legend: "post-mortems"}).
			OverrideByName("post-mortems", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}}).
			NoValue("No post-mortem published in the window").Span(12)).
		WithPanel(tablePanel("Post-mortems waiting, oldest first", fmt.Sprintf("Per team and status, "+asOfNow+": days since the oldest unpublished post-mortem's incident was resolved; red after %d days.", c.UnpublishedDays), "Days waiting",
			[]column{{field: m.LabelTeam, header: "Team", link: teamLink}, {field: m.LabelStatus, header: "Status"},
				{field: "Value", header: "Days waiting", unit: unitDays, colour: badFrom(float64(c.UnpublishedDays)/2, float64(c.UnpublishedDays))}},
			query{expr: c.dedup(m.MetricReviewsPendingAge, teamFilter) + " / 86400"}).NoValue("Every post-mortem is published").Span(12))
}
