package collectors

import (
	"cmp"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	actionItemsDesc = newDesc(MetricActionItems,
		"Action items by the team that owns them and their status.", []string{LabelTeam, LabelStatus})
	overdueDesc = newDesc(MetricActionItemsOverdue,
		"Open action items past the end of their due day.", []string{LabelTeam})
	unownedDesc = newDesc(MetricActionItemsUnowned,
		"Open action items written without an owner (a finding of rule action_item_owner; their incidents still count).", []string{LabelTeam})
	exceptionsDesc = newDesc(MetricActionItemsExceptions,
		"Action items with an approved exception (a larger item with its own due date), by status.", []string{LabelTeam, LabelStatus})
	itemOverdueDesc = newDesc(MetricActionItemOverdue,
		"How long an open action item is past the end of its due day (YYYY-MM-DD), with its title (at most 100 characters), ticket and post-mortem links and where its status comes from (record, or tracker: its ticket); one series per item, the most overdue first, up to the configured limit.",
		[]string{LabelID, LabelIncident, LabelOwner, LabelTeam, LabelSeverity, LabelDue, LabelTicketURL, LabelRecordURL, LabelStateSource, LabelTitle},
		listedUpTo(func(b bounds) int { return b.opts.OverdueItemsLimit }))
	itemOverdueDroppedDesc = newDesc(MetricActionItemOverdueDrop,
		"Overdue action items left out of "+MetricActionItemOverdue+" by the series limit.", nil)
	itemExceptionDesc = newDesc(MetricActionItemException,
		"Always 1: an open action item with an approved exception (a larger item with its own due day), with who approved it (empty when the record does not say); the earliest due first, up to the configured limit.",
		[]string{LabelID, LabelIncident, LabelOwner, LabelTeam, LabelSeverity, LabelApprover, LabelDue, LabelTicketURL, LabelRecordURL},
		listedUpTo(func(b bounds) int { return cmp.Or(b.opts.ExceptionItemsLimit, snapshot.DefaultExceptionItemsLimit) }))
	itemExceptionDroppedDesc = newDesc(MetricActionItemExceptionDrop,
		"Open action items with an exception left out of "+MetricActionItemException+" by the series limit.", nil)
	completionDesc = newDesc(MetricActionItemCompletion,
		"Histogram of the time from created_at to closed_at of the action items done in the window, over all teams.", []string{LabelWindow},
		histogramOf(snapshot.CompletionBuckets))
	teamCompletionDesc = newDesc(MetricTeamActionItemCompletion,
		"Sum and count of the time from created_at to closed_at of the action items done in the window, by team.", []string{LabelWindow, LabelTeam},
		summaryOf(nil))
	teamCompletionDetailDesc = newDesc(MetricTeamActionItemCompletionDetail,
		"Histogram of the time from created_at to closed_at of the action items done in the window, by team (--metrics.detail).", []string{LabelWindow, LabelTeam},
		histogramOf(snapshot.CompletionBuckets), onlyWith(withDetail))
	itemsDueDesc = newDesc(MetricActionItemsDue,
		"Action items whose due day ended in the window, by outcome as of now: on_time (done by the end of the due day), late (done after it), open (not done: overdue), wont_do.",
		[]string{LabelWindow, LabelTeam, LabelOutcome})
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
		gauge(ch, itemOverdueDesc, it.Overdue.Seconds(), it.ID, it.Incident, it.Owner, it.Team, it.Severity,
			snapshot.DueDay(it.Due), it.URL, it.IncidentURL, it.StateSource, titleLabel(it.Title))
	}
	gauge(ch, itemOverdueDroppedDesc, float64(s.OverdueItemsDropped))
	for _, it := range s.ExceptionItems {
		gauge(ch, itemExceptionDesc, 1, it.ID, it.Incident, it.Owner, it.Team, it.Severity, it.Approver, snapshot.DueDay(it.Due), it.URL, it.IncidentURL)
	}
	gauge(ch, itemExceptionDroppedDesc, float64(s.ExceptionItemsDropped))
	for _, w := range s.Windows {
		all := snapshot.NewHistogram(snapshot.CompletionBuckets)
		for team, c := range w.Completion {
			all.Add(c.Time)
			summary(ch, teamCompletionDesc, &snapshot.Summary{Count: c.Time.Count, Sum: c.Time.Sum}, w.Window.Name, team)
			if s.Detail {
				histogram(ch, teamCompletionDetailDesc, &c.Time, w.Window.Name, team)
			}
		}
		for k, n := range w.ItemsDue {
			gauge(ch, itemsDueDesc, float64(n), w.Window.Name, k.Team, k.Value)
		}
		if len(w.Completion) > 0 {
			histogram(ch, completionDesc, &all, w.Window.Name)
		}
	}
	return nil
}

// TitleLabelMax is the most characters of an item's title the overdue
// series carry, so that a notification names the item and a pasted
// paragraph does not make a label of kilobytes.
const TitleLabelMax = 100

// titleLabel is title cut to TitleLabelMax characters, the last one an
// ellipsis when it was cut.
func titleLabel(title string) string {
	runes := []rune(title)
	if len(runes) <= TitleLabelMax {
		return title
	}
	return string(runes[:TitleLabelMax-1]) + "…"
}
