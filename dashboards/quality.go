package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// quality shows the forum's quality bar: the findings per team and rule,
// the repeat incidents, and post-mortems that are late.
func (c Config) quality() *dashboard.DashboardBuilder {
	tw := []string{windowFilter, teamFilter}
	// The exporter keeps learnings and the time to publish per team only
	// with --metrics.detail: with the defaults, these panels are for all
	// teams, and say so.
	detail := ": the split per team needs the exporter's --metrics.detail"
	noFindings := "No findings"
	return c.newDashboard(uidQuality, "Post-mortems: quality bar",
		"Findings of the quality rules per team and rule (docs/quality.md), repeat incidents, learnings, and post-mortems that are late.", varWindow|varTeam).
		WithRow(dashboard.NewRowBuilder("Findings, " + asOfNow)).
		WithPanel(statPanel("Findings", "Findings of the quality rules on the selected teams' post-mortems, "+asOfNow+"; their incidents count as usual.", unitCount,
			query{expr: c.count(m.MetricQualityFindings, teamFilter), legend: "findings"}).Thresholds(badFrom(1, 10))).
		WithPanel(statPanel("Learnings, "+allTeams, "Learnings written in the post-mortems of the window's incidents, over all teams"+detail+". Kept and counted, never action items.", unitCount,
			query{expr: c.count(m.MetricLearnings, windowFilter), legend: "learnings"})).
		WithPanel(trendPanel("Findings per rule", "Findings by rule on the selected teams' post-mortems, "+asOfNow+" at each point of the graph (not windowed).", unitCount,
			query{expr: c.sumBy(m.MetricQualityFindings, m.LabelRule, teamFilter) + " > 0", legend: "{{rule}}"}).NoValue(noFindings)).
		WithPanel(tablePanel("Findings per team and rule", "One row per team and rule with findings, "+asOfNow+"; `validate` lists each with its file and line.", "Findings",
			[]column{{field: m.LabelTeam, header: "Team", link: teamLink}, {field: m.LabelRule, header: "Rule"}, {field: "Value", header: "Findings", unit: unitCount}},
			query{expr: c.sumBy(m.MetricQualityFindings, "team, rule", teamFilter) + " > 0"}).NoValue(noFindings)).
		WithRow(dashboard.NewRowBuilder("Repeat incidents")).
		WithPanel(statPanel("Repeats, fix not done", "Incidents started in the window that repeat one whose action items were still open.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidents, tw...), legend: "fix not done"}).Thresholds(badFrom(1, 2))).
		WithPanel(statPanel("Repeats after the fix", "Incidents started in the window that repeat one whose action items were all done or declined: the fix did not work.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidentsAfterFix, tw...), legend: "after the fix"}).Thresholds(badFrom(1, 2))).
		WithPanel(statPanel("Repeats not listed", "Repeats of "+allTeams+" left out of the list below by the exporter's limit, "+asOfNow+".", unitCount,
			query{expr: c.count(m.MetricRepeatIncidentsDropped), legend: "not listed"}).Thresholds(badFrom(1, 1))).
		WithPanel(tablePanel("Which incident repeats which", "The selected teams' incidents of the longest window (whatever the window chosen: "+everyWindow+") that repeat an earlier one; fix is done (the earlier items were all closed) or open.", "Incident",
			[]column{{field: m.LabelIncident, header: "Incident"}, {field: m.LabelTeam, header: "Team", link: teamLink}, {field: m.LabelRepeats, header: "Repeats"}, {field: m.LabelFix, header: "Fix"}},
			query{expr: c.dedup(m.MetricRepeatIncidentInfo, teamFilter)}).NoValue("No repeat incidents")).
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
