package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Grafana units used by the panels.
const (
	unitSeconds = units.Seconds
	unitPercent = units.PercentUnit
	unitCount   = units.Short
	// unitDays shows a number of days as days ("412.5 days"): Grafana's
	// own "d" turns 537 days into "1.47 year".
	unitDays = "suffix: days"
)

// The matchers of the template variables.
const (
	teamFilter     = `team=~"$team"`
	severityFilter = `severity=~"$severity"`
	windowFilter   = `window="$window"`
)

// datasource is the `$datasource` variable every panel queries.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// query is one PromQL target of a panel.
type query struct {
	expr, legend string
	instant      bool
}

// prometheusQuery builds a Prometheus target on the $datasource variable.
func prometheusQuery(q query, refID string) *prometheus.DataqueryBuilder {
	b := prometheus.NewDataqueryBuilder().Datasource(datasource).Expr(q.expr).LegendFormat(q.legend).RefId(refID)
	if q.instant {
		b = b.Instant().Format(prometheus.PromQueryFormatTable)
	}
	return b
}

func refID(i int) string { return string(rune('A' + i)) }

// Thresholds. Grafana's default (green, red from 80) judges every value
// against 80 whatever its unit; every panel sets its own instead.

// neutral colours every value alike: a duration or a count that is
// neither good nor bad by itself.
func neutral() *dashboard.ThresholdsConfigBuilder { return steps("blue") }

// thresholdsValue is thresholds as the value of a field override.
func thresholdsValue(b *dashboard.ThresholdsConfigBuilder) dashboard.ThresholdsConfig {
	t, err := b.Build()
	if err != nil {
		panic(err) // steps builds no invalid thresholds
	}
	return t
}

// badFrom is green below each limit and then orange, red: counts of
// things that should not exist (overdue items), shares to keep low.
func badFrom(orange, red float64) *dashboard.ThresholdsConfigBuilder {
	return steps("green", orange, "orange", red, "red")
}

// goodFrom is red below orange, orange below green, then green: the
// on-time ratio.
func goodFrom(orange, green float64) *dashboard.ThresholdsConfigBuilder {
	return steps("red", orange, "orange", green, "green")
}

// steps builds absolute thresholds: a base colour, then value, colour pairs.
func steps(base string, more ...any) *dashboard.ThresholdsConfigBuilder {
	s := []dashboard.Threshold{{Color: base}}
	for i := 0; i+1 < len(more); i += 2 {
		s = append(s, dashboard.Threshold{Value: cog.ToPtr(more[i].(float64)), Color: more[i+1].(string)})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(s)
}

// lastNotNull is the reduction of every stat and legend: the current
// value, or the last one seen.
var lastNotNull = []string{"lastNotNull"}

// statPanel shows the current value of each query, named by its legend.
func statPanel(title, description, unit string, queries ...query) *stat.PanelBuilder {
	b := stat.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(5).Span(6).GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs(lastNotNull).Values(false)).
		TextMode(common.BigValueTextModeAuto).ColorMode(common.BigValueColorModeValue).
		Thresholds(neutral())
	for i, q := range queries {
		q.instant = true
		b = b.WithTarget(prometheusQuery(q, refID(i)).Format(prometheus.PromQueryFormatTimeSeries))
	}
	return b
}

// countOverride shows the queries whose legend starts with "incidents"
// (sample sizes beside a duration) as plain counts.
func countOverride() (string, []dashboard.DynamicConfigValue) {
	return "incidents.*", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}, {Id: "color", Value: map[string]any{"mode": "fixed", "fixedColor": "text"}}}
}

// trendPanel draws each query over time with a legend table and a
// tooltip that lists every series.
func trendPanel(title, description, unit string, queries ...query) *timeseries.PanelBuilder {
	b := timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(8).Span(12).Min(0).Thresholds(neutral()).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeTable).
			Placement(common.LegendPlacementBottom).Calcs(lastNotNull)).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	for i, q := range queries {
		b = b.WithTarget(prometheusQuery(q, refID(i)))
	}
	return b
}

// column is a column of a table: the field the query returns, its header,
// and where its value links to.
type column struct {
	field, header, link string
	unit                string // a value column's unit, "" for a label
	// colour, when set, colours the cell's text by these thresholds.
	colour *dashboard.ThresholdsConfigBuilder
	// empty is the text of an empty cell ("(no owner)"), "" to leave it
	// empty.
	empty string
	// words, when set, shows each value of the column in words (a rule's
	// title for its name).
	words map[string]string
}

// valueWords is the Grafana value mapping that shows each value in words.
func valueWords(words map[string]string) dashboard.DynamicConfigValue {
	options := map[string]any{}
	for value, text := range words {
		options[value] = map[string]any{"text": text}
	}
	return dashboard.DynamicConfigValue{Id: "mappings", Value: []map[string]any{{"type": "value", "options": options}}}
}

// ruleWords are the quality rules' titles by name (record.RuleTitle).
func ruleWords() map[string]string {
	words := map[string]string{}
	for _, r := range record.QualityRules {
		words[r.Name] = r.Title
	}
	return words
}

// lessThanADay is how a column of days shows a value under one day: a
// number rounded to 0 would read as "not late" (or a red 0).
const lessThanADay = "less than a day"

// linkToValue opens the URL a column holds, as it is: raw, since
// Grafana's default format (percent-encoding since Grafana 10) would
// encode the URL's own escapes again.
const linkToValue = "${__value.raw:raw}"

// teamLink opens the team drill-down for the team a column holds, with
// the window, job, data source and time range of this dashboard. The team
// is percent-encoded, so that a team such as "a&b c/d" stays one value.
const teamLink = "/d/" + uidTeam + "?var-team=${__value.raw:percentencode}&${window:queryparam}&${job:queryparam}&${datasource:queryparam}&${__url_time_range}"

// tablePanel lists instant queries as rows, one per label set, with the
// columns in the given order under their headers. Several queries are
// merged on their common labels; the value of query A is "Value #A".
// Rows are sorted by the column sortBy, descending.
func tablePanel(title, description, sortBy string, columns []column, queries ...query) *table.PanelBuilder {
	rename := map[string]any{}
	order := map[string]any{}
	for i, col := range columns {
		rename[col.field] = col.header
		order[col.field] = i
	}
	b := table.NewPanelBuilder().Title(title).Description(description).Unit(unitCount).Datasource(datasource).
		Height(10).Span(24).Thresholds(neutral()).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName(sortBy).Desc(true)})
	for i, q := range queries {
		q.instant = true
		b = b.WithTarget(prometheusQuery(q, refID(i)))
	}
	if len(queries) > 1 {
		b = b.WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}})
	}
	b = b.WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": excludedColumns(columns),
		"renameByName":  rename,
		"indexByName":   order,
	}})
	for _, col := range columns {
		var props []dashboard.DynamicConfigValue
		if col.unit != "" {
			props = append(props, dashboard.DynamicConfigValue{Id: "unit", Value: col.unit})
		}
		if col.colour != nil {
			props = append(props, dashboard.DynamicConfigValue{Id: "thresholds", Value: thresholdsValue(col.colour)},
				dashboard.DynamicConfigValue{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}})
		}
		if col.words != nil {
			props = append(props, valueWords(col.words))
		}
		if col.link != "" {
			props = append(props, dashboard.DynamicConfigValue{Id: "links", Value: []map[string]any{{"title": col.header, "url": col.link}}})
		}
		if col.unit == unitDays {
			props = append(props, dashboard.DynamicConfigValue{Id: "decimals", Value: 1},
				dashboard.DynamicConfigValue{Id: "mappings", Value: []map[string]any{{"type": "range", "options": map[string]any{
					"from": 0, "to": 0.99999, "result": map[string]any{"text": lessThanADay, "color": "orange"}}}}})
		}
		if col.empty != "" {
			props = append(props, dashboard.DynamicConfigValue{Id: "mappings", Value: []map[string]any{
				{"type": "special", "options": map[string]any{"match": "empty", "result": map[string]any{"text": col.empty}}},
				{"type": "special", "options": map[string]any{"match": "null", "result": map[string]any{"text": col.empty}}},
			}})
		}
		if props != nil {
			b = b.OverrideByName(col.header, props)
		}
	}
	return b
}

// excludedColumns hides the columns an instant query adds that are not
// in the table: the time, the metric name, the target labels, and the
// value of an info metric (always 1).
func excludedColumns(columns []column) map[string]any {
	exclude := map[string]any{"Time": true, "__name__": true, "job": true, "instance": true, "Value": true}
	for _, col := range columns {
		delete(exclude, col.field)
	}
	return exclude
}

// variables are the template variables of every dashboard: the data
// source, the job, the window, and the teams and severities found in the
// data.
// A dashboard shows only the variables its panels use.
func (c Config) variables(v vars) []cog.Builder[dashboard.VariableModel] {
	out := []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus"),
		c.jobVariable(),
	}
	if v&varWindow != 0 {
		out = append(out, dashboard.NewCustomVariableBuilder("window").Label("Window").
			Values(dashboard.StringOrMap{String: cog.ToPtr(strings.Join(c.Windows, ","))}).
			Current(option(c.shortWindow())))
	}
	if v&(varTeam|varOneTeam) != 0 {
		out = append(out, c.labelVariable("team", "Team", v&varTeam != 0))
	}
	if v&varSeverity != 0 {
		out = append(out, c.labelVariable("severity", "Severity", true))
	}
	return out
}

// vars says which variables a dashboard has besides the data source and
// the job.
type vars int

const (
	varWindow   vars = 1 << iota // $window
	varTeam                      // $team, several teams or All
	varOneTeam                   // $team, one team
	varSeverity                  // $severity
)

// jobVariable picks the exporter's job: the configured one by default.
func (c Config) jobVariable() *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf("label_values(%s, job)", "postmortem_exporter_build_info")
	return dashboard.NewQueryVariableBuilder("job").Label("Job").Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).
		Current(option(c.Job))
}

// labelVariable lists a label's values across every series of the job
// that has the label: a team that only owns action items, or whose
// incidents are older than the longest window, can still be chosen.
func (c Config) labelVariable(name, label string, multi bool) *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf(`label_values({%s, %s!=""}, %s)`, c.jobMatcher(), name, name)
	b := dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).Multi(multi)
	if multi {
		b = b.IncludeAll(true).AllValue(".*").Current(option("$__all"))
	}
	return b
}

func option(value string) dashboard.VariableOption {
	return dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
		Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
	}
}

// Dashboard uids, stable: links and bookmarks use them.
const (
	uidOverview    = "postmortem-overview"
	uidActionItems = "postmortem-action-items"
	uidTeam        = "postmortem-team"
	uidTrends      = "postmortem-trends"
	uidQuality     = "postmortem-quality"
)

// dashboardTag marks every dashboard of the pack; the links menu lists
// the dashboards with it.
const dashboardTag = "postmortem"

// newDashboard starts a dashboard with what all of them share. The v1
// dashboard schema is chosen on purpose: it is what Grafana's file
// provisioning and dashboard import take; the v2 schema needs Grafana's
// new API.
func (c Config) newDashboard(uid, title, description string, v vars) *dashboard.DashboardBuilder {
	//lint:ignore SA1019 the v1 schema is what file provisioning loads, see above
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).Description(description).
		Tags([]string{dashboardTag, "incidents"}).
		Readonly(). // generated and provisioned: edits belong in this code, not in Grafana
		Time("now-90d", "now").Refresh("5m").
		Timezone(common.TimeZoneUtc).
		Link(dashboard.NewDashboardLinkBuilder("Post-mortems").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{dashboardTag}).AsDropdown(false).IncludeVars(true).KeepTime(true)).
		Variables(c.variables(v))
}
