package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// team drills into one team: its incidents over every window, its open
// work and its pending reviews.
func (c Config) team() *dashboard.DashboardBuilder {
	t := []string{teamFilter, severityFilter}
	return c.newDashboard("postmortem-team", "Post-mortems: team drill-down",
		"One team's incidents over the windows, its action items and its post-mortems waiting for review.", false).
		WithRow(dashboard.NewRowBuilder("Incidents over the windows")).
		WithPanel(statPanel("Incidents per window", "Incidents started in each rolling window.", unitCount,
			query{expr: c.sumBy(m.MetricIncidents, "window", t...), legend: "{{window}}"})).
		WithPanel(statPanel("MTTR per window", "Mean and exact median time to recover in each window, all severities.", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToRecover, "window", teamFilter), legend: "mean {{window}}"},
			query{expr: c.exact(0.5, m.MetricTeamTimeToRecover, teamFilter), legend: "median {{window}}"})).
		WithPanel(statPanel("MTTD per window", "Mean and exact median time to detect in each window, all severities.", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToDetect, "window", teamFilter), legend: "mean {{window}}"},
			query{expr: c.exact(0.5, m.MetricTeamTimeToDetect, teamFilter), legend: "median {{window}}"})).
		WithPanel(statPanel("Repeat incidents per window", "Incidents an open action item would have prevented.", unitCount,
			query{expr: c.sumBy(m.MetricRepeatIncidents, "window", teamFilter), legend: "{{window}}"})).
		WithPanel(trendPanel("Incidents by severity", "Incidents started in the window, by severity.", unitCount,
			query{expr: c.sumBy(m.MetricIncidents, "severity", windowFilter, teamFilter, severityFilter), legend: "{{severity}}"})).
		WithRow(dashboard.NewRowBuilder("Action items and reviews")).
		WithPanel(statPanel("Action items by status", "All the team's action items.", unitCount,
			query{expr: c.sumBy(m.MetricActionItems, "status", teamFilter), legend: "{{status}}"})).
		WithPanel(statPanel("Post-mortems not published", "Drafts and post-mortems in review.", unitCount,
			query{expr: c.sumBy(m.MetricReviewsPending, "status", teamFilter), legend: "{{status}}"})).
		WithPanel(tablePanel("Overdue action items", "The team's overdue items, days overdue.", unitDays,
			query{expr: "sort_desc(" + c.overdueItems(teamFilter) + ")"}))
}
