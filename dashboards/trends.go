package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"

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
		WithPanel(c.soFarPanel()).
		WithRow(dashboard.NewRowBuilder("Detect and recover")).
		WithPanel(c.periodMeanPanel(recover)).
		WithPanel(c.periodMedianPanel(recover)).
		WithPanel(c.periodMeanPanel(detect)).
		WithPanel(c.periodMedianPanel(detect)).
		WithPanel(c.mitigationPanel()).
		WithRow(dashboard.NewRowBuilder("Better than the " + c.PeriodUnit + " before?")).
		WithPanel(c.changeTable(recover, detect)).
		WithPanel(c.rollingDurations(recover, detect)).
		WithPanel(c.rollingShares()).
		WithRow(dashboard.NewRowBuilder("Severity and detection")).
		WithPanel(c.joinedBars(c.topName()+" share, with the incident count", "Share of the month's incidents ("+allSeverities+") that were "+c.topName()+", beside how many incidents there were: the share can fall while outages stay.",
			unitPercent, query{expr: sev1, legend: c.topName() + " share"}, incidents)).
		WithPanel(c.joinedBars("Customer-detected share", "Share of the month's incidents ("+allSeverities+") that customers told us about first, beside the incident count.",
			unitPercent, query{expr: customer, legend: "customer-detected"}, incidents)).
		WithRow(dashboard.NewRowBuilder("Where faults come from, how they end")).
		WithPanel(c.matrixBars("Fault origin", "Incidents started each month ("+allSeverities+"), by where the fault came from.", m.LabelOrigin,
			c.sumBy(m.MetricPeriodIncidentsByOrigin, m.LabelPeriod+", "+m.LabelOrigin, team...), true)).
		WithPanel(c.matrixBars("Resolution", "Resolved incidents started each month ("+allSeverities+"), by how they were resolved.", m.LabelResolution,
			c.sumBy(m.MetricPeriodIncidentsByResolution, m.LabelPeriod+", "+m.LabelResolution, team...), true)).
		WithRow(dashboard.NewRowBuilder("Action items")).
		WithPanel(c.matrixBars("Action items due each month", "Items due in the month ("+allSeverities+"), as they stand now: done on time, done late, still open, or dropped (wont_do).", m.LabelOutcome,
			c.sumBy(m.MetricPeriodActionItemsDue, m.LabelPeriod+", "+m.LabelOutcome, team...), true).Span(24))
}

// periodDuration names a duration's period metrics.
type periodDuration struct {
	bySeverity, byTeam string
	what, counted      string
}

// periodMeanPanel shows the mean per month beside its sample size. The
// exporter keeps the durations of a month per team (all severities, with
// --periods.by-team) and per severity (all teams), not per both: the
// per-team sums answer for the selected teams in the months where the
// selected severities hold every incident of the month (All, or a month
// without the others), the per-severity sums for the selected severities
// with Team set to All. With both narrowed, a month shows no bar, and the
// panel says so.
func (c Config) periodMeanPanel(d periodDuration) *barchart.PanelBuilder {
	sum, count := c.periodSums(d)
	return c.joinedBars(fmt.Sprintf("Mean time to %s, with the number of %s", d.what, d.counted),
		fmt.Sprintf("Mean time to %s of the %s started each month, beside how many there were: a mean of three is mostly noise. %s", d.what, d.counted, notBoth),
		unitSeconds, query{expr: ratio(sum, count), legend: "mean"}, query{expr: count, legend: "incidents"}).
		NoValue(notBothNoValue)
}

// periodSums are the sum and the count of a duration per period for the
// selected teams and severities: the per-team sums in the months where
// the selected severities hold every incident, else the per-severity
// sums, which answer with Team set to All only (see periodMeanPanel).
func (c Config) periodSums(d periodDuration) (sum, count string) {
	part := func(p string) string {
		return fmt.Sprintf("((%s and on (%s) %s) or %s)", c.sumBy(d.byTeam+p, m.LabelPeriod, teamFilter), m.LabelPeriod, c.everySeverityChosen(),
			c.sumBy(d.bySeverity+p, m.LabelPeriod, teamFilter, severityFilter))
	}
	return part("_sum"), part("_count")
}

// notBoth says in a panel that team and severity do not narrow it
// together; notBothNoValue is its "no data" text.
const (
	notBoth = "Team and severity cannot both narrow it (the exporter keeps a month's durations per team or per severity, not both): " +
		"with teams and a severity selected, it shows no bar; set Team or Severity to All."
	notBothNoValue = "No data: none in these months, or teams and a severity are both selected (set one to All), " +
		"or the exporter sums the trends over all teams (see Team filter at the top) and a team is selected"
)

// everySeverityChosen answers for each month in which the selected
// severities hold every incident of the organisation: there the figures
// per team, over all severities, are those of the selected severities.
func (c Config) everySeverityChosen() string {
	return fmt.Sprintf("(%s == %s)", c.sumBy(m.MetricPeriodIncidents, m.LabelPeriod, severityFilter), c.sumBy(m.MetricPeriodIncidents, m.LabelPeriod))
}

// periodMedianPanel shows the exact median per month: per severity over
// all teams with Team set to All (the per-severity summaries have no team
// label, so they match team=~".*" only), otherwise per selected team, all
// severities, in the months where the selected severities hold every
// incident (see periodMeanPanel). Medians do not add up, so each is a bar
// of its own, under the label medianOf.
func (c Config) periodMedianPanel(d periodDuration) *barchart.PanelBuilder {
	allTeams := c.exact(0.5, d.bySeverity, teamFilter)
	expr := fmt.Sprintf(`label_replace(%s, "%[2]s", "$1", "%[3]s", "(.*)") or label_replace((%[4]s and on (%[7]s) %[8]s) unless on () %[5]s, "%[2]s", "$1", "%[6]s", "(.*)")`,
		c.exact(0.5, d.bySeverity, teamFilter, severityFilter), medianOf, m.LabelSeverity,
		c.exact(0.5, d.byTeam, teamFilter), allTeams, m.LabelTeam, m.LabelPeriod, c.everySeverityChosen())
	return c.matrixBars(fmt.Sprintf("Median time to %s: by severity for all teams, by team for a selection", d.what),
		fmt.Sprintf("Exact median time to %s of the %s started each month. With Team set to All, one bar per severity over all teams; "+
			"with teams selected, one bar per team over all severities. Medians do not add up across teams or severities, so none is combined. %s", d.what, d.counted, notBoth),
		medianOf, expr, false).Unit(unitSeconds).NoValue(notBothNoValue)
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
		Span(16).Height(3).GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeBackground).
		Mappings([]dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: map[string]dashboard.ValueMappingResult{
			"1": text("$team narrows every panel", "green"),
			"0": text("All teams only: the exporter sums the trends over the teams (too many teams for --periods.by-team=auto, or =false); a single team shows no data", "orange"),
		}}}})
}

// joinedBars draws one bar per query and period, side by side; the query
// named "incidents" or "post-mortems" is a count on its own axis.
func (c Config) joinedBars(title, description, unit string, queries ...query) *barchart.PanelBuilder {
	rename := map[string]any{}
	exclude := map[string]any{}
	for i, q := range queries {
		rename["Value #"+refID(i)] = q.legend
		exclude["Time "+fmt.Sprint(i+1)] = true
	}
	exclude["Time"] = true
	b := c.bars(title, description, unit, queries...).
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
func (c Config) matrixBars(title, description, label, expr string, stacked bool) *barchart.PanelBuilder {
	// groupingToMatrix names its row column "<row>\<column>".
	rowColumn := m.LabelPeriod + `\` + label
	b := c.bars(title, description, unitCount, query{expr: expr, legend: "{{" + label + "}}"}).
		WithTransformation(dashboard.DataTransformerConfig{Id: "groupingToMatrix", Options: map[string]any{
			"columnField": label, "rowField": m.LabelPeriod, "valueField": "Value",
		}}).
		WithTransformation(sortByPeriod(rowColumn))
	if stacked {
		b = b.Stacking(common.StackingModeNormal)
	}
	return b
}

func (c Config) bars(title, description, unit string, queries ...query) *barchart.PanelBuilder {
	b := barchart.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(8).Span(12).Min(0).ShowValue(common.VisibilityModeAuto).XTickLabelRotation(-45).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementBottom)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderNone)).
		Thresholds(neutral()).
		NoValue("No data: none in these months, or the exporter sums the trends over all teams (see Team filter at the top) and a team is selected")
	for i, q := range queries {
		q.instant = true
		q.expr = c.markPartial(q.expr)
		b = b.WithTarget(prometheusQuery(q, refID(i)))
	}
	return b
}

func sortByPeriod(field string) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{"sort": []map[string]any{{"field": field}}}}
}

// mitigationPanel shows the mean time to mitigate per period beside the
// number of mitigated incidents. The exporter keeps it per severity only,
// over all teams: with a team selected the panel shows no bar.
func (c Config) mitigationPanel() *barchart.PanelBuilder {
	ts := []string{teamFilter, severityFilter}
	return c.joinedBars("Mean time to mitigate, with the number of mitigated incidents, "+allTeams,
		"Mean time to mitigate (mitigated_at − started_at: impact stopped) of the incidents of the selected severities started each month that have a mitigation time, "+
			"beside how many: over all teams, since the exporter keeps it per severity only; with a team selected it shows no bar.",
		unitSeconds,
		query{expr: c.mean(m.MetricPeriodTimeToMitigate, m.LabelPeriod, ts...), legend: "mean"},
		query{expr: c.sumBy(m.MetricPeriodTimeToMitigate+"_count", m.LabelPeriod, ts...), legend: "incidents"}).
		NoValue("No data: no mitigated incident in these months, or a team is selected (the time to mitigate is kept per severity over all teams)").Span(24)
}

// soFarPanel says how far the current period, drawn as "(so far)", has
// gone: a partial month is not a better month.
func (c Config) soFarPanel() *stat.PanelBuilder {
	return statPanel("This "+c.PeriodUnit+" so far, "+allTeams+", "+allSeverities,
		"Days of the current "+c.PeriodUnit+" covered so far: its bars and rows are marked \""+strings.TrimSpace(partialSuffix)+"\" and hold only these days, so they are not comparable with the full ones yet.",
		unitCount, query{expr: c.currentPeriod() + " / 86400", legend: "{{period}}: days covered"}).
		Span(8).Height(3).Decimals(1)
}

// changeTable compares each period with the one before it: incidents,
// SEV1 share, MTTR, MTTD and customer-detected share, each with its
// change (absolute and relative). The current period's row says "(so far)".
func (c Config) changeTable(recover, detect periodDuration) *table.PanelBuilder {
	recoverSum, recoverCount := c.periodSums(recover)
	detectSum, detectCount := c.periodSums(detect)
	measures := []struct {
		name, unit string
		expr       string
	}{
		{"Incidents", unitCount, c.sumBy(m.MetricPeriodIncidents, m.LabelPeriod, teamFilter, severityFilter)},
		{c.topName() + " share", unitPercent, c.share(m.MetricPeriodIncidents, m.LabelPeriod, c.top(), teamFilter)},
		{"MTTR", unitSeconds, ratio(recoverSum, recoverCount)},
		{"MTTD", unitSeconds, ratio(detectSum, detectCount)},
		{"Customer-detected", unitPercent, c.share(m.MetricPeriodIncidentsByDetection, m.LabelPeriod, `detection="customer"`, teamFilter)},
	}
	cols := []column{{field: m.LabelPeriod, header: "Period"}}
	var queries []query
	for _, ms := range measures {
		for _, v := range []struct{ header, unit, expr string }{
			{ms.name, ms.unit, ms.expr},
			{ms.name + " change", ms.unit, c.change(ms.expr)},
			{ms.name + " change %", unitPercent, c.relativeChange(ms.expr)},
		} {
			cols = append(cols, column{field: "Value #" + refID(len(queries)), header: v.header, unit: v.unit})
			queries = append(queries, query{expr: c.markPartial(v.expr)})
		}
	}
	return tablePanel("Change against the previous "+c.PeriodUnit,
		"Each "+c.PeriodUnit+" beside the one before it: incidents (selected teams and severities), "+c.topName()+" share and customer-detected share ("+allSeverities+
			"; their change in points), MTTR and MTTD (as in the bars above: "+notBoth+"), each with its change and its relative change. "+
			"The current "+c.PeriodUnit+" is marked \""+strings.TrimSpace(partialSuffix)+"\": it holds only the days so far. No relative change after a "+c.PeriodUnit+" of 0.",
		"Period", cols, queries...).
		NoValue("No incidents in these months")
}

// rollingDurations shows MTTR and MTTD over each period and the two before
// it: a steadier line than one month of a few incidents.
func (c Config) rollingDurations(recover, detect periodDuration) *barchart.PanelBuilder {
	recoverSum, recoverCount := c.periodSums(recover)
	detectSum, detectCount := c.periodSums(detect)
	return c.joinedBars("Rolling three "+c.PeriodUnit+"s: MTTR and MTTD",
		"Mean time to recover and detect over each "+c.PeriodUnit+" and the two before it, beside how many incidents they hold: steadier than one "+c.PeriodUnit+" of a few incidents. "+notBoth,
		unitSeconds,
		query{expr: ratio(c.rolling3(recoverSum), c.rolling3(recoverCount)), legend: "MTTR, 3 " + c.PeriodUnit + "s"},
		query{expr: ratio(c.rolling3(detectSum), c.rolling3(detectCount)), legend: "MTTD, 3 " + c.PeriodUnit + "s"},
		query{expr: c.rolling3(detectCount), legend: "incidents"}).
		NoValue(notBothNoValue)
}

// rollingShares shows the SEV1 and customer-detected shares over each
// period and the two before it.
func (c Config) rollingShares() *barchart.PanelBuilder {
	all := c.sumBy(m.MetricPeriodIncidents, m.LabelPeriod, teamFilter)
	part := func(metric, matcher string) string {
		sum := c.sumBy(metric, m.LabelPeriod, teamFilter, matcher)
		return ratio(c.rolling3(fmt.Sprintf("(%s or 0 * %s)", sum, all)), c.rolling3(all))
	}
	return c.joinedBars("Rolling three "+c.PeriodUnit+"s: "+c.topName()+" and customer-detected share",
		"Share of the incidents ("+allSeverities+") of each "+c.PeriodUnit+" and the two before it that were "+c.topName()+", and that customers told us about first, beside how many incidents they hold.",
		unitPercent,
		query{expr: part(m.MetricPeriodIncidents, c.top()), legend: c.topName() + " share, 3 " + c.PeriodUnit + "s"},
		query{expr: part(m.MetricPeriodIncidentsByDetection, `detection="customer"`), legend: "customer-detected, 3 " + c.PeriodUnit + "s"},
		query{expr: c.rolling3(all), legend: "incidents"})
}
