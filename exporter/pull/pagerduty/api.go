package pagerduty

import "time"

// The shapes of PagerDuty's REST API v2 this source reads, and only the
// fields it reads (testdata/pagerduty.schema.json holds the same fields,
// written from the published description).

type incidentsPage struct {
	Incidents []incident `json:"incidents"`
	More      bool       `json:"more"`
}

type incident struct {
	ID                   string     `json:"id"`
	IncidentNumber       int        `json:"incident_number"`
	Title                string     `json:"title"`
	HTMLURL              string     `json:"html_url"`
	Status               string     `json:"status"`
	Urgency              string     `json:"urgency"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            *time.Time `json:"updated_at"`
	ResolvedAt           *time.Time `json:"resolved_at"`
	LastStatusChangeAt   *time.Time `json:"last_status_change_at"`
	Service              *ref       `json:"service"`
	EscalationPolicy     *ref       `json:"escalation_policy"`
	Teams                []ref      `json:"teams"`
	Priority             *ref       `json:"priority"`
	FirstTriggerLogEntry *logEntry  `json:"first_trigger_log_entry"`
	ResolveReason        *struct {
		Type     string `json:"type"`
		Incident *ref   `json:"incident"`
	} `json:"resolve_reason"`
	IncidentType *struct {
		Name string `json:"name"`
	} `json:"incident_type"`
}

// ref is a reference to another object, or the object itself (an
// include[] gives the whole team).
type ref struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Summary string `json:"summary"`
	Name    string `json:"name"`
}

// label is how a person names the object: its name, else its summary.
func (r *ref) label() string {
	if r == nil {
		return ""
	}
	if r.Name != "" {
		return r.Name
	}
	return r.Summary
}

type logEntriesPage struct {
	LogEntries []logEntry `json:"log_entries"`
	More       bool       `json:"more"`
}

type logEntry struct {
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Agent     *ref      `json:"agent"`
}
