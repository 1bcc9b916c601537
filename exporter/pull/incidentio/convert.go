package incidentio

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
)

// knownStamps are the record fields of incident.io's own timestamp names
// (folded, without a trailing " at"). "Reported" is not among them: it is
// the detection time only when no timestamp gives one.
var knownStamps = map[string]string{
	"impact started": "started_at",
	"detected":       "detected_at",
	"accepted":       "acknowledged_at",
	"acknowledged":   "acknowledged_at",
	"fixed":          "mitigated_at",
	"mitigated":      "mitigated_at",
	"resolved":       "resolved_at",
	"closed":         "published_at",
}

// listFields are the record fields that hold a list.
var listFields = []string{"services", "related", "learnings"}

// convert turns an incident into what the pull writes; the follow-ups
// are added by the caller.
func (s *Source) convert(in incident) pull.Incident {
	inc := pull.Incident{
		SourceID: in.ID, ID: in.Reference, URL: in.Permalink, UpdatedAt: in.UpdatedAt,
		Fields:       map[string]any{"title": in.Name},
		SourceFields: map[string]string{"title": "name"},
		Custom:       map[string]string{},
		Skipped:      skipped(in),
		Gone:         gone(in),
	}
	if inc.Skipped != "" || inc.Gone != "" {
		return inc
	}
	if in.Severity != nil && in.Severity.Name != "" {
		s.put(&inc, "severity", "severity.name", in.Severity.Name)
	}
	s.put(&inc, "status", "incident_status.category", in.IncidentStatus.Category)
	if in.IncidentType != nil && in.IncidentType.Name != "" {
		inc.Custom["Incident type"] = in.IncidentType.Name
	}
	if in.PostmortemDocumentURL != "" {
		inc.Custom["Post-mortem document"] = in.PostmortemDocumentURL
	}
	s.stamps(&inc, in)
	for _, r := range in.RoleAssignments {
		if who := r.Assignee.who(); who != "" && r.Role.Name != "" {
			s.named(&inc, r.Role.Name, fmt.Sprintf("incident_role_assignments[%s]", r.Role.Name), []string{who})
		}
	}
	for _, e := range in.CustomFieldEntries {
		var values []string
		for _, v := range e.Values {
			if t := strings.TrimSpace(v.text()); t != "" {
				values = append(values, t)
			}
		}
		if len(values) > 0 && e.CustomField.Name != "" {
			s.named(&inc, e.CustomField.Name, fmt.Sprintf("custom_field_entries[%s]", e.CustomField.Name), values)
		}
	}
	if sum := strings.TrimSpace(in.Summary); sum != "" {
		inc.Narrative = "## Summary\n\n" + sum + "\n"
	}
	return inc
}

// stamps sets the record's times from the incident's timestamps: by the
// mapping file's fields, else incident.io's own names, else a name that
// is a record time field ("Resolved at"). Detection falls back on the
// "Reported" timestamp, then on created_at; a missing start of impact is
// the earlier of the report and the detection, with a finding.
func (s *Source) stamps(inc *pull.Incident, in incident) {
	reported, reportedFrom := in.CreatedAt, "created_at"
	for _, st := range in.TimestampValues {
		at, name := st.at(), st.IncidentTimestamp.Name
		if at.IsZero() || name == "" {
			continue
		}
		from := fmt.Sprintf("incident_timestamp_values[%s]", name)
		field, ok := s.stampField(name)
		switch {
		case ok:
			s.put(inc, field, from, at)
		case strings.TrimSuffix(pull.Fold(name), " at") == "reported":
			reported, reportedFrom = at, from
		default:
			inc.Custom[name] = at.UTC().Format(time.RFC3339)
		}
	}
	if _, ok := inc.Fields["detected_at"]; !ok && !reported.IsZero() {
		s.put(inc, "detected_at", reportedFrom, reported)
	}
	if _, ok := inc.Fields["started_at"]; !ok {
		if detected, ok := inc.Fields["detected_at"].(time.Time); ok {
			inc.Fields["started_at"] = detected
			if !reported.IsZero() && reported.Before(detected) {
				inc.Fields["started_at"] = reported
			}
			inc.Findings = append(inc.Findings, pull.Finding{Field: "started_at", SourceField: "incident_timestamp_values[Impact started]",
				Reason: "not set in incidentio: the time it was reported or detected, until a person sets when the impact began"})
		}
	}
}

// stampField is the record field of a timestamp's name ("Identified at"
// is also found as "Identified" in the mapping's fields).
func (s *Source) stampField(name string) (string, bool) {
	key := pull.Fold(name)
	bare := strings.TrimSuffix(key, " at")
	for _, k := range []string{key, bare} {
		if f, ok := s.mapping.Fields[k]; ok {
			return f, true
		}
	}
	if f, ok := knownStamps[bare]; ok {
		return f, true
	}
	if f, ok := s.mapping.Field(name); ok && strings.HasSuffix(f, "_at") {
		return f, true
	}
	return "", false
}

// named keeps a named value (a custom field, a role) in the record field
// its name stands for (the mapping file's fields, else the name itself:
// "Team" is team), else under its name in custom.
func (s *Source) named(inc *pull.Incident, name, from string, values []string) {
	field, ok := s.mapping.Field(name)
	switch {
	case !ok:
		inc.Custom[name] = strings.Join(values, ", ")
	case slices.Contains(listFields, field):
		s.put(inc, field, from, values)
	case strings.HasSuffix(field, "_at"):
		at, err := time.Parse(time.RFC3339, values[0])
		if err != nil {
			inc.Findings = append(inc.Findings, pull.Finding{Field: field, SourceField: from, Value: values[0], Reason: "not an RFC 3339 time"})
			return
		}
		s.put(inc, field, from, at)
	case field == "security_incident":
		switch pull.Fold(values[0]) {
		case "true", "yes":
			s.put(inc, field, from, true)
		case "false", "no":
			s.put(inc, field, from, false)
		default:
			inc.Findings = append(inc.Findings, pull.Finding{Field: field, SourceField: from, Value: values[0], Reason: "not yes or no"})
		}
	default:
		s.put(inc, field, from, strings.Join(values, ", "))
	}
}

// put sets a record field, or a custom one ("custom.NAME"), and names the
// source field it came from.
func (s *Source) put(inc *pull.Incident, field, from string, v any) {
	if name, ok := strings.CutPrefix(field, "custom."); ok {
		switch v := v.(type) {
		case time.Time:
			inc.Custom[name] = v.UTC().Format(time.RFC3339)
		case []string:
			inc.Custom[name] = strings.Join(v, ", ")
		default:
			inc.Custom[name] = fmt.Sprint(v)
		}
		return
	}
	inc.Fields[field] = v
	inc.SourceFields[field] = from
}
