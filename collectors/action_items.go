package collectors

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	actionItemsDesc = newDesc(MetricActionItems,
		"Action items by the team that owns them and their status.", []string{LabelTeam, LabelStatus}, nil)
	overdueDesc = newDesc(MetricActionItemsOverdue,
		"Open action items past the end of their due day.", []string{LabelTeam}, nil)
	unownedDesc = newDesc(MetricActionItemsUnowned,
		"Open action items written without an owner (a finding of rule action_item_owner; their incidents still count).", []string{LabelTeam}, nil)
	exceptionsDesc = newDesc(MetricActionItemsExceptions,
		"Action items with an approved exception (a larger item with its own due date), by status.", []string{LabelTeam, LabelStatus}, nil)
	itemOverdueDesc = newDesc(MetricActionItemOverdue,
		"How long an open action item is past the end of its due day; one series per item, the most overdue first, up to the configured limit.",
		[]string{LabelID, LabelIncident, LabelOwner, LabelTeam, LabelSeverity}, nil)
	itemOverdueInfoDesc = newDesc(MetricActionItemOverdueInfo,
		"Always 1: the due day and links of each item in "+MetricActionItemOverdue+", to join in alerts and tables: * on (id) group_left (due, ticket_url, postmortem_url).",
		[]string{LabelID, LabelDue, LabelTicketURL, LabelRecordURL}, nil)
	itemOverdueDroppedDesc = newDesc(MetricActionItemOverdueDrop,
		"Overdue action items left out of "+MetricActionItemOverdue+" by the series limit.", nil, nil)
	completionDesc = newDesc(MetricActionItemCompletion,
		"Histogram of the time from created_at to closed_at of the action items done in the window, over all teams.", []string{LabelWindow}, nil)
	teamCompletionDesc = newDesc(MetricTeamActionItemCompletion,
		"Sum and count of the time from created_at to closed_at of the action items done in the window, by team.", []string{LabelWindow, LabelTeam}, nil)
	teamCompletionDetailDesc = newDesc(MetricTeamActionItemCompletionDetail,
		"Histogram of the time from created_at to closed_at of the action items done in the window, by team (--metrics.detail).", []string{LabelWindow, LabelTeam}, nil)
	onTimeDesc = newDesc(MetricActionItemsOnTime,
		"Action items done in the window before the end of their due day.", []string{LabelWindow, LabelTeam}, nil)
	onTimeRatioDesc = newDesc(MetricActionItemsOnTimeRatio,
		"Share of the action items done in the window that were done on time.", []string{LabelWindow, LabelTeam}, nil)
)

// actionItemsCollector publishes whether action items get done.
type actionItemsCollector struct{}

func (actionItemsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for k, n := range s.ActionItems {
		gauge(ch, actionItemsDesc, float64(n), k.Team, k.Status)
	}
	for k, n := range s.Exceptions {
		gauge(ch, exceptionsDesc, float64(n), k.Team, k.Status)
	}
	for team, n := range s.OverdueByTeam {
		gauge(ch, overdueDesc, float64(n), team)
	}
	for team, n := range s.UnownedByTeam {
		gauge(ch, unownedDesc, float64(n), team)
	}
	for _, it := range s.OverdueItems {
		gauge(ch, itemOverdueDesc, it.Overdue.Seconds(), it.ID, it.Incident, it.Owner, it.Team, it.Severity)
		gauge(ch, itemOverdueInfoDesc, 1, it.ID, it.Due.Format(time.DateOnly), it.URL, it.IncidentURL)
	}
	gauge(ch, itemOverdueDroppedDesc, float64(s.OverdueItemsDropped))
	for _, w := range s.Windows {
		all := snapshot.NewHistogram(snapshot.CompletionBuckets)
		for team, c := range w.Completion {
			all.Add(c.Time)
			summary(ch, teamCompletionDesc, &snapshot.Summary{Count: c.Time.Count, Sum: c.Time.Sum}, w.Window.Name, team)
			if s.Detail {
				histogram(ch, teamCompletionDetailDesc, &c.Time, w.Window.Name, team)
			}
			gauge(ch, onTimeDesc, float64(c.OnTime), w.Window.Name, team)
			if c.Time.Count > 0 {
				gauge(ch, onTimeRatioDesc, float64(c.OnTime)/float64(c.Time.Count), w.Window.Name, team)
			}
		}
		if len(w.Completion) > 0 {
			histogram(ch, completionDesc, &all, w.Window.Name)
		}
	}
	return nil
}
