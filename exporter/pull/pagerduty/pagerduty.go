// Package pagerduty is the pull source of PagerDuty: its incidents (REST
// API v2, GET /incidents) with their first acknowledgement and their
// resolution (GET /incidents/{id}/log_entries), priority or urgency as the
// severity's word, the service's or the escalation policy's team, and how
// the incident was triggered as its detection. PagerDuty holds no
// post-mortem: the records start as drafts, with the fields it cannot
// know set to the taxonomy's honest values and a finding each, for the
// team to complete. docs/pull.md says how each field is read.
package pagerduty

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
const Name = "pagerduty"

// DefaultBaseURL is PagerDuty's REST API (api.eu.pagerduty.com for an EU
// account).
const DefaultBaseURL = "https://api.pagerduty.com"

// pageSize is the most incidents, or log entries, one request lists: the
// API's maximum.
const pageSize = 100

// maxRange is the longest since..until range the incidents list takes
// (six months); an older cursor lists every incident instead.
const maxRange = 180 * 24 * time.Hour

// accept is the API version header.
const accept = "application/vnd.pagerduty+json;version=2"

// Config is the source's settings.
type Config struct {
	// API is the HTTP client's settings; its BaseURL defaults to
	// DefaultBaseURL and its Auth is set from Token.
	API apiclient.Config
	// Token is the REST API key (sent as "Token token=...", never shown).
	Token string
	// Mapping is the mapping file's pagerduty part: a service named in
	// its team map gives the team, before the escalation policy's.
	Mapping pull.SourceMapping
	// Now is the clock of the since..until range (default time.Now).
	Now func() time.Time
}

// Source lists PagerDuty's incidents.
type Source struct {
	api      *apiclient.Client
	inFlight int
	mapping  pull.SourceMapping
	now      func() time.Time
}

// New returns the source of cfg.
func New(cfg Config) (*Source, error) {
	client, inFlight, err := pull.NewClient(Name, DefaultBaseURL, cfg.Token, cfg.API, func(h http.Header, token string) {
		h.Set("Authorization", "Token token="+token)
	})
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{api: client, inFlight: inFlight, mapping: cfg.Mapping, now: cfg.Now}, nil
}

// Name is "pagerduty".
func (s *Source) Name() string { return Name }

// Pull lists the incidents created since cursor (RFC 3339; "" for all,
// and all too when the cursor is older than the API's six-month range)
// with their log entries. PagerDuty filters incidents by creation, not by
// change, so the next cursor is the creation of the oldest incident not
// yet resolved (it is listed again until it is), else of the newest one
// seen: an incident changes in PagerDuty until it is resolved.
func (s *Source) Pull(ctx context.Context, cursor string, emit func(pull.Incident) error) (string, error) {
	q := url.Values{
		"limit":     {strconv.Itoa(pageSize)},
		"total":     {"false"},
		"include[]": {"teams", "first_trigger_log_entries"},
	}
	now := s.now()
	if cursor != "" {
		since, err := time.Parse(time.RFC3339Nano, cursor)
		if err != nil {
			return "", fmt.Errorf("pagerduty: cursor %q is not an RFC 3339 time: %w", cursor, err)
		}
		if now.Sub(since) < maxRange {
			q.Set("since", since.UTC().Format(time.RFC3339))
			q.Set("until", now.UTC().Format(time.RFC3339))
		}
	}
	if q.Get("since") == "" {
		q.Set("date_range", "all")
	}
	var oldestOpen, newest time.Time
	for offset := 0; ; {
		q.Set("offset", strconv.Itoa(offset))
		var page incidentsPage
		if _, err := s.api.JSON(ctx, apiclient.Request{Path: "/incidents", Query: q, Header: http.Header{"Accept": {accept}}}, &page); err != nil {
			return "", fmt.Errorf("pagerduty: list incidents: %w", err)
		}
		for _, in := range page.Incidents {
			if in.ID == "" {
				return "", errors.New("pagerduty: list incidents: an incident without an id")
			}
			if in.Status != "resolved" && (oldestOpen.IsZero() || in.CreatedAt.Before(oldestOpen)) {
				oldestOpen = in.CreatedAt
			}
			if in.CreatedAt.After(newest) {
				newest = in.CreatedAt
			}
		}
		logs, err := pull.Fetch(ctx, s.inFlight, page.Incidents, s.logEntries)
		if err != nil {
			return "", err
		}
		for i, in := range page.Incidents {
			if err := emit(s.convert(in, logs[i])); err != nil {
				return "", err
			}
		}
		if !page.More {
			break
		}
		if len(page.Incidents) == 0 {
			return "", fmt.Errorf("pagerduty: list incidents: the page at offset %d is empty and says there are more", offset)
		}
		offset += len(page.Incidents)
	}
	switch {
	case !oldestOpen.IsZero():
		return oldestOpen.UTC().Format(time.RFC3339), nil
	case !newest.IsZero():
		return newest.UTC().Format(time.RFC3339), nil
	}
	return cursor, nil
}

// logEntries returns the overview log entries of an incident that was
// acknowledged or resolved (a triggered one has none to read, a merged
// one is not pulled).
func (s *Source) logEntries(ctx context.Context, in incident) ([]logEntry, error) {
	if in.Status == "triggered" || merged(in) {
		return nil, nil
	}
	var all []logEntry
	q := url.Values{"limit": {strconv.Itoa(pageSize)}, "total": {"false"}, "is_overview": {"true"}}
	for offset := 0; ; {
		q.Set("offset", strconv.Itoa(offset))
		var page logEntriesPage
		req := apiclient.Request{Path: "/incidents/" + url.PathEscape(in.ID) + "/log_entries", Query: q, Header: http.Header{"Accept": {accept}}}
		if _, err := s.api.JSON(ctx, req, &page); err != nil {
			return nil, fmt.Errorf("pagerduty: log entries of incident %d: %w", in.IncidentNumber, err)
		}
		all = append(all, page.LogEntries...)
		if !page.More {
			return all, nil
		}
		if len(page.LogEntries) == 0 {
			return nil, fmt.Errorf("pagerduty: log entries of incident %d: the page at offset %d is empty and says there are more", in.IncidentNumber, offset)
		}
		offset += len(page.LogEntries)
	}
}
