package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// quality shows the forum's quality bar: the findings per team and rule,
// the repeat incidents, and post-mortems that are late.
func (c Config) quality() *dashboard.DashboardBuilder {
	tw := []string{windowFilter, teamFilter}
	return c.newDashboard("postmortem-quality", "Post-mortems: quality bar",
		"Findings of the quality rules per team and rule (docs/quality.md), repeat incidents, learnings, and post-mortems that are late.", true).
		WithRow(dashboard.NewRowBuilder("Findings")).
		WithPanel(statPanel("Findings", "Findings of the quality rules on the served post-mortems; their incidents count as usual.", unitCount,
			query{expr: c.count(m.MetricQualityFindings, teamFilter), legend: "findings"})).
		WithPanel(statPanel("Learnings", "Learnings written in the window's post-mortems: kept and counted, never action items. Per team only when the exporter runs with --metrics.detail.", unitCount,
			query{expr: c.count(m.MetricLearnings, tw...), legend: "learnings"})).
		WithPanel(trendPanel("Findings per rule", "Findings by rule, all selected teams.", unitCount,
			query{expr: c.sumBy(m.MetricQualityFindings, "rule", teamFilter) + " > 0", legend: "{{rule}}"})).
		WithPanel(tablePanel("Findings per team and rule", "One row per team and rule with findings; `validate` lists each with its file and line.", unitCount,
			query{expr: "sort_desc(" + c.sumBy(m.MetricQualityFindings, "team, rule", teamFilter) + " > 0)"})).
		WithRow(dashboard.NewRowBuilder("Repeat incidents")).
		WithPanel(statPanel("Repeats, fix not done", "Incidents started in the window that repeat one whose action items were still open.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidents, tw...), legend: "fix not done"})).
		WithPanel(statPanel("Repeats after the fix", "Incidents started in the window that repeat one whose action items were all done or declined: the fix did not work.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidentsAfterFix, tw...), legend: "after the fix"})).
		WithPanel(tablePanel("Which incident repeats which", "The latest repeats first; fix is done (the earlier items were all closed) or open.", unitCount,
			query{expr: m.MetricRepeatIncidentInfo + c.selector(teamFilter)})).
		WithRow(dashboard.NewRowBuilder("Late post-mortems")).
		WithPanel(statPanel("Time to publish", "Mean and p90 of published_at − resolved_at for the window's published post-mortems. Per team only when the exporter runs with --metrics.detail.", unitSeconds,
			query{expr: c.mean(m.MetricPublicationDelay, "window", tw...), legend: "mean"},
			query{expr: c.quantile(0.9, m.MetricPublicationDelay, "window", tw...), legend: "p90"},
			query{expr: c.sumBy(m.MetricPublicationDelay+"_count", "window", tw...), legend: "post-mortems"})).
		WithPanel(tablePanel("Post-mortems waiting, oldest first", "Per team and status, days since the oldest unpublished post-mortem's incident was resolved.", unitDays,
			query{expr: "sort_desc(" + m.MetricReviewsPendingAge + c.selector(teamFilter) + " / 86400)"}))
}
