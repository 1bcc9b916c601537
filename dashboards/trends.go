package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// trends is the forum's month-by-month view. Its bars come from the
// calendar periods the exporter computes from the records (the `period`
// label), so they show the last 13 months from the first scrape on:
// every query is an instant query of the latest values.
//
// $team narrows every panel while the exporter keeps the team on the
// period metrics (--periods.by-team, auto: while the teams fit the series
// budget, postmortem_exporter_periods_by_team says so). Otherwise they are
// the sums over all teams, match team=~".*" (All) and nothing for a single
// team, so a panel shows its noValue text instead of passing the whole
// organisation off as one team. The first panel says which it is.
// Quantiles do not add up across teams: the medians are per severity over
// all teams with Team set to All, and per team otherwise.
func (c Config) trends() *dashboard.DashboardBuilder {
	team := []string{teamFilter}
	recover := periodDuration{m.MetricPeriodTimeToRecover, m.MetricPeriodTeamTimeToRecover, "recover", "resolved incidents"}
	detect := periodDuration{m.MetricPeriodTimeToDetect, m.MetricPeriodTeamTimeToDetect, "detect", "incidents"}
	customer := c.share(m.MetricPeriodIncidentsByDetection, m.LabelPeriod, `detection="customer"`, team...)
	sev1 := c.share(m.MetricPeriodIncidents, m.LabelPeriod, c.top(), team...)
	incidents := query{expr: c.sumBy(m.MetricPeriodIncidents, m.LabelPeriod, team...), legend: "incidents"}
	return c.newDashboard(uidTrends, "Post-mortems: trends per "+c.PeriodUnit,
		"Month by month, computed by the exporter from the records in the forum's time zone: MTTR and MTTD with their medians and sample sizes, "+
			"the SEV1 and customer-detected shares, fault origins and resolutions, and whether the action items due each month were done.", varTeam|varSeverity).
		Time("now-1h", "now").
		WithPanel(c.teamFilterPanel()).
		WithRow(dashboard.NewRowBuilder("Detect and recover")).
		WithPanel(c.periodMeanPanel(recover)).
		WithPanel(c.periodMedianPanel(recover)).
		WithPanel(c.periodMeanPanel(detect)).
		WithPanel(c.periodMedianPanel(detect)).
		WithRow(dashboard.NewRowBuilder("Severity and detection")).
		WithPanel(joinedBars(c.topName()+" share, with the incident count", "Share of the month's incidents ("+allSeverities+") that were "+c.topName()+", beside how many incidents there were: the share can fall while outages stay.",
			unitPercent, query{expr: sev1, legend: c.topName() + " share"}, incidents)).
		WithPanel(joinedBars("Customer-detected share", "Share of the month's incidents ("+allSeverities+") that customers told us about first, beside the incident count.",
			unitPercent, query{expr: customer, legend: "customer-detected"}, incidents)).
		WithRow(dashboard.NewRowBuilder("Where faults come from, how they end")).
		WithPanel(matrixBars("Fault origin", "Incidents started each month ("+allSeverities+"), by where the fault came from.", m.LabelOrigin,
			c.sumBy(m.MetricPeriodIncidentsByOrigin, m.LabelPeriod+", "+m.LabelOrigin, team...), true)).
		WithPanel(matrixBars("Resolution", "Resolved incidents started each month ("+allSeverities+"), by how they were resolved.", m.LabelResolution,
			c.sumBy(m.MetricPeriodIncidentsByResolution, m.LabelPeriod+", "+m.LabelResolution, team...), true)).
		WithRow(dashboard.NewRowBuilder("Action items")).
		WithPanel(matrixBars("Action items due each month", "Items due in the month ("+allSeverities+"), as they stand now: done on time, done late, still open, or dropped (wont_do).", m.LabelOutcome,
			c.sumBy(m.MetricPeriodActionItemsDue, m.LabelPeriod+", "+m.LabelOutcome, team...), true).Span(24))
}

// periodDuration names a duration's period metrics.
type periodDuration struct {
	bySeverity, byTeam string
	what, counted      string
}

// periodMeanPanel shows the mean per month beside its sample size. With
// --periods.by-team the per-team sums answer for the selected teams (all
// severities); otherwise the per-severity sums do, for the selected
// severities, and only with Team set to All.
func (c Config) periodMeanPanel(d periodDuration) *barchart.PanelBuilder {
	sum := func(metric, part string, matchers ...string) string {
		return c.sumBy(metric+"_"+part, m.LabelPeriod, matchers...)
	}
	mean := func(metric string, matchers ...string) string {
		return ratio(sum(metric, "sum", matchers...), sum(metric, "count", matchers...))
	}
	bySev := []string{teamFilter, severityFilter}
	return joinedBars(fmt.Sprintf("Mean time to %s, with the number of %s", d.what, d.counted),
		fmt.Sprintf("Mean time to %s of the %s started each month, beside how many there were: a mean of three is mostly noise.", d.what, d.counted),
		unitSeconds,
		query{expr: fmt.Sprintf("(%s) or (%s)", mean(d.byTeam, teamFilter), mean(d.bySeverity, bySev...)), legend: "mean"},
		query{expr: fmt.Sprintf("%s or %s", sum(d.byTeam, "count", teamFilter), sum(d.bySeverity, "count", bySev...)), legend: "incidents"})
}

// periodMedianPanel shows the exact median per month: per severity over
// all teams with Team set to All (the per-severity summaries have no team
// label, so they match team=~".*" only), otherwise per selected team, all
// severities. Medians do not add up, so each is a bar of its own, under
// the label medianOf.
func (c Config) periodMedianPanel(d periodDuration) *barchart.PanelBuilder {
	allTeams := c.exact(0.5, d.bySeverity, teamFilter)
	expr := fmt.Sprintf(`label_replace(%s, "%[2]s", "$1", "%[3]s", "(.*)") or label_replace(%[4]s unless on () %[5]s, "%[2]s", "$1", "%[6]s", "(.*)")`,
		c.exact(0.5, d.bySeverity, teamFilter, severityFilter), medianOf, m.LabelSeverity,
		c.exact(0.5, d.byTeam, teamFilter), allTeams, m.LabelTeam)
	return matrixBars(fmt.Sprintf("Median time to %s: by severity for all teams, by team for a selection", d.what),
		fmt.Sprintf("Exact median time to %s of the %s started each month. With Team set to All, one bar per severity over all teams; "+
			"with teams selected, one bar per team over all severities. Medians do not add up across teams or severities, so none is combined.", d.what, d.counted),
		medianOf, expr, false).Unit(unitSeconds)
}

// medianOf is the label the median panels group their bars by: a severity
// or a team.
const medianOf = "median_of"

// teamFilterPanel says whether $team can narrow the trends: the exporter
// keeps the team on the period metrics or sums them over the teams.
func (c Config) teamFilterPanel() *stat.PanelBuilder {
	text := func(s, color string) dashboard.ValueMappingResult {
		return dashboard.ValueMappingResult{Text: &s, Color: &color}
	}
	return statPanel("Team filter",
		"Whether the exporter publishes the monthly trends per team, for all severities (postmortem_exporter_periods_by_team). With --periods.by-team=auto "+
			"(the default) it does while the organisation has few enough teams to stay within the series budget (56 with the default settings), "+
			"and sums them over all teams above; =true always, =false never. When it does not, pick Team = All.",
		unitCount, query{expr: c.dedup(m.MetricPeriodsByTeam), legend: "team filter", instant: true}).
		Span(24).Height(3).GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeBackground).
		Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
			"1": text("$team narrows every panel", "green"),
			"0": text("All teams only: the exporter sums the trends over the teams (too many teams for --periods.by-team=auto, or =false); a single team shows no data", "orange"),
		}}}})
}

// joinedBars draws one bar per query and period, side by side; the query
// named "incidents" or "post-mortems" is a count on its own axis.
func joinedBars(title, description, unit string, queries ...query) *barchart.PanelBuilder {
	rename := map[string]any{}
	exclude := map[string]any{}
	for i, q := range queries {
		rename["Value #"+refID(i)] = q.legend
		exclude["Time "+fmt.Sprint(i+1)] = true
	}
	exclude["Time"] = true
	b := bars(title, description, unit, queries...).
		WithTransformation(dashboard.DataTransformerConfig{Id: "joinByField", Options: map[string]any{"byField": m.LabelPeriod, "mode": "outer"}}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{"excludeByName": exclude, "renameByName": rename}}).
		WithTransformation(sortByPeriod(m.LabelPeriod))
	for _, q := range queries {
		if q.legend == "incidents" || q.legend == "post-mortems" {
			b = b.OverrideByName(q.legend, []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}, {Id: "custom.axisPlacement", Value: "right"}})
		}
	}
	return b
}

// matrixBars draws one query by period and a label: a bar per value of
// the label, stacked when the values are parts of a whole.
func matrixBars(title, description, label, expr string, stacked bool) *barchart.PanelBuilder {
	// groupingToMatrix names its row column "<row>\<column>".
	rowColumn := m.LabelPeriod + `\` + label
	b := bars(title, description, unitCount, query{expr: expr, legend: "{{" + label + "}}"}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{
			"columnField": label, "rowField": m.LabelPeriod, "valueField": "Value",
		}}).
		WithTransformation(sortByPeriod(rowColumn))
	if stacked {
		b = b.Stacking(common.StackingModeNormal)
	}
	return b
}

func bars(title, description, unit string, queries ...query) *barchart.PanelBuilder {
	b := barchart.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(8).Span(12).Min(0).ShowValue(common.VisibilityModeAuto).XTickLabelRotation(-45).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone)).
		Thresholds(neutral()).
		NoValue("No data: none in these months, or the exporter sums the trends over all teams (see Team filter at the top) and a team is selected")
	for i, q := range queries {
		q.instant = true
		b = b.WithTarget(prometheusQuery(q, refID(i)))
	}
	return b
}

func sortByPeriod(field string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{"sort": []map[string]any{{"field": field}}}}
}
