// Package incidentio is the pull source of incident.io: its incidents
// (public API v2, GET /v2/incidents) with their severity, status,
// timestamps, custom fields and roles, and their follow-ups
// (GET /v2/follow_ups) as action items. docs/pull.md says how each
// incident.io field becomes a record field.
package incidentio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// Name is the source's name in the state file, the mapping file and
// messages.
const Name = "incidentio"

// DefaultBaseURL is incident.io's API.
const DefaultBaseURL = "https://api.incident.io"

// DefaultPageSize is how many incidents one request lists; the API takes
// at most maxPageSize.
const (
	DefaultPageSize = 100
	maxPageSize     = 250
)

// Config is the source's settings.
type Config struct {
	// API is the HTTP client's settings; its BaseURL defaults to
	// DefaultBaseURL and its Auth is set from Token.
	API apiclient.Config
	// Token is the API key (sent as a bearer token, never shown).
	Token string
	// PageSize is how many incidents one request lists (default
	// DefaultPageSize, at most 250).
	PageSize int
	// Mapping is the mapping file's incidentio part: its fields name the
	// record field of a custom field, a timestamp or a role.
	Mapping pull.SourceMapping
}

// Source lists incident.io's incidents.
type Source struct {
	api      *apiclient.Client
	pageSize int
	mapping  pull.SourceMapping
	inFlight int
}

// New returns the source of cfg.
func New(cfg Config) (*Source, error) {
	client, inFlight, err := pull.NewClient(Name, DefaultBaseURL, cfg.Token, cfg.API, func(h http.Header, token string) {
		h.Set("Authorization", "Bearer "+token)
	})
	if err != nil {
		return nil, err
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	cfg.PageSize = min(cfg.PageSize, maxPageSize)
	return &Source{api: client, pageSize: cfg.PageSize, mapping: cfg.Mapping, inFlight: inFlight}, nil
}

// Name is "incidentio".
func (s *Source) Name() string { return Name }

// Pull lists the incidents updated since cursor (the last updated_at a
// pull saw, RFC 3339; "" for all) with their follow-ups. incident.io
// filters updated_at by day, so the incidents of the cursor's day that did
// not change since are listed again and left out here; the next cursor is
// the latest updated_at seen.
func (s *Source) Pull(ctx context.Context, cursor string, emit func(pull.Incident) error) (string, error) {
	var since time.Time
	if cursor != "" {
		t, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			return "", fmt.Errorf("incidentio: cursor %q is not an RFC 3339 time: %w", cursor, err)
		}
		since = t
	}
	latest := since
	after := ""
	for {
		q := url.Values{"page_size": {strconv.Itoa(s.pageSize)}}
		if after != "" {
			q.Set("after", after)
		}
		if !since.IsZero() {
			q.Set("updated_at[gte]", since.UTC().Format(time.DateOnly))
		}
		var page incidentsPage
		if _, err := s.api.JSON(ctx, apiclient.Request{Path: "/v2/incidents", Query: q}, &page); err != nil {
			return "", fmt.Errorf("incidentio: list incidents: %w", err)
		}
		var changed []incident
		for _, in := range page.Incidents {
			if in.ID == "" {
				return "", errors.New("incidentio: list incidents: an incident without an id")
			}
			if !in.UpdatedAt.Before(since) {
				changed = append(changed, in)
			}
			if in.UpdatedAt.After(latest) {
				latest = in.UpdatedAt
			}
		}
		items, err := pull.Fetch(ctx, s.inFlight, changed, s.followUps)
		if err != nil {
			return "", err
		}
		for i, in := range changed {
			inc := s.convert(in)
			inc.Items = items[i]
			if err := emit(inc); err != nil {
				return "", err
			}
		}
		next := page.PaginationMeta.After
		if next == "" || len(page.Incidents) == 0 {
			break
		}
		if next == after {
			return "", fmt.Errorf("incidentio: list incidents: the page after %s names itself as the next one", after)
		}
		after = next
	}
	if latest.IsZero() {
		return cursor, nil
	}
	return latest.UTC().Format(time.RFC3339Nano), nil
}

// followUps returns the action items of an incident's follow-ups; the
// deleted ones are left out.
func (s *Source) followUps(ctx context.Context, in incident) ([]pull.Item, error) {
	if skipped(in) != "" || gone(in) != "" {
		return nil, nil
	}
	var page followUpsPage
	if _, err := s.api.JSON(ctx, apiclient.Request{Path: "/v2/follow_ups", Query: url.Values{"incident_id": {in.ID}}}, &page); err != nil {
		return nil, fmt.Errorf("incidentio: follow-ups of %s: %w", in.Reference, err)
	}
	var items []pull.Item
	for _, f := range page.FollowUps {
		if f.Status == "deleted" {
			continue
		}
		it := pull.Item{SourceID: f.ID, Fields: map[string]any{"title": f.Title, "status": f.Status},
			SourceFields: map[string]string{"title": "follow_ups.title", "status": "follow_ups.status"}}
		if !f.CreatedAt.IsZero() {
			it.Fields["created_at"] = f.CreatedAt
		}
		if who := f.Assignee.who(); who != "" {
			it.Fields["owner"] = who
			it.SourceFields["owner"] = "follow_ups.assignee"
		}
		if f.CompletedAt != nil && f.Status != "outstanding" {
			it.Fields["closed_at"] = *f.CompletedAt
		}
		if f.ExternalIssue != nil && f.ExternalIssue.IssuePermalink != "" {
			it.Fields["url"] = f.ExternalIssue.IssuePermalink
		}
		items = append(items, it)
	}
	return items, nil
}

// skipped says why an incident is not pulled: a test or tutorial
// incident (the API leaves them out unless asked; this is in case), or
// one still in triage.
func skipped(in incident) string {
	switch {
	case in.Mode == "test" || in.Mode == "tutorial":
		return in.Mode + " incident"
	case in.IncidentStatus.Category == "triage":
		return "in triage, not accepted yet"
	}
	return ""
}

// gone says how an incident left incident.io's incidents.
func gone(in incident) string {
	switch in.IncidentStatus.Category {
	case "declined", "canceled":
		return in.IncidentStatus.Category + " in incident.io"
	case "merged":
		return "merged into another incident in incident.io"
	}
	return ""
}
