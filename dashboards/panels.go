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
)

// Grafana units used by the panels.
const (
	unitSeconds = units.Seconds
	unitPercent = units.PercentUnit
	unitCount   = units.Short
	unitDays    = "d"
)

// datasource is the `$datasource` variable every panel queries.
var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// selector builds a label selector from the config's selector and matchers.
func (c Config) selector(matchers ...string) string {
	all := append([]string{c.Selector}, matchers...)
	return "{" + strings.Join(all, ", ") + "}"
}

// teamFilter and friends are the matchers of the template variables.
const (
	teamFilter     = `team=~"$team"`
	severityFilter = `severity=~"$severity"`
	windowFilter   = `window="$window"`
)

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

// statPanel shows the current value of each query.
func statPanel(title, description, unit string, queries ...query) *stat.PanelBuilder {
	b := stat.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(5).Span(6).GraphMode(common.BigValueGraphModeArea)
	for i, q := range queries {
		b = b.WithTarget(prometheusQuery(q, refID(i)))
	}
	return b
}

// trendPanel draws each query over time.
func trendPanel(title, description, unit string, queries ...query) *timeseries.PanelBuilder {
	b := timeseries.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(8).Span(12).Min(0)
	for i, q := range queries {
		b = b.WithTarget(prometheusQuery(q, refID(i)))
	}
	return b
}

// tablePanel lists the series of one instant query, a row each.
func tablePanel(title, description, unit string, q query) *table.PanelBuilder {
	q.instant = true
	return table.NewPanelBuilder().Title(title).Description(description).Unit(unit).Datasource(datasource).
		Height(10).Span(24).WithTarget(prometheusQuery(q, refID(0))).
		WithTransformation(dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
			"excludeByName": map[string]any{"Time": true, "__name__": true, "job": true, "instance": true},
		}})
}

// variables are the template variables of every dashboard: the datasource,
// the window, and the teams and severities found in the data.
func (c Config) variables(multiTeam bool) []cog.Builder[dashboard.VariableModel] {
	windows := strings.Join(c.Windows, ",")
	return []cog.Builder[dashboard.VariableModel]{
		dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus"),
		dashboard.NewCustomVariableBuilder("window").Label("Window").
			Values(dashboard.StringOrMap{String: cog.ToPtr(windows)}).
			Current(option(c.shortWindow())),
		labelVariable(c, "team", "Team", multiTeam),
		labelVariable(c, "severity", "Severity", true),
	}
}

func labelVariable(c Config, name, label string, multi bool) *dashboard.QueryVariableBuilder {
	query := fmt.Sprintf("label_values(%s%s, %s)", "postmortem_incidents", c.selector(), name)
	b := dashboard.NewQueryVariableBuilder(name).Label(label).Datasource(datasource).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).Definition(query).
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

// newDashboard starts a dashboard with what all of them share. The v1
// dashboard schema is chosen on purpose: it is what Grafana's file
// provisioning and dashboard import take; the v2 schema needs Grafana's
// new API.
func (c Config) newDashboard(uid, title, description string, multiTeam bool) *dashboard.DashboardBuilder {
	//lint:ignore SA1019 the v1 schema is what file provisioning loads, see above
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).Description(description).
		Tags([]string{"postmortem", "incidents"}).
		Readonly(). // generated and provisioned: edits belong in this code, not in Grafana
		Time("now-90d", "now").Refresh("5m").
		Timezone(common.TimeZoneUtc).
		Variables(c.variables(multiTeam))
}
