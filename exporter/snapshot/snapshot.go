// Package snapshot holds the immutable aggregates the collectors publish.
// A source builds a new Snapshot on every refresh; scrapes only read it.
package snapshot

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Window is a rolling window ending at the snapshot's AsOf instant.
type Window struct {
	Name   string // the `window` label, e.g. "30d"
	Length time.Duration
}

// Contains reports whether t lies in the window (asOf − Length, asOf].
func (w Window) Contains(t, asOf time.Time) bool {
	return !t.After(asOf) && t.After(asOf.Add(-w.Length))
}

// DueDays are the due days of the items due in the window: those whose
// due day ended in it (record.ActionItem.OverdueAt), so that whether each
// was done on time is settled. They are the UTC dates from first, and
// before end.
func (w Window) DueDays(asOf time.Time) (first, end time.Time) {
	const day = 24 * time.Hour
	// The end of day d is d + 1 day: in (asOf − Length, asOf] when d is in
	// (asOf − Length − 1 day, asOf − 1 day].
	return asOf.Add(-w.Length - day).Truncate(day).Add(day), asOf.Add(-day).Truncate(day).Add(day)
}

// HasDue reports whether an item due on the day due (midnight UTC) is due
// in the window as of asOf: whether due is one of DueDays. An item without
// a due day is due in no window.
func (w Window) HasDue(due, asOf time.Time) bool {
	first, end := w.DueDays(asOf)
	return !due.IsZero() && !due.Before(first) && due.Before(end)
}

// Snapshot is everything the collectors need, computed as of one instant.
type Snapshot struct {
	Source     string // "files" or "postgres": the `source` label
	AsOf       time.Time
	Severities []string // the taxonomy's severities, for the severity share
	Windows    []WindowStats
	// Periods are the calendar periods, oldest first; the aggregates the
	// trend dashboard narrows by team carry the team only when
	// PeriodsByTeam (the team is "" otherwise).
	Periods       []PeriodStats
	PeriodsByTeam bool
	// PeriodUnit is the unit of Periods (Month, Week or Quarter).
	PeriodUnit string
	// Trends are the forum report's calendar periods of every unit
	// (PeriodUnits), oldest first, covering the span of Periods.
	Trends map[string][]TrendPeriod
	// Teams is the number of teams the snapshot has series for, and
	// PeriodTeamsLimit the most with which --periods.by-team=auto keeps
	// the team (Options.PeriodTeamsLimit).
	Teams, PeriodTeamsLimit int
	// Detail asks the collectors for the per (window, severity, team)
	// histograms beyond the default series budget.
	Detail bool
	// Trackers says the action items' tickets are synced: the collectors
	// publish the tracker_drift rule only then (Options.Trackers).
	Trackers bool

	// Records is the number of valid records the snapshot was built from.
	Records int
	// OpenIncidents counts incidents started but not resolved as of AsOf.
	OpenIncidents map[SeverityTeam]int

	ActionItems   map[TeamStatus]int
	OverdueByTeam map[string]int
	// UnownedByTeam counts open items written without an owner, of valid
	// and invalid records alike (an owner problem is a finding).
	UnownedByTeam map[string]int
	// Exceptions counts items with an approved exception, by status.
	Exceptions map[TeamStatus]int
	// OverdueItems are the most overdue items first, at most the limit.
	OverdueItems []OverdueItem
	// OverdueItemsDropped is how many overdue items the limit left out.
	OverdueItemsDropped int
	// ExceptionItems are the open items with an exception, the earliest
	// due first, at most the limit; ExceptionItemsDropped how many the
	// limit left out.
	ExceptionItems        []ExceptionItem
	ExceptionItemsDropped int

	ReviewsPending map[TeamStatus]PendingReviews

	// Invalid counts invalid records per reason and team (empty when
	// unknown); a record with several reasons counts once under each.
	Invalid  map[InvalidKey]int
	Problems []record.Problem
	// Stale counts the records served in their last valid version because
	// their file is invalid now (an edit in flight); they are in Records.
	Stale int
	// Removed counts the records served at one refresh and at a later one
	// no more, without a problem to show for it (their file deleted,
	// excluded or no longer a record), since the source started: the
	// files source's; 0 for PostgreSQL, whose import prints each removal.
	Removed int

	// Agenda is what the forum's report lists beyond the metrics.
	Agenda

	Quality
}

// InvalidKey keys the invalid records by reason and team.
type InvalidKey struct {
	Code record.Code
	Team string
}

// InvalidCount is how many records are invalid for a reason, all teams.
func (s *Snapshot) InvalidCount(code record.Code) int {
	n := 0
	for k, c := range s.Invalid {
		if k.Code == code {
			n += c
		}
	}
	return n
}

// SeverityTeam keys aggregates by severity and team.
type SeverityTeam struct{ Severity, Team string }

// TeamStatus keys aggregates by team and status.
type TeamStatus struct{ Team, Status string }

// TeamValue keys a classification (detection, origin, resolution) by team.
type TeamValue struct{ Team, Value string }

// WindowStats aggregates the incidents started, and the action items
// completed and due, in one window.
type WindowStats struct {
	Window       Window
	Incidents    map[SeverityTeam]*IncidentStats
	ByDetection  map[TeamValue]int
	ByOrigin     map[TeamValue]int
	ByResolution map[TeamValue]int
	// Services holds the top services by incident count, the rest summed
	// under OtherService.
	Services map[string]int
	// Custom counts the incidents by the value of each configured custom
	// field: the top values of each, the rest under OtherService.
	Custom map[CustomValue]int
	// Completion is keyed by team.
	Completion map[string]*CompletionStats
	// ItemsDue counts the items whose due day ended in the window
	// (Window.DueDays) by team and outcome (the Value): ItemOnTime,
	// ItemLate, ItemStillOpen (overdue), ItemWontDo. A team with any has
	// every outcome, 0 included.
	ItemsDue map[TeamValue]int
	// BySeverity and ByTeam are the exact summaries of the durations, over
	// all teams (SummaryQuantiles) and over all severities (TeamQuantiles).
	BySeverity map[string]*DurationSummaries
	ByTeam     map[string]*DurationSummaries
}

// PeriodStats aggregates the incidents started, and the action items due,
// in one calendar period. The keys of Incidents, the classifications and
// ItemsDue hold the team "" unless PeriodsByTeam; those of the other
// counts always hold "" (they are summed over the teams).
type PeriodStats struct {
	Period       Period
	Incidents    map[SeverityTeam]int
	Security     map[string]int // by team
	DataLoss     map[string]int
	Repeat       map[string]int
	ByDetection  map[TeamValue]int
	ByOrigin     map[TeamValue]int
	ByResolution map[TeamValue]int
	// BySeverity are exact summaries with SummaryQuantiles. ByTeam, only
	// when PeriodsByTeam, has the TeamQuantiles of time to detect
	// and recover (the p90 of a team's month is its slowest incident or
	// two: more series than it is worth).
	BySeverity map[string]*DurationSummaries
	ByTeam     map[string]*DurationSummaries
	// ItemsDue counts the items due in the period by outcome (the Value):
	// ItemOnTime, ItemLate, ItemStillOpen, ItemWontDo.
	ItemsDue     map[TeamValue]int
	ItemsCreated map[string]int // items created in the period
	ItemsClosed  map[string]int // items done or dropped in the period
}

// Outcomes of an action item due in a period, as of the snapshot.
const (
	ItemOnTime    = "on_time" // done before the end of its due day
	ItemLate      = "late"    // done after it
	ItemStillOpen = "open"    // not closed yet
	ItemWontDo    = "wont_do" // closed without being done
)

// ItemOutcomes are the outcomes in the order they are published.
var ItemOutcomes = []string{ItemOnTime, ItemLate, ItemStillOpen, ItemWontDo}

// OtherService is the service label that sums the services beyond the top N.
const OtherService = "other"

// IncidentStats aggregates the incidents of one severity and team.
type IncidentStats struct {
	Count          int
	TimeToDetect   Histogram
	TimeToMitigate Histogram // only mitigated incidents
	TimeToRecover  Histogram // only resolved incidents
	// Impact sums.
	CustomersAffected int64
	FailedRequests    int64
	DataLoss          int
	Security          int
	Repeat            int
	// Learnings sums the records' learnings.
	Learnings int
	// PublicationDelay observes published_at − resolved_at of the
	// published incidents.
	PublicationDelay Histogram
}

// CompletionStats aggregates the action items one team completed.
type CompletionStats struct {
	Time Histogram // closed_at − created_at of done items
}

// OverdueItem is one open action item past its due day.
type OverdueItem struct {
	ID, Incident, Owner, Team, Severity string
	Title                               string // the item's title, as written
	Overdue                             time.Duration
	Due                                 time.Time // the due day
	URL                                 string    // the item's ticket, may be empty
	IncidentURL                         string    // the post-mortem document, may be empty
	// StateSource says where its status comes from: record.StateRecord
	// or record.StateTracker (its ticket, read in a sync).
	StateSource string
}

// ExceptionItem is one open action item with an approved exception: a
// larger item with its own due day, listed with who approved it.
type ExceptionItem struct {
	ID, Incident, Owner, Team string
	Severity                  string    // the incident's
	Approver                  string    // empty when the record did not name one
	Due                       time.Time // the due day, zero when none
	URL                       string    // the item's ticket, may be empty
	IncidentURL               string    // the post-mortem document, may be empty
}

// DueDay shows a due day as YYYY-MM-DD (UTC), empty when there is none:
// the `due` label, and the report's due column.
func DueDay(due time.Time) string {
	if due.IsZero() {
		return ""
	}
	return due.UTC().Format(time.DateOnly)
}

// DefaultExceptionItemsLimit is how many items with an exception are
// listed when Options leave ExceptionItemsLimit at 0.
const DefaultExceptionItemsLimit = 100

// PendingReviews counts incidents whose post-mortem is not published.
type PendingReviews struct {
	Count int
	// OldestResolved is the earliest resolved_at among them, zero when none
	// is resolved yet: the age of a pending review runs from resolution.
	OldestResolved time.Time
}

// IncidentDurationBuckets are the histogram bounds, in seconds, for time to
// detect, mitigate and recover: from minutes to a week.
var IncidentDurationBuckets = []float64{
	300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 7 * 86400,
}

// PublicationBuckets are the histogram bounds, in seconds, for the time
// from resolution to publication: a day, three, the default limit of
// published_late (10 days), a month.
var PublicationBuckets = []float64{86400, 3 * 86400, 10 * 86400, 30 * 86400}

// CompletionBuckets are the histogram bounds, in seconds, for the time to
// complete an action item: from a day to half a year.
var CompletionBuckets = []float64{
	86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400, 180 * 86400,
}
