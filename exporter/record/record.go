// Package record holds the post-mortem record model, its taxonomy and the
// rules that make a record valid.
package record

import (
	"fmt"
	"slices"
	"time"
)

// Record is one incident post-mortem with its action items.
type Record struct {
	// Path names where the record came from: a file path or a database row.
	Path string
	// Line is the line the record starts on in Path, 0 when unknown.
	Line int

	ID               string
	Title            string
	Severity         string
	SecurityIncident bool
	Team             string
	Services         []string
	URL              string
	StartedAt        time.Time
	DetectedAt       time.Time
	AcknowledgedAt   time.Time // zero when nobody acknowledged the page
	MitigatedAt      time.Time // zero when not mitigated
	ResolvedAt       time.Time // zero while the incident is open
	Origin           string
	Resolution       string
	Detection        string
	Impact           Impact
	Related          []string
	Status           string
	PublishedAt      time.Time
	ActionItems      []ActionItem

	// The quality bar (docs/quality.md): who ran and who challenged the
	// review, what was learnt that is not an action, and the security
	// review of a security incident.
	Moderator      string
	BarRaiser      string
	Learnings      []string
	SecurityReview *SecurityReview // nil when the record has none

	// Custom holds the source's other fields (custom.go): each value a
	// string, a bool or a json.Number. Nil when the record has none.
	Custom map[string]any

	// refused marks the fields (team, url, services[i]) whose value
	// cannot be a label (longer than its limit, or a name with a
	// character that is refused), nil when none is: set by Validate, read
	// by LabelTeam, LabelURL and LabelServices.
	refused map[string]bool

	// lines holds the line each field path (e.g. "resolved_at" or
	// "action_items[1].owner") was written on.
	lines lineTable
}

// Impact is what the incident cost users.
type Impact struct {
	CustomersAffected int64
	FailedRequests    int64
	DataLoss          bool
	P99LatencyMS      int64
}

// SecurityReview is the review of an incident's security dimension.
type SecurityReview struct {
	By      string
	Outcome string
	Date    time.Time // zero when not given
}

// ActionItem is one follow-up task that came out of a post-mortem.
type ActionItem struct {
	ID        string
	Title     string
	Owner     string // empty when the record named no owner
	Team      string // defaults to the record's team
	CreatedAt time.Time
	Due       time.Time // the start of the due day, UTC
	Status    string
	ClosedAt  time.Time
	// Exception is the reason a leader approved a larger item, empty
	// without one; ExceptionApprover names the leader. The plain-text form
	// (`exception: Approved by ... because ...`) sets only Exception.
	Exception         string
	ExceptionApprover string
	URL               string
	// StateSource says where Status and ClosedAt come from: StateTracker
	// when a ticket read in a sync gave them (exporter/trackers), empty
	// or StateRecord when the record did.
	StateSource string
}

// Sources of an action item's state (ActionItem.StateSource), the
// `state_source` label.
const (
	StateRecord  = "record"
	StateTracker = "tracker"
)

// StateSourceLabel is the item's StateSource as a label: StateRecord
// when it is empty.
func (a ActionItem) StateSourceLabel() string {
	if a.StateSource == "" {
		return StateRecord
	}
	return a.StateSource
}

// Statuses of a post-mortem review.
const (
	StatusDraft     = "draft"
	StatusInReview  = "in_review"
	StatusPublished = "published"
)

// ReviewStatuses are the statuses of a post-mortem review, in order.
var ReviewStatuses = []string{StatusDraft, StatusInReview, StatusPublished}

// Statuses of an action item.
const (
	ItemOpen   = "open"
	ItemDone   = "done"
	ItemWontDo = "wont_do"
)

// ItemStatuses are the statuses of an action item.
var ItemStatuses = []string{ItemOpen, ItemDone, ItemWontDo}

// Clone returns a copy of r whose action items can be changed without
// changing r's; the rest is shared and must not be changed.
func (r *Record) Clone() *Record {
	c := *r
	c.ActionItems = slices.Clone(r.ActionItems)
	return &c
}

// refuse marks a field whose value cannot be a label.
func (r *Record) refuse(field string) {
	if r.refused == nil {
		r.refused = map[string]bool{}
	}
	r.refused[field] = true
}

// LabelTeam is the team as a label: empty when it is longer than
// Limits.MaxLabelLength or holds a refused character (Validate). The record is then invalid, its problems and
// findings are counted with team="", and its action items, whose team
// defaults to it, are left out with a field_invalid finding each.
func (r *Record) LabelTeam() string {
	if r.refused["team"] {
		return ""
	}
	return r.Team
}

// LabelURL is the url as a label: empty when it is longer than
// Limits.MaxURLLength or not an absolute http or https URL (a
// field_invalid finding).
func (r *Record) LabelURL() string {
	if r.refused["url"] {
		return ""
	}
	return r.URL
}

// LabelURL is the item's url as a label: empty when it is not an
// absolute http or https URL (a field_invalid finding on the record; the
// item still counts). An over-long url leaves the whole item out.
func (a ActionItem) LabelURL() string {
	if a.URL != "" && !isWebURL(a.URL) {
		return ""
	}
	return a.URL
}

// LabelServices are the services as labels: without those longer than
// Limits.MaxLabelLength (a field_invalid finding each).
func (r *Record) LabelServices() []string {
	if r.refused == nil {
		return r.Services
	}
	services := make([]string, 0, len(r.Services))
	for i, svc := range r.Services {
		if !r.refused[fmt.Sprintf("services[%d]", i)] {
			services = append(services, svc)
		}
	}
	return services
}

// Resolved reports whether the incident has a resolved_at time.
func (r *Record) Resolved() bool { return !r.ResolvedAt.IsZero() }

// Acknowledged reports whether the incident has an acknowledged_at time.
func (r *Record) Acknowledged() bool { return !r.AcknowledgedAt.IsZero() }

// Mitigated reports whether the incident has a mitigated_at time.
func (r *Record) Mitigated() bool { return !r.MitigatedAt.IsZero() }

// TimeToDetect is detected_at − started_at, in seconds.
func (r *Record) TimeToDetect() float64 { return Seconds(r.StartedAt, r.DetectedAt) }

// TimeToAcknowledge is acknowledged_at − started_at, in seconds; only
// meaningful when Acknowledged.
func (r *Record) TimeToAcknowledge() float64 { return Seconds(r.StartedAt, r.AcknowledgedAt) }

// TimeToMitigate is mitigated_at − started_at, in seconds; only meaningful
// when Mitigated.
func (r *Record) TimeToMitigate() float64 { return Seconds(r.StartedAt, r.MitigatedAt) }

// TimeToRecover is resolved_at − started_at, in seconds; only meaningful
// when Resolved.
func (r *Record) TimeToRecover() float64 { return Seconds(r.StartedAt, r.ResolvedAt) }

// Seconds is to − from in seconds, for any two times: a time.Duration
// stops at 292 years, and an invalid row of the database that is taken
// back out of the rollups may hold 8,000 (resolved in 9999).
func Seconds(from, to time.Time) float64 {
	return float64(to.Unix()-from.Unix()) + float64(to.Nanosecond()-from.Nanosecond())/1e9
}

// OverdueAt is the instant an item becomes overdue: the end of its due day.
func (a *ActionItem) OverdueAt() time.Time { return a.Due.Add(24 * time.Hour) }

// Overdue reports whether the item is open and past the end of its due
// day; an item without a due day never is.
func (a *ActionItem) Overdue(now time.Time) bool {
	return a.Status == ItemOpen && !a.Due.IsZero() && now.After(a.OverdueAt())
}

// OpenAt reports whether the item existed and was not yet closed at t.
func (a *ActionItem) OpenAt(t time.Time) bool {
	if a.CreatedAt.After(t) {
		return false
	}
	return a.Status == ItemOpen || a.ClosedAt.After(t)
}

// Shift moves every instant of the record by d; the bundled examples use it
// to stay inside the rolling windows whenever the exporter runs.
func (r *Record) Shift(d time.Duration) {
	for _, t := range []*time.Time{&r.StartedAt, &r.DetectedAt, &r.AcknowledgedAt, &r.MitigatedAt, &r.ResolvedAt, &r.PublishedAt} {
		shiftTime(t, d)
	}
	if r.SecurityReview != nil {
		shiftTime(&r.SecurityReview.Date, d)
	}
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		for _, t := range []*time.Time{&a.CreatedAt, &a.Due, &a.ClosedAt} {
			shiftTime(t, d)
		}
	}
}

func shiftTime(t *time.Time, d time.Duration) {
	if !t.IsZero() {
		*t = t.Add(d)
	}
}
