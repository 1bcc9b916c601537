package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// actionItems shows whether the action items get done: open, overdue and
// done per team, the aging list, unowned items and exceptions, and how
// long items take.
func (c Config) actionItems() *dashboard.DashboardBuilder {
	tw := []string{windowFilter, teamFilter}
	noneDone := "No item done in the window"
	return c.newDashboard(uidActionItems, "Post-mortems: action items",
		"Open, overdue and done action items per team, the overdue items with their owners, and how long items take.", varWindow|varTeam).
		WithRow(dashboard.NewRowBuilder("Per team, " + asOfNow)).
		WithPanel(trendPanel("Open, overdue and done per team", "Action items by status, "+asOfNow+" at each point of the graph (the counts are not windowed).", unitCount,
			query{expr: c.sumBy(m.MetricActionItems, "team", teamFilter, `status="open"`), legend: "open {{team}}"},
			query{expr: c.sumBy(m.MetricActionItemsOverdue, "team", teamFilter), legend: "overdue {{team}}"},
			query{expr: c.sumBy(m.MetricActionItems, "team", teamFilter, `status="done"`), legend: "done {{team}}"}).NoValue("No action items")).
		WithPanel(statPanel("Overdue items", fmt.Sprintf("Open items past the end of their due day, "+asOfNow+"; red from %d, when the team alert fires.", c.TeamOverdueItems+1), unitCount,
			query{expr: c.count(m.MetricActionItemsOverdue, teamFilter), legend: "overdue"}).
			Thresholds(badFrom(1, float64(c.TeamOverdueItems+1))).ColorMode("background").Height(8)).
		WithPanel(statPanel("Unowned items", "Open items written without an owner, "+asOfNow+": a finding (action_item_owner) on their record; their incidents still count.", unitCount,
			query{expr: c.count(m.MetricActionItemsUnowned, teamFilter), legend: "unowned"}).Thresholds(badFrom(1, 1)).Height(8)).
		WithRow(dashboard.NewRowBuilder("Aging")).
		WithPanel(c.overdueTable("Overdue action items", teamFilter)).
		WithPanel(c.overdueByOwner()).
		WithRow(dashboard.NewRowBuilder("Exceptions")).
		WithPanel(c.exceptionsTable(teamFilter)).
		WithPanel(tablePanel("Exceptions by status", "Items with an approved exception by team and status, "+asOfNow+": listed apart, still counted in every figure above.", "Items",
			[]column{{field: "team", header: "Team", link: teamLink}, {field: "status", header: "Status"}, {field: "Value", header: "Items", unit: unitCount}},
			query{expr: c.sumBy(m.MetricActionItemsExceptions, "team, status", teamFilter)}).NoValue("No exceptions").Span(12).Height(8)).
		WithPanel(statPanel("Items not listed", "Items of "+allTeams+" left out of the lists above by the exporter's limits, "+asOfNow+
			" (--overdue-items.limit, --exception-items.limit): raise the limit when this is not 0.", unitCount,
			query{expr: c.count(m.MetricActionItemOverdueDrop), legend: "overdue"},
			query{expr: c.count(m.MetricActionItemExceptionDrop), legend: "exceptions"}).Thresholds(badFrom(1, 1)).Height(8).Span(12)).
		WithRow(dashboard.NewRowBuilder("Completion")).
		WithPanel(statPanel("Time to complete", "Mean of closed_at − created_at of the selected teams' items done in the window, beside how many; p90 over "+allTeams+" (estimated from the histogram's buckets).", unitSeconds,
			query{expr: c.mean(m.MetricTeamActionItemCompletion, "", tw...), legend: "mean"},
			query{expr: fmt.Sprintf("histogram_quantile(0.9, %s) and %s > 0", c.sumBy(m.MetricActionItemCompletion+"_bucket", "le", windowFilter),
				c.sumBy(m.MetricActionItemCompletion+"_count", "", windowFilter)), legend: "p90, all teams"},
			query{expr: c.sumBy(m.MetricTeamActionItemCompletion+"_count", "", tw...), legend: "items done"}).
			OverrideByName("items done", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}}).NoValue(noneDone).Span(12)).
		WithPanel(statPanel("On-time ratio", fmt.Sprintf("Of the selected teams' items due in the window (their due day ended in it), done or still open, the share done by the end of their due day, beside how many were due; "+
			"items dropped as won't do are left out. Orange below %g, red below %g.", c.OnTimeTarget, c.OnTimeTarget/2), unitPercent,
			query{expr: c.onTime("", tw...), legend: "on time"},
			query{expr: c.sumBy(m.MetricActionItemsDue, "", append(tw, `outcome!="wont_do"`)...), legend: "items due"}).
			OverrideByName("items due", []dashboard.DynamicConfigValue{{Id: "unit", Value: unitCount}, {Id: "thresholds", Value: thresholdsValue(neutral())}}).
			Thresholds(goodFrom(c.OnTimeTarget/2, c.OnTimeTarget)).ColorMode("background").NoValue("No item due in the window").Span(12))
}

// overdueTable lists the overdue items, most overdue first, with their
// owner, team, incident, due day and links.
func (c Config) overdueTable(title string, matchers ...string) *table.PanelBuilder {
	return tablePanel(title, "One row per overdue item, "+asOfNow+": its owner, team, incident and title, the due day, links to its ticket and post-mortem, and the days since its due day ended.", "Days overdue",
		append(itemColumns(column{field: m.LabelTitle, header: "Title"}), column{field: "Value", header: "Days overdue", unit: unitDays}),
		query{expr: c.overdueItems(matchers...)}).NoValue("No overdue action items")
}

// noOwner is the owner cell of an item written without one.
const noOwner = "(no owner)"

// overdueByOwner lists who owes overdue work: per owner, how many items
// are overdue and by how many days the oldest is, most overdue first.
// It reads the per-item series, so items beyond --overdue-items.limit
// are not in it ("Items not listed" counts them).
func (c Config) overdueByOwner() *table.PanelBuilder {
	items := c.dedup(m.MetricActionItemOverdue, teamFilter)
	return tablePanel("Overdue work by owner", "Per owner, "+asOfNow+": the overdue items they own and the days since the due day of the oldest one ended, "+
		"most overdue first; "+noOwner+" for items written without an owner. Items beyond the exporter's --overdue-items.limit are left out (see Items not listed).",
		"Most days overdue",
		[]column{
			{field: m.LabelOwner, header: "Owner", empty: noOwner},
			{field: "Value #A", header: "Overdue items", unit: unitCount},
			{field: "Value #B", header: "Most days overdue", unit: unitDays},
		},
		query{expr: fmt.Sprintf("count by (%s) (%s)", m.LabelOwner, items)},
		query{expr: fmt.Sprintf("max by (%s) (%s) / 86400", m.LabelOwner, items)}).
		NoValue("No overdue action items").Span(12).Height(8)
}

// itemColumns are the columns of a table of action items: the item, who
// owns it, its incident, the given columns, its due day and its links.
func itemColumns(more ...column) []column {
	cols := []column{
		{field: m.LabelID, header: "Item"},
		{field: m.LabelOwner, header: "Owner", empty: noOwner},
		{field: m.LabelTeam, header: "Team", link: teamLink},
		{field: m.LabelIncident, header: "Incident"},
		{field: m.LabelSeverity, header: "Severity"},
	}
	return append(append(cols, more...),
		column{field: m.LabelDue, header: "Due"},
		column{field: m.LabelTicketURL, header: "Ticket", link: linkToValue},
		column{field: m.LabelRecordURL, header: "Post-mortem", link: linkToValue})
}

// exceptionsTable lists the open items with an approved exception, the
// earliest due first, with who approved them.
func (c Config) exceptionsTable(matchers ...string) *table.PanelBuilder {
	return tablePanel("Open exceptions", "One row per open item a leader approved as larger, with its own due day, "+asOfNow+
		": its owner, team, incident, who approved it, the due day and links, the earliest due first. "+
		"Such items are counted in every figure (overdue included), and listed here so the forum sees them. "+
		"Approver not named: the record's exception is plain text; write it as approver and reason.", "Due",
		itemColumns(column{field: m.LabelApprover, header: "Approver", empty: "not named"}),
		query{expr: c.dedup(m.MetricActionItemException, matchers...)}).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Due").Desc(false)}).
		NoValue("No open exceptions").Height(8)
}
