package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// overview is the forum's dashboard: how fast incidents are detected and
// recovered, how severe they are, who noticed, where faults come from.
func (c Config) overview() *dashboard.DashboardBuilder {
	// The duration summaries are either per severity (all teams) or per
	// team (all severities): quantiles cannot be summed across labels.
	ws := []string{windowFilter, severityFilter}
	tw := []string{windowFilter, teamFilter}
	return c.newDashboard("postmortem-overview", "Post-mortems: forum overview",
		"MTTR, MTTD, severity share, detection, origins, impact and repeat incidents of the incidents started in the window.", true).
		WithRow(dashboard.NewRowBuilder("Detect and recover")).
		WithPanel(statPanel("MTTR by severity, all teams", "Mean time to recover (resolved_at − started_at) of resolved incidents, over all teams.", unitSeconds,
			query{expr: c.mean(m.MetricTimeToRecover, "severity", ws...), legend: "{{severity}}"})).
		WithPanel(statPanel("MTTD by severity, all teams", "Mean time to detect (detected_at − started_at), over all teams.", unitSeconds,
			query{expr: c.mean(m.MetricTimeToDetect, "severity", ws...), legend: "{{severity}}"})).
		WithPanel(statPanel("Time to recover, median and p90", "Exact, over all teams, with the number of resolved incidents: one slow incident moves the p90, not the median.", unitSeconds,
			query{expr: c.exact(0.5, m.MetricTimeToRecover, ws...), legend: "p50 {{severity}}"},
			query{expr: c.exact(0.9, m.MetricTimeToRecover, ws...), legend: "p90 {{severity}}"},
			query{expr: m.MetricTimeToRecover + "_count" + c.selector(ws...), legend: "incidents {{severity}}"}).
			OverrideByRegexp("incidents .*", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}})).
		WithPanel(statPanel("Time to detect, median and p90", "Exact, over all teams, with the number of incidents.", unitSeconds,
			query{expr: c.exact(0.5, m.MetricTimeToDetect, ws...), legend: "p50 {{severity}}"},
			query{expr: c.exact(0.9, m.MetricTimeToDetect, ws...), legend: "p90 {{severity}}"},
			query{expr: m.MetricTimeToDetect + "_count" + c.selector(ws...), legend: "incidents {{severity}}"}).
			OverrideByRegexp("incidents .*", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}})).
		WithPanel(statPanel("MTTR and median per team", "Mean and exact median of the time to recover of each team's resolved incidents, all severities.", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToRecover, "team", tw...), legend: "mean {{team}}"},
			query{expr: c.exact(0.5, m.MetricTeamTimeToRecover, tw...), legend: "median {{team}}"})).
		WithPanel(statPanel("MTTD and median per team", "Mean and exact median of the time to detect of each team's incidents, all severities.", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToDetect, "team", tw...), legend: "mean {{team}}"},
			query{expr: c.exact(0.5, m.MetricTeamTimeToDetect, tw...), legend: "median {{team}}"})).
		WithPanel(trendPanel("MTTR and MTTD trend", "The rolling-window means over all teams as they were each day.", unitSeconds,
			query{expr: c.mean(m.MetricTimeToRecover, "severity", ws...), legend: "MTTR {{severity}}"},
			query{expr: c.mean(m.MetricTimeToDetect, "severity", ws...), legend: "MTTD {{severity}}"})).
		WithPanel(trendPanel("SEV1 share and incident count", "Share of SEV1 incidents beside the number of incidents: the share can fall while outages stay.", unitPercent,
			query{expr: c.share(m.MetricIncidents, `severity="sev1"`, tw...), legend: "SEV1 share"}).
			WithTarget(prometheusQuery(query{expr: c.sumBy(m.MetricIncidents, "", tw...), legend: "incidents"}, "B")).
			OverrideByName("incidents", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}, {Id: "custom.axisPlacement", Value: "right"}})).
		WithRow(dashboard.NewRowBuilder("Who noticed, where faults come from")).
		WithPanel(statPanel("Customer-detected share", "Incidents customers told us about first.", unitPercent,
			query{expr: c.share(m.MetricIncidentsByDetection, `detection="customer"`, tw...), legend: "customer"}).
			ColorMode("background")).
		WithPanel(statPanel("Detection source share", "Who or what detected the incidents first.", unitPercent,
			query{expr: c.shareBy(m.MetricIncidentsByDetection, "detection", tw...), legend: "{{detection}}"})).
		WithPanel(statPanel("Fault origin", "Incidents by where the fault came from.", unitCount,
			query{expr: c.sumBy(m.MetricIncidentsByOrigin, "origin", tw...), legend: "{{origin}}"})).
		WithPanel(statPanel("Resolution", "Resolved incidents by how they were resolved.", unitCount,
			query{expr: c.sumBy(m.MetricIncidentsByResolution, "resolution", tw...), legend: "{{resolution}}"})).
		WithPanel(statPanel("Repeat incidents", "Incidents that an open action item of an earlier one would have prevented.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidents, tw...), legend: "repeats"})).
		WithPanel(statPanel("Open incidents", "Started and not resolved yet.", unitCount,
			query{expr: c.sumBy(m.MetricIncidentsOpen, "severity", teamFilter, severityFilter), legend: "{{severity}}"})).
		WithRow(dashboard.NewRowBuilder("Impact")).
		WithPanel(statPanel("Customers affected", "Summed over the incidents of the window.", unitCount,
			query{expr: c.count(m.MetricImpactCustomers, tw...), legend: "customers"})).
		WithPanel(statPanel("Failed requests", "Summed over the incidents of the window.", unitCount,
			query{expr: c.count(m.MetricImpactFailedRequests, tw...), legend: "requests"})).
		WithPanel(statPanel("Data-loss and security incidents", "Incidents that lost data, and security incidents.", unitCount,
			query{expr: c.count(m.MetricIncidentsDataLoss, tw...), legend: "data loss"},
			query{expr: c.count(m.MetricSecurityIncidents, tw...), legend: "security"})).
		WithPanel(tablePanel("Services that keep failing", "Incidents per affected service in the window.", unitCount,
			query{expr: "sort_desc(" + m.MetricIncidentsByService + c.selector(windowFilter) + ")", legend: "{{service}}"})).
		WithRow(dashboard.NewRowBuilder("Reviews")).
		WithPanel(statPanel("Post-mortems not published", "Incidents whose post-mortem is a draft or in review.", unitCount,
			query{expr: c.sumBy(m.MetricReviewsPending, "status", teamFilter), legend: "{{status}}"})).
		WithPanel(statPanel("Oldest unpublished post-mortem", "Time since the oldest resolved incident with an unpublished post-mortem was resolved.", unitSeconds,
			query{expr: "max by (team) (" + m.MetricReviewsPendingAge + c.selector(teamFilter) + ")", legend: "{{team}}"}))
}
