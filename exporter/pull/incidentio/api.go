package incidentio

import "time"

// The shapes of incident.io's public API v2 this source reads, and only
// the fields it reads (testdata/incidentio.schema.json holds the same
// fields, written from the published description).

type incidentsPage struct {
	Incidents      []incident `json:"incidents"`
	PaginationMeta struct {
		After string `json:"after"`
	} `json:"pagination_meta"`
}

type incident struct {
	ID                    string    `json:"id"`
	Reference             string    `json:"reference"`
	Name                  string    `json:"name"`
	Summary               string    `json:"summary"`
	Permalink             string    `json:"permalink"`
	Mode                  string    `json:"mode"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
	PostmortemDocumentURL string    `json:"postmortem_document_url"`
	Severity              *named    `json:"severity"`
	IncidentType          *named    `json:"incident_type"`
	IncidentStatus        status    `json:"incident_status"`
	RoleAssignments       []role    `json:"incident_role_assignments"`
	CustomFieldEntries    []custom  `json:"custom_field_entries"`
	TimestampValues       []stamp   `json:"incident_timestamp_values"`
}

type named struct {
	Name string `json:"name"`
}

type status struct {
	Name     string `json:"name"`
	Category string `json:"category"`
}

type role struct {
	Role struct {
		Name     string `json:"name"`
		RoleType string `json:"role_type"`
	} `json:"role"`
	Assignee *user `json:"assignee"`
}

type user struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// who is how a person is written in a record: the e-mail address, else
// the name.
func (u *user) who() string {
	if u == nil {
		return ""
	}
	if u.Email != "" {
		return u.Email
	}
	return u.Name
}

type custom struct {
	CustomField struct {
		Name string `json:"name"`
	} `json:"custom_field"`
	Values []customValue `json:"values"`
}

type customValue struct {
	ValueText    string `json:"value_text"`
	ValueNumeric string `json:"value_numeric"`
	ValueLink    string `json:"value_link"`
	ValueOption  *struct {
		Value string `json:"value"`
	} `json:"value_option"`
	ValueCatalogEntry *named `json:"value_catalog_entry"`
}

// text is the value as a person reads it.
func (v customValue) text() string {
	switch {
	case v.ValueOption != nil:
		return v.ValueOption.Value
	case v.ValueCatalogEntry != nil:
		return v.ValueCatalogEntry.Name
	case v.ValueText != "":
		return v.ValueText
	case v.ValueNumeric != "":
		return v.ValueNumeric
	}
	return v.ValueLink
}

type stamp struct {
	IncidentTimestamp named `json:"incident_timestamp"`
	Value             *struct {
		Value *time.Time `json:"value"`
	} `json:"value"`
}

// at is the timestamp's value, zero when it has none.
func (s stamp) at() time.Time {
	if s.Value == nil || s.Value.Value == nil {
		return time.Time{}
	}
	return *s.Value.Value
}

type followUpsPage struct {
	FollowUps []followUp `json:"follow_ups"`
}

type followUp struct {
	ID            string     `json:"id"`
	Title         string     `json:"title"`
	Status        string     `json:"status"`
	Assignee      *user      `json:"assignee"`
	CreatedAt     time.Time  `json:"created_at"`
	CompletedAt   *time.Time `json:"completed_at"`
	ExternalIssue *issueLink `json:"external_issue_reference"`
}

type issueLink struct {
	IssuePermalink string `json:"issue_permalink"`
}
