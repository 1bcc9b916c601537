package pagerduty

import (
	"fmt"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
)

// Why a field holds a value PagerDuty did not give: the finding's reason.
const (
	reasonStarted    = "not provided by pagerduty: the time it was triggered, until a person sets when the impact began"
	reasonDetection  = "derived from how the incident was triggered in pagerduty, until a person confirms it"
	reasonNoTrigger  = "not provided by pagerduty: the trigger's agent is unknown"
	reasonOrigin     = "not provided by pagerduty: unknown until a person sets it"
	reasonResolution = "not provided by pagerduty: other until a person says how it was resolved"
	reasonStatus     = "pagerduty holds no post-mortem: a draft for the team to complete"
)

// detections are the record's detection of the trigger's agent: a person
// who triggered it noticed it (internal), a service or an integration is
// monitoring (automated).
var detections = map[string]string{
	"user_reference":        "internal",
	"user":                  "internal",
	"service_reference":     "automated",
	"service":               "automated",
	"integration_reference": "automated",
	"integration":           "automated",
}

// convert turns an incident and its log entries into what the pull
// writes.
func (s *Source) convert(in incident, logs []logEntry) pull.Incident {
	inc := pull.Incident{
		SourceID: in.ID, URL: in.HTMLURL, UpdatedAt: in.CreatedAt,
		Fields:       map[string]any{},
		SourceFields: map[string]string{},
		Custom:       map[string]string{},
	}
	if in.IncidentNumber > 0 {
		inc.ID = fmt.Sprintf("PD-%d", in.IncidentNumber)
	}
	switch {
	case in.UpdatedAt != nil:
		inc.UpdatedAt = *in.UpdatedAt
	case in.LastStatusChangeAt != nil:
		inc.UpdatedAt = *in.LastStatusChangeAt
	}
	if merged(in) {
		into := "another incident"
		if in.ResolveReason.Incident != nil {
			into = in.ResolveReason.Incident.label()
		}
		inc.Gone = "merged into " + into + " in pagerduty"
		return inc
	}
	set := func(field, from string, v any) {
		inc.Fields[field] = v
		inc.SourceFields[field] = from
	}
	honest := func(field, from string, v any, reason string) {
		set(field, from, v)
		shown := fmt.Sprint(v)
		if t, ok := v.(time.Time); ok {
			shown = t.UTC().Format(time.RFC3339)
		}
		inc.Findings = append(inc.Findings, pull.Finding{Field: field, SourceField: from, Value: shown, Reason: reason})
	}
	set("title", "title", in.Title)
	set("detected_at", "created_at", in.CreatedAt)
	honest("started_at", "created_at", in.CreatedAt, reasonStarted)
	if ack := first(logs, "acknowledge_log_entry"); !ack.IsZero() {
		set("acknowledged_at", "log_entries[acknowledge_log_entry]", ack)
	}
	if in.Status == "resolved" {
		switch resolve := first(logs, "resolve_log_entry"); {
		case in.ResolvedAt != nil:
			set("resolved_at", "resolved_at", *in.ResolvedAt)
		case !resolve.IsZero():
			set("resolved_at", "log_entries[resolve_log_entry]", resolve)
		case in.LastStatusChangeAt != nil:
			set("resolved_at", "last_status_change_at", *in.LastStatusChangeAt)
		}
		honest("resolution", "", "other", reasonResolution)
	}
	switch {
	case in.Priority.label() != "":
		set("severity", "priority.name", in.Priority.label())
	case in.Urgency != "":
		set("severity", "urgency", in.Urgency)
	}
	service := in.Service.label()
	if service != "" {
		set("services", "service.summary", []string{service})
	}
	switch _, mapped := s.mapping.Values["team"][pull.Fold(service)]; {
	case service != "" && mapped:
		set("team", "service.summary", service)
	case len(in.Teams) > 0 && in.Teams[0].label() != "":
		set("team", "teams[0] (the escalation policy's team)", in.Teams[0].label())
	case service != "":
		set("team", "service.summary", service)
	}
	const trigger = "first_trigger_log_entry.agent.type"
	if in.FirstTriggerLogEntry != nil && in.FirstTriggerLogEntry.Agent != nil {
		agent := in.FirstTriggerLogEntry.Agent.Type
		if d, ok := detections[agent]; ok {
			set("detection", trigger, d)
			inc.Findings = append(inc.Findings, pull.Finding{Field: "detection", SourceField: trigger, Value: agent, Reason: reasonDetection})
		} else {
			inc.Findings = append(inc.Findings, pull.Finding{Field: "detection", SourceField: trigger, Value: agent, Reason: reasonNoTrigger})
		}
	} else {
		inc.Findings = append(inc.Findings, pull.Finding{Field: "detection", SourceField: trigger, Reason: reasonNoTrigger})
	}
	honest("origin", "", "unknown", reasonOrigin)
	honest("status", "", "draft", reasonStatus)
	for name, v := range map[string]string{
		"urgency": in.Urgency, "priority": in.Priority.label(), "service": service,
		"escalation_policy": in.EscalationPolicy.label(),
	} {
		if v != "" {
			inc.Custom[name] = v
		}
	}
	if in.IncidentType != nil && in.IncidentType.Name != "" {
		inc.Custom["incident_type"] = in.IncidentType.Name
	}
	return inc
}

// merged tells an incident merged into another one.
func merged(in incident) bool {
	return in.ResolveReason != nil && in.ResolveReason.Type == "merge_resolve_reason"
}

// first is the time of the earliest log entry of the type, zero when
// there is none.
func first(logs []logEntry, typ string) time.Time {
	var at time.Time
	for _, e := range logs {
		if e.Type == typ && (at.IsZero() || e.CreatedAt.Before(at)) {
			at = e.CreatedAt
		}
	}
	return at
}
