package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// actionItems shows whether the action items get done: open, overdue and
// done per team, the aging list, unowned items and exceptions.
func (c Config) actionItems() *dashboard.DashboardBuilder {
	tw := []string{windowFilter, teamFilter}
	return c.newDashboard("postmortem-action-items", "Post-mortems: action items",
		"Open, overdue and done action items per team, the overdue items with their owners, and how long items take.", true).
		WithRow(dashboard.NewRowBuilder("Per team")).
		WithPanel(trendPanel("Open, overdue and done per team", "Action items by status.", unitCount,
			query{expr: c.sumBy(m.MetricActionItems, "team", teamFilter, `status="open"`), legend: "open {{team}}"},
			query{expr: c.sumBy(m.MetricActionItemsOverdue, "team", teamFilter), legend: "overdue {{team}}"},
			query{expr: c.sumBy(m.MetricActionItems, "team", teamFilter, `status="done"`), legend: "done {{team}}"})).
		WithPanel(statPanel("Overdue items", "Open items past the end of their due day.", unitCount,
			query{expr: c.count(m.MetricActionItemsOverdue, teamFilter), legend: "overdue"}).ColorMode("background")).
		WithPanel(statPanel("Unowned items", "Open items written without an owner: a finding (action_item_owner); their incidents still count.", unitCount,
			query{expr: c.count(m.MetricActionItemsUnowned, teamFilter), legend: "unowned"})).
		WithRow(dashboard.NewRowBuilder("Aging")).
		WithPanel(tablePanel("Overdue action items", "One row per overdue item: owner, team, incident, due day and links; the value is days overdue.", unitDays,
			query{expr: "sort_desc(" + c.overdueItems(teamFilter) + ")"})).
		WithPanel(tablePanel("Exceptions", "Items a leader approved as larger, with their own due date: listed apart, still counted above.", unitCount,
			query{expr: c.sumBy(m.MetricActionItemsExceptions, "team, status", teamFilter)})).
		WithPanel(statPanel("Overdue items not listed", "Overdue items left out of the list by the exporter's series limit.", unitCount,
			query{expr: c.count(m.MetricActionItemOverdueDrop), legend: "not listed"})).
		WithRow(dashboard.NewRowBuilder("Completion")).
		WithPanel(statPanel("Time to complete", "Mean of closed_at − created_at of the selected teams' items done in the window; p90 over all teams (estimated from the histogram).", unitSeconds,
			query{expr: c.mean(m.MetricTeamActionItemCompletion, "window", tw...), legend: "mean"},
			query{expr: c.quantile(0.9, m.MetricActionItemCompletion, "window", windowFilter), legend: "p90, all teams"})).
		WithPanel(trendPanel("On-time ratio", "Items done before the end of their due day, of all items done in the window.", unitPercent,
			query{expr: c.sumBy(m.MetricActionItemsOnTime, "", tw...) + " / " + c.sumBy(m.MetricTeamActionItemCompletion+"_count", "", tw...), legend: "on time"}))
}
