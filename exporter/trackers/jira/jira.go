// Package jira reads action items' tickets from Jira Cloud (REST API v3,
// POST /rest/api/3/search/jql with token-based pagination) and Jira Data
// Center / Server (REST API v2, POST /rest/api/2/search with startAt
// pagination), by their keys, a hundred to a request.
//
// It is a small typed client over internal/apiclient, not one of the Go
// Jira clients: andygrunwald/go-jira (v1) predates search/jql, and the
// clients that have it (ctreminiom/go-atlassian) bring their own HTTP
// loop, which would bypass the one that bounds our timeouts, bodies,
// concurrency and retries. Only the fields mapped onto an item are asked
// for and decoded.
package jira

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// batchSize is the most keys one search asks for: Jira answers at most
// 100 issues a page when fields are limited, so a batch is one request.
const batchSize = 100

// fields are the issue fields asked for: all that is mapped, nothing else.
var fields = []string{"status", "resolution", "resolutiondate", "statuscategorychangedate", "assignee", "duedate", "updated"}

// keyPattern is a Jira issue key: the project key (a letter, then
// letters, digits or underscores) and the issue's number.
var keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*-[1-9][0-9]*$`)

type client struct {
	api   *apiclient.Client
	site  *url.URL
	cloud bool
}

// New returns the client of the Jira site t names. Jira Cloud (a site or
// api_url on *.atlassian.net) authenticates with t.User (the account's
// email) and an API token; Data Center / Server with a personal access
// token as a bearer token, or with t.User and a password when a user is
// given.
func New(t trackers.Tracker, token string, api apiclient.Config) (trackers.Client, error) {
	site, err := trackers.SiteURL(t)
	if err != nil {
		return nil, err
	}
	api.BaseURL = site.String()
	cloud := isCloud(site)
	if t.APIURL != "" {
		apiURL, err := trackers.SiteURL(trackers.Tracker{Kind: t.Kind, URL: t.APIURL})
		if err != nil {
			return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "api_url", Reason: "not an absolute http(s) address without credentials"}
		}
		api.BaseURL = apiURL.String()
		cloud = cloud || isCloud(apiURL)
	}
	switch {
	case token == "":
		return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "token", Reason: "empty"}
	case cloud && t.User == "":
		return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "user",
			Reason: "Jira Cloud needs the email address of the account the API token belongs to"}
	case t.User != "":
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(t.User+":"+token))
		api.Auth = func(h http.Header) { h.Set("Authorization", basic) }
	default:
		api.Auth = func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	}
	c, err := apiclient.New(api)
	if err != nil {
		return nil, fmt.Errorf("jira tracker %s: %w", site, err)
	}
	return &client{api: c, site: site, cloud: cloud}, nil
}

// isCloud tells Atlassian's cloud hosts from a Data Center's own.
func isCloud(u *url.URL) bool {
	return strings.HasSuffix(strings.ToLower(u.Hostname()), ".atlassian.net")
}

// Ref reads the issue key from a Jira address: .../browse/ABC-12, a
// board's ?selectedIssue=ABC-12, or .../issues/ABC-12.
func (c *client) Ref(raw string) (trackers.Ref, bool) {
	u, ok := trackers.OnSite(c.site, raw)
	if !ok {
		return trackers.Ref{}, false
	}
	if key := strings.ToUpper(u.Query().Get("selectedIssue")); keyPattern.MatchString(key) {
		return trackers.Ref{Key: key, URL: raw}, true
	}
	segments := strings.Split(strings.Trim(u.Path, "/"), "/")
	if n := len(segments); n >= 2 && (segments[n-2] == "browse" || segments[n-2] == "issues") {
		if key := strings.ToUpper(segments[n-1]); keyPattern.MatchString(key) {
			return trackers.Ref{Key: key, URL: raw}, true
		}
	}
	return trackers.Ref{}, false
}

// Tickets searches the keys a hundred at a time; a key the search does not
// return is asked for alone, which tells a moved issue (answered under its
// new key) from one deleted or hidden from the token (404: Jira does not
// tell the two apart).
func (c *client) Tickets(ctx context.Context, refs []trackers.Ref) (map[string]trackers.Ticket, error) {
	var keys, notKeys []string
	for _, k := range trackers.Keys(refs) {
		if keyPattern.MatchString(k) {
			keys = append(keys, k)
		} else {
			notKeys = append(notKeys, k) // never put into a JQL query or a path
		}
	}
	got, err := trackers.ReadInBatches(ctx, keys, batchSize, c.batch)
	for _, k := range notKeys {
		if got != nil {
			got[k] = trackers.Ticket{Key: k, Outcome: trackers.NotFound}
		}
	}
	return got, err
}

func (c *client) batch(ctx context.Context, keys []string) (map[string]trackers.Ticket, error) {
	got := make(map[string]trackers.Ticket, len(keys))
	issues, unknown, err := c.searchKnown(ctx, keys)
	if err != nil {
		return nil, err
	}
	for _, k := range unknown {
		got[k] = trackers.Ticket{Key: k, Outcome: trackers.NotFound}
	}
	for _, is := range issues {
		if !slices.Contains(keys, is.Key) {
			continue // a moved issue, answered under its new key: asked for by its old one below
		}
		t, err := is.ticket()
		if err != nil {
			return nil, err
		}
		got[is.Key] = t
	}
	for _, k := range keys {
		if _, ok := got[k]; ok {
			continue
		}
		t, err := c.one(ctx, k)
		if err != nil {
			return nil, err
		}
		got[k] = t
	}
	return got, nil
}

// searchKnown searches keys. When Jira refuses the query (400) because
// keys in it do not exist, it drops the keys its message names, or else
// halves the batch, until the rest is answered; a refusal of a single
// key that does not name it is the query's fault and an error. It returns
// the issues found and the keys dropped.
func (c *client) searchKnown(ctx context.Context, keys []string) ([]issue, []string, error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	issues, err := c.search(ctx, keys)
	var refused *apiclient.StatusError
	if !errors.As(err, &refused) || refused.Status != http.StatusBadRequest {
		return issues, nil, err
	}
	var named, rest []string
	for _, k := range keys {
		if strings.Contains(refused.Message, "'"+k+"'") {
			named = append(named, k)
		} else {
			rest = append(rest, k)
		}
	}
	switch {
	case len(named) > 0:
		issues, unknown, err := c.searchKnown(ctx, rest)
		return issues, append(named, unknown...), err
	case len(keys) == 1:
		return nil, nil, err
	}
	half := len(keys) / 2
	first, unknownFirst, err := c.searchKnown(ctx, keys[:half])
	if err != nil {
		return nil, nil, err
	}
	second, unknownSecond, err := c.searchKnown(ctx, keys[half:])
	return append(first, second...), append(unknownFirst, unknownSecond...), err
}

// search returns the issues of keys, over as many pages as Jira gives.
func (c *client) search(ctx context.Context, keys []string) ([]issue, error) {
	jql := "key in (" + strings.Join(keys, ", ") + ")"
	if c.cloud {
		return c.searchCloud(ctx, jql, len(keys))
	}
	return c.searchDataCenter(ctx, jql, len(keys))
}

// cloudSearch is the body of POST /rest/api/3/search/jql
// (SearchAndReconcileRequestBean), cloudPage its answer
// (SearchAndReconcileResults).
type cloudSearch struct {
	JQL           string   `json:"jql"`
	Fields        []string `json:"fields"`
	MaxResults    int      `json:"maxResults"`
	NextPageToken string   `json:"nextPageToken,omitempty"`
}

type cloudPage struct {
	Issues        []issue `json:"issues"`
	NextPageToken string  `json:"nextPageToken"`
	IsLast        bool    `json:"isLast"`
}

func (c *client) searchCloud(ctx context.Context, jql string, n int) ([]issue, error) {
	req := cloudSearch{JQL: jql, Fields: fields, MaxResults: batchSize}
	var all []issue
	for {
		var page cloudPage
		if _, err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: "rest/api/3/search/jql", Body: req}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Issues...)
		if page.IsLast || page.NextPageToken == "" {
			return all, nil
		}
		if len(page.Issues) == 0 || len(all) > n || page.NextPageToken == req.NextPageToken {
			return nil, fmt.Errorf("jira search: page %q of %d issues leads nowhere (%d issues read for %d keys)", req.NextPageToken, len(page.Issues), len(all), n)
		}
		req.NextPageToken = page.NextPageToken
	}
}

// dataCenterSearch is the body of POST /rest/api/2/search
// (SearchRequestBean), dataCenterPage its answer (SearchResults).
type dataCenterSearch struct {
	JQL        string   `json:"jql"`
	StartAt    int      `json:"startAt"`
	MaxResults int      `json:"maxResults"`
	Fields     []string `json:"fields"`
}

type dataCenterPage struct {
	StartAt int     `json:"startAt"`
	Total   int     `json:"total"`
	Issues  []issue `json:"issues"`
}

func (c *client) searchDataCenter(ctx context.Context, jql string, n int) ([]issue, error) {
	req := dataCenterSearch{JQL: jql, MaxResults: batchSize, Fields: fields}
	var all []issue
	for {
		var page dataCenterPage
		if _, err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: "rest/api/2/search", Body: req}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Issues...)
		req.StartAt += len(page.Issues)
		if req.StartAt >= page.Total || len(page.Issues) == 0 {
			return all, nil
		}
		if len(all) > n {
			return nil, fmt.Errorf("jira search: %d issues read for %d keys (total %d)", len(all), n, page.Total)
		}
	}
}

// one reads a single issue: 200 under another key is a moved issue, 404
// one that does not exist or that the token may not see.
func (c *client) one(ctx context.Context, key string) (trackers.Ticket, error) {
	version := "2"
	if c.cloud {
		version = "3"
	}
	var is issue
	_, err := c.api.JSON(ctx, apiclient.Request{Path: "rest/api/" + version + "/issue/" + url.PathEscape(key),
		Query: url.Values{"fields": {strings.Join(fields, ",")}}}, &is)
	switch {
	case apiclient.StatusOf(err) == http.StatusNotFound:
		return trackers.Ticket{Key: key, Outcome: trackers.NotFound}, nil
	case apiclient.StatusOf(err) == http.StatusForbidden:
		return trackers.Ticket{Key: key, Outcome: trackers.Forbidden}, nil
	case err != nil:
		return trackers.Ticket{}, err
	}
	t, err := is.ticket()
	if err != nil {
		return trackers.Ticket{}, err
	}
	if !strings.EqualFold(is.Key, key) {
		t.Key, t.Outcome, t.MovedTo = key, trackers.Moved, is.Key
	}
	return t, nil
}
