package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// team drills into one team: its incidents over every window, its open
// work and its pending reviews.
func (c Config) team() *dashboard.DashboardBuilder {
	ts := []string{teamFilter, severityFilter}
	median := func(summary string) string {
		return fmt.Sprintf("max by (window) (%s)", c.exact(0.5, summary, teamFilter))
	}
	return c.newDashboard(uidTeam, "Post-mortems: team drill-down",
		"One team's incidents over the windows, its action items and its post-mortems waiting for review.", varWindow|varOneTeam|varSeverity).
		WithRow(dashboard.NewRowBuilder("Incidents over " + everyWindow)).
		WithPanel(statPanel("Incidents per window", "The team's incidents of the selected severities started in "+everyWindow+".", unitCount,
			query{expr: c.sumBy(m.MetricIncidents, "window", ts...), legend: "{{window}}"}).NoValue("No incidents in any window")).
		WithPanel(statPanel("MTTR per window, "+allSeverities, "Mean and exact median time to recover of the team's resolved incidents in "+everyWindow+".", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToRecover, "window", teamFilter), legend: "mean {{window}}"},
			query{expr: median(m.MetricTeamTimeToRecover), legend: "median {{window}}"}).NoValue("No resolved incidents in any window")).
		WithPanel(statPanel("MTTD per window, "+allSeverities, "Mean and exact median time to detect of the team's incidents in "+everyWindow+".", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToDetect, "window", teamFilter), legend: "mean {{window}}"},
			query{expr: median(m.MetricTeamTimeToDetect), legend: "median {{window}}"}).NoValue("No incidents in any window")).
		WithPanel(statPanel("Repeat incidents per window, "+allSeverities, "Incidents an open action item of an earlier one would have prevented, in "+everyWindow+".", unitCount,
			query{expr: c.sumBy(m.MetricRepeatIncidents, "window", teamFilter), legend: "{{window}}"}).Thresholds(badFrom(1, 2)).NoValue("No incidents in any window")).
		WithPanel(trendPanel("Incidents by severity", "The team's incidents started in the window, by severity, as the window stood each day.", unitCount,
			query{expr: c.sumBy(m.MetricIncidents, "severity", windowFilter, teamFilter, severityFilter), legend: "{{severity}}"}).NoValue("No incidents in any window")).
		WithPanel(statPanel("Customer-detected share", "Share of the team's incidents of the window ("+allSeverities+") that customers told us about first.", unitPercent,
			query{expr: c.share(m.MetricIncidentsByDetection, "", `detection="customer"`, windowFilter, teamFilter), legend: "customer-detected"}).
			Thresholds(badFrom(c.CustomerDetectedLimit, 2*c.CustomerDetectedLimit)).ColorMode("background").NoValue("No incidents in the window").Height(8).Span(12)).
		WithRow(dashboard.NewRowBuilder("Action items and reviews, " + asOfNow)).
		WithPanel(statPanel("Action items by status", "All the team's action items, "+asOfNow+", "+allSeverities+".", unitCount,
			query{expr: c.sumBy(m.MetricActionItems, "status", teamFilter), legend: "{{status}}"}).NoValue("No action items").Span(8)).
		WithPanel(statPanel("Overdue items", "The team's open items past their due day, "+asOfNow+", "+allSeverities+".", unitCount,
			query{expr: c.count(m.MetricActionItemsOverdue, teamFilter), legend: "overdue"}).
			Thresholds(badFrom(1, float64(c.TeamOverdueItems+1))).ColorMode("background").Span(8)).
		WithPanel(statPanel("Post-mortems not published", "Drafts and post-mortems in review, "+asOfNow+", "+allSeverities+".", unitCount,
			query{expr: c.sumBy(m.MetricReviewsPending, "status", teamFilter), legend: "{{status}}"}).NoValue("Every post-mortem is published").Span(8)).
		WithPanel(c.overdueTable("Overdue action items", teamFilter, severityFilter)).
		WithPanel(c.exceptionsTable(teamFilter, severityFilter))
}
