package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Phrases a panel's title or description carries when it does not follow
// a variable of its dashboard, so that nobody reads an organisation-wide
// number as their team's (the lint test checks them).
const (
	allTeams      = "all teams"
	allSeverities = "all severities"
	asOfNow       = "as of now"
	everyWindow   = "every window"
)

// overview is the forum's dashboard: the teams side by side, how fast
// incidents are detected and recovered, how severe they are, who
// noticed, where faults come from.
func (c Config) overview() *dashboard.DashboardBuilder {
	// The duration summaries are either per severity (all teams) or per
	// team (all severities): quantiles cannot be summed across labels.
	ws := []string{windowFilter, severityFilter}
	tw := []string{windowFilter, teamFilter}
	tws := []string{windowFilter, teamFilter, severityFilter}
	noResolved := "No resolved incidents in the window"
	noIncidents := "No incidents in the window"
	return c.newDashboard(uidOverview, "Post-mortems: forum overview",
		"The teams side by side, then MTTR, MTTD, severity share, detection, origins, impact and repeat incidents of the incidents started in the window.",
		varWindow|varTeam|varSeverity).
		WithRow(dashboard.NewRowBuilder("Teams")).
		WithPanel(c.scorecard()).
		WithRow(dashboard.NewRowBuilder("Detect and recover")).
		WithPanel(statPanel("MTTR by severity, "+allTeams, "Mean time to recover (resolved_at − started_at) of the resolved incidents of each severity, over all teams, beside how many there were.", unitSeconds,
			query{expr: c.mean(m.MetricTimeToRecover, "severity", ws...), legend: "MTTR {{severity}}"},
			query{expr: c.sumBy(m.MetricTimeToRecover+"_count", "severity", ws...), legend: "incidents {{severity}}"}).
			OverrideByRegexp(countOverride()).NoValue(noResolved)).
		WithPanel(statPanel("MTTD by severity, "+allTeams, "Mean time to detect (detected_at − started_at) of each severity, over all teams, beside how many incidents there were.", unitSeconds,
			query{expr: c.mean(m.MetricTimeToDetect, "severity", ws...), legend: "MTTD {{severity}}"},
			query{expr: c.sumBy(m.MetricTimeToDetect+"_count", "severity", ws...), legend: "incidents {{severity}}"}).
			OverrideByRegexp(countOverride()).NoValue(noIncidents)).
		WithPanel(statPanel("MTTM by severity, "+allTeams, "Mean time to mitigate (mitigated_at − started_at: impact stopped) of the incidents of each severity with a mitigation time, over all teams, beside how many there were.", unitSeconds,
			query{expr: c.mean(m.MetricTimeToMitigate, "severity", ws...), legend: "MTTM {{severity}}"},
			query{expr: c.sumBy(m.MetricTimeToMitigate+"_count", "severity", ws...), legend: "incidents {{severity}}"}).
			OverrideByRegexp(countOverride()).NoValue("No mitigated incidents in the window")).
		WithPanel(statPanel("Time to recover, median and p90, "+allTeams, "Exact, per severity over all teams: one slow incident moves the p90, not the median. A severity without a resolved incident shows no value.", unitSeconds,
			query{expr: c.exact(0.5, m.MetricTimeToRecover, ws...), legend: "p50 {{severity}}"},
			query{expr: c.exact(0.9, m.MetricTimeToRecover, ws...), legend: "p90 {{severity}}"}).NoValue(noResolved)).
		WithPanel(statPanel("Time to detect, median and p90, "+allTeams, "Exact, per severity over all teams. A severity without an incident shows no value.", unitSeconds,
			query{expr: c.exact(0.5, m.MetricTimeToDetect, ws...), legend: "p50 {{severity}}"},
			query{expr: c.exact(0.9, m.MetricTimeToDetect, ws...), legend: "p90 {{severity}}"}).NoValue(noIncidents)).
		WithPanel(statPanel("MTTR and median per team, "+allSeverities, "Mean and exact median of the time to recover of each team's resolved incidents, all severities together.", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToRecover, "team", tw...), legend: "mean {{team}}"},
			query{expr: fmt.Sprintf("max by (team) (%s)", c.exact(0.5, m.MetricTeamTimeToRecover, tw...)), legend: "median {{team}}"}).NoValue(noResolved).Span(12)).
		WithPanel(statPanel("MTTD and median per team, "+allSeverities, "Mean and exact median of the time to detect of each team's incidents, all severities together.", unitSeconds,
			query{expr: c.mean(m.MetricTeamTimeToDetect, "team", tw...), legend: "mean {{team}}"},
			query{expr: fmt.Sprintf("max by (team) (%s)", c.exact(0.5, m.MetricTeamTimeToDetect, tw...)), legend: "median {{team}}"}).NoValue(noIncidents).Span(12)).
		WithPanel(c.periodMeansPanel()).
		WithPanel(c.joinedBars(c.topName()+" share per "+c.PeriodUnit+", with the incident count",
			"Share of the selected teams' incidents started each "+c.PeriodUnit+" that were "+c.topName()+" (of "+allSeverities+"), beside how many there were, "+
				"by calendar period (whatever the window): the share can fall while outages stay. Computed by the exporter from the records, so it is full on the first day. "+teamNarrows,
			unitPercent,
			query{expr: c.share(m.MetricPeriodIncidents, m.LabelPeriod, c.top(), teamFilter), legend: c.topName() + " share"},
			query{expr: c.sumBy(m.MetricPeriodIncidents, m.LabelPeriod, teamFilter), legend: "incidents"}).
			NoValue("No data: no incident in these " + c.PeriodUnit + "s, or a team is selected and the exporter sums the periods over all teams (see the trend dashboard's Team filter)")).
		WithRow(dashboard.NewRowBuilder("Who noticed, where faults come from")).
		WithPanel(statPanel("Customer-detected share", "Share of the selected teams' incidents ("+allSeverities+") that customers told us about first.", unitPercent,
			query{expr: c.share(m.MetricIncidentsByDetection, "", `detection="customer"`, tw...), legend: "customer-detected"}).
			Thresholds(badFrom(c.CustomerDetectedLimit, 2*c.CustomerDetectedLimit)).ColorMode("background").NoValue(noIncidents)).
		WithPanel(statPanel("Detection source share", "Who or what detected the selected teams' incidents first ("+allSeverities+").", unitPercent,
			query{expr: c.shareBy(m.MetricIncidentsByDetection, "detection", tw...), legend: "{{detection}}"}).NoValue(noIncidents)).
		WithPanel(statPanel("Fault origin", "The selected teams' incidents ("+allSeverities+") by where the fault came from.", unitCount,
			query{expr: c.sumBy(m.MetricIncidentsByOrigin, "origin", tw...), legend: "{{origin}}"}).NoValue(noIncidents)).
		WithPanel(statPanel("Resolution", "The selected teams' resolved incidents ("+allSeverities+") by how they were resolved.", unitCount,
			query{expr: c.sumBy(m.MetricIncidentsByResolution, "resolution", tw...), legend: "{{resolution}}"}).NoValue(noResolved)).
		WithPanel(statPanel(snapshot.RepeatFixNotDone, "Incidents ("+allSeverities+") that an open action item of an earlier one would have prevented.", unitCount,
			query{expr: c.count(m.MetricRepeatIncidents, tw...), legend: "repeats"}).Thresholds(badFrom(1, 2)).Span(12)).
		WithPanel(statPanel("Open incidents", "Incidents started and not resolved yet, "+asOfNow+" (whatever the window).", unitCount,
			query{expr: c.count(m.MetricIncidentsOpen, teamFilter, severityFilter), legend: "open"}).Span(12)).
		WithRow(dashboard.NewRowBuilder("Impact")).
		WithPanel(statPanel("Customers affected", "Summed over the selected teams' incidents of the window, "+allSeverities+".", unitCount,
			query{expr: c.count(m.MetricImpactCustomers, tw...), legend: "customers"})).
		WithPanel(statPanel("Failed requests", "Summed over the selected teams' incidents of the window, "+allSeverities+".", unitCount,
			query{expr: c.count(m.MetricImpactFailedRequests, tw...), legend: "requests"})).
		WithPanel(statPanel("Data-loss and security incidents", "Incidents that lost data, and security incidents, "+allSeverities+".", unitCount,
			query{expr: c.count(m.MetricIncidentsDataLoss, tw...), legend: "data loss"},
			query{expr: c.count(m.MetricSecurityIncidents, tw...), legend: "security"}).Thresholds(badFrom(1, 1))).
		WithPanel(statPanel("Incidents", "Incidents of the selected teams and severities started in the window.", unitCount,
			query{expr: c.count(m.MetricIncidents, tws...), legend: "incidents"})).
		WithPanel(tablePanel("Services that keep failing", "Incidents per affected service in the window, "+allTeams+" and "+allSeverities+" (the exporter counts services without them).", "Incidents",
			[]column{{field: "service", header: "Service"}, {field: "Value", header: "Incidents", unit: unitCount}},
			query{expr: c.sumBy(m.MetricIncidentsByService, "service", windowFilter)}).NoValue(noIncidents)).
		WithRow(dashboard.NewRowBuilder("Invalid records, " + asOfNow)).
		WithPanel(c.invalidRecordsStat()).
		WithPanel(c.invalidRecordsTable()).
		WithRow(dashboard.NewRowBuilder("Reviews")).
		WithPanel(statPanel("Post-mortems not published", "Incidents whose post-mortem is a draft or in review, "+asOfNow+", "+allSeverities+".", unitCount,
			query{expr: c.sumBy(m.MetricReviewsPending, "status", teamFilter), legend: "{{status}}"}).NoValue("Every post-mortem is published").Span(12)).
		WithPanel(statPanel("Oldest unpublished post-mortem", fmt.Sprintf("Per team, "+asOfNow+" ("+allSeverities+"): time since the oldest resolved incident with an unpublished post-mortem was resolved; red after %d days.", c.UnpublishedDays), unitSeconds,
			query{expr: fmt.Sprintf("max by (team) (%s)", c.dedup(m.MetricReviewsPendingAge, teamFilter)), legend: "{{team}}"}).
			Thresholds(badFrom(float64(c.UnpublishedDays)*86400/2, float64(c.UnpublishedDays)*86400)).NoValue("Every post-mortem is published").Span(12))
}

// scorecard compares the teams: one row each, linking to the team's
// drill-down. Every count query falls back to 0 for the teams that have
// incidents in the window or action items, so no cell is empty where
// the truth is zero; a ratio over nothing stays empty.
func (c Config) scorecard() *table.PanelBuilder {
	tw := []string{windowFilter, teamFilter}
	teams := fmt.Sprintf("0 * (%s or %s)", c.sumBy(m.MetricIncidents, "team", tw...), c.sumBy(m.MetricActionItems, "team", teamFilter))
	orZero := func(expr string) string { return fmt.Sprintf("%s or %s", expr, teams) }
	seconds := func(s string) column { return column{unit: unitSeconds, header: s} }
	cols := []column{
		{field: "team", header: "Team", link: teamLink},
		{header: "Incidents", unit: unitCount},
		{header: c.topName(), unit: unitCount, colour: badFrom(1, 2)},
		seconds("Median TTR"),
		{header: "Customer-detected", unit: unitPercent, colour: badFrom(c.CustomerDetectedLimit, 2*c.CustomerDetectedLimit)},
		{header: snapshot.RepeatFixNotDone, unit: unitCount, colour: badFrom(1, 2)},
		{header: snapshot.RepeatDespiteFix, unit: unitCount, colour: badFrom(1, 2)},
		{header: "Overdue items", unit: unitCount, colour: badFrom(1, float64(c.TeamOverdueItems))},
		{header: "On time", unit: unitPercent, colour: goodFrom(c.OnTimeTarget/2, c.OnTimeTarget)},
		{header: "Findings", unit: unitCount, colour: badFrom(1, 5)},
	}
	queries := []query{
		{expr: orZero(c.sumBy(m.MetricIncidents, "team", tw...))},
		{expr: orZero(c.sumBy(m.MetricIncidents, "team", append(tw, c.top())...))},
		{expr: fmt.Sprintf("max by (team) (%s)", c.exact(0.5, m.MetricTeamTimeToRecover, tw...))},
		{expr: c.share(m.MetricIncidentsByDetection, "team", `detection="customer"`, tw...)},
		{expr: orZero(c.sumBy(m.MetricRepeatIncidents, "team", tw...))},
		{expr: orZero(c.sumBy(m.MetricRepeatIncidentsAfterFix, "team", tw...))},
		{expr: orZero(c.sumBy(m.MetricActionItemsOverdue, "team", teamFilter))},
		{expr: c.onTime("team", tw...)},
		{expr: orZero(c.sumBy(m.MetricTeamQualityFindings, "team", teamFilter))},
	}
	for i := range queries {
		cols[i+1].field = "Value #" + refID(i)
	}
	return tablePanel("Team scorecard",
		"One row per team, "+allSeverities+": incidents started in the window, SEV1s, exact median time to recover, customer-detected share, "+
			"repeat incidents ("+snapshot.RepeatFixNotDone+", "+snapshot.RepeatDespiteFix+"), action items overdue "+asOfNow+", the share of the items due in the window (their due day ended in it) that were done by their due day, "+
			"of those done or still open (items dropped as won't do aside), and quality findings "+asOfNow+". "+
			"Empty: no resolved incident, no incident, or no item due in the window. The team opens its drill-down.",
		"Incidents", cols, queries...).NoValue("No incidents or action items")
}

// invalidRecordsText says what the invalid records panels count, and
// where the files are named.
const invalidRecordsText = "Records whose incident core is broken (a missing or unreadable field, times out of order, a duplicate id, ...), " +
	asOfNow + ", " + allSeverities + ": they are in no other figure of the pack. A record with several reasons counts under each. " +
	"The exporter has no file label (one series per file would be unbounded): `validate` lists each with its file, line and field, and the exporter's log names each once."

// invalidRecordsStat counts the invalid records of the selected teams, so
// that a SEV1 with a typo does not vanish from every dashboard.
func (c Config) invalidRecordsStat() *stat.PanelBuilder {
	return statPanel("Invalid records", invalidRecordsText, unitCount,
		query{expr: c.count(m.MetricRecordsInvalid, teamFilter), legend: "invalid (by reason)"}).
		Thresholds(badFrom(1, 1)).ColorMode("background").Height(8)
}

// invalidRecordsTable lists the invalid records by team, reason and
// source; a record whose team cannot be read is under "(unknown team)".
func (c Config) invalidRecordsTable() *table.PanelBuilder {
	return tablePanel("Invalid records by team and reason", invalidRecordsText+" Records without a readable team, and those beyond the exporter's 100 team and reason pairs, are under (unknown team).", "Records",
		[]column{
			{field: m.LabelTeam, header: "Team", link: teamLink, empty: "(unknown team)"},
			{field: m.LabelReason, header: "Reason"},
			{field: m.LabelSource, header: "Source"},
			{field: "Value", header: "Records", unit: unitCount, colour: badFrom(1, 1)},
		},
		query{expr: c.sumBy(m.MetricRecordsInvalid, "team, reason, source", teamFilter) + " > 0"}).
		NoValue("No invalid records").Span(18).Height(8)
}

// teamNarrows says when $team narrows a panel of period metrics.
const teamNarrows = "A single team shows data only while the exporter keeps the team on the period metrics (--periods.by-team; see the trend dashboard's Team filter)."

// periodMeansPanel shows the mean times to recover, detect, acknowledge
// and mitigate of each calendar period, over all teams, for the selected severities,
// beside the incident count: the exporter computes the periods from the
// records, so the panel is full on the first day, without Prometheus's
// history.
func (c Config) periodMeansPanel() *barchart.PanelBuilder {
	ts := []string{teamFilter, severityFilter}
	mean := func(metric string) string { return c.mean(metric, m.LabelPeriod, ts...) }
	return c.joinedBars("MTTR, MTTD, MTTA and MTTM per "+c.PeriodUnit+", "+allTeams,
		"Mean time to recover, detect, acknowledge (of the incidents with acknowledged_at) and mitigate of the incidents of the selected severities started each "+c.PeriodUnit+", over all teams, "+
			"by calendar period (whatever the window), beside how many incidents there were. Computed by the exporter from the records, so it is full on the first day. "+
			"With a team selected it shows no bar: the monthly durations per team are on the trend dashboard.",
		unitSeconds,
		query{expr: mean(m.MetricPeriodTimeToRecover), legend: "MTTR"},
		query{expr: mean(m.MetricPeriodTimeToDetect), legend: "MTTD"},
		query{expr: mean(m.MetricPeriodTimeToAcknowledge), legend: "MTTA"},
		query{expr: mean(m.MetricPeriodTimeToMitigate), legend: "MTTM"},
		query{expr: c.sumBy(m.MetricPeriodTimeToDetect+"_count", m.LabelPeriod, ts...), legend: "incidents"}).
		NoValue("No data: no incident in these " + c.PeriodUnit + "s, or a team is selected (the per-team trends are on the trend dashboard)")
}
