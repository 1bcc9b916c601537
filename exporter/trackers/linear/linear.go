// Package linear reads Linear issues through Linear's GraphQL API: one
// query per hundred issues, asked by team key and number, and one more
// per issue that query did not return (moved to another team, deleted,
// or hidden from the token), asked by its identifier.
//
// Linear's official client is TypeScript (@linear/sdk); there is no kept
// Go client, so this is a small typed one on internal/apiclient with the
// fields read and nothing else.
package linear

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// DefaultAPIURL is Linear's API root; its GraphQL endpoint is /graphql.
const DefaultAPIURL = "https://api.linear.app"

// batch is how many issues one query asks for: the first: of issuesQuery.
const batch = 100

// maxPages bounds the pages followed for one batch.
const maxPages = 20

// fields are what is read of an issue, in both queries.
const fields = `fragment ticket on Issue {
  identifier
  state { type name }
  completedAt
  canceledAt
  assignee { email displayName }
  dueDate
  updatedAt
}`

// issuesQuery reads the issues a filter names, archived ones included
// (Linear archives closed issues after a while).
const issuesQuery = `query Tickets($filter: IssueFilter!, $after: String) {
  issues(filter: $filter, first: 100, after: $after, includeArchived: true) {
    nodes { ...ticket }
    pageInfo { hasNextPage endCursor }
  }
}
` + fields

// issueQuery reads one issue by its identifier, which Linear resolves
// for an issue moved to another team too.
const issueQuery = `query Ticket($id: String!) {
  issue(id: $id) { ...ticket }
}
` + fields

// identifier is a team key and a number: ENG-123.
var identifier = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*)-([1-9][0-9]*)$`)

type client struct {
	api  *apiclient.Client
	site *url.URL
}

// New returns the client of a Linear tracker: its url is the workspace's
// (https://linear.app/acme), its API Linear's unless api_url names
// another. A personal API key (lin_api_…) is sent as the Authorization
// header itself, any other token (OAuth) after "Bearer ", as Linear asks.
func New(t trackers.Tracker, token string, api apiclient.Config) (trackers.Client, error) {
	site, err := trackers.SiteURL(t)
	if err != nil {
		return nil, err
	}
	api.BaseURL = DefaultAPIURL
	if t.APIURL != "" {
		api.BaseURL = t.APIURL
	}
	if token == "" {
		return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "token_env", Reason: "Linear's API needs a token"}
	}
	auth := "Bearer " + token
	if strings.HasPrefix(token, "lin_api_") {
		auth = token
	}
	api.Auth = func(h http.Header) { h.Set("Authorization", auth) }
	api.RateLimitedBody = rateLimited
	c, err := apiclient.New(api)
	if err != nil {
		return nil, fmt.Errorf("linear tracker %s: %w", site, err)
	}
	return &client{api: c, site: site}, nil
}

// Ref reads ENG-123 from https://linear.app/acme/issue/ENG-123/its-title.
func (c *client) Ref(raw string) (trackers.Ref, bool) {
	u, ok := trackers.OnSite(c.site, raw)
	if !ok {
		return trackers.Ref{}, false
	}
	rest := strings.TrimPrefix(u.Path, strings.TrimSuffix(c.site.Path, "/"))
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) < 2 || parts[0] != "issue" || !identifier.MatchString(parts[1]) {
		return trackers.Ref{}, false
	}
	return trackers.Ref{Key: strings.ToUpper(parts[1]), URL: raw}, true
}

// issue is what is read of a Linear issue.
type issue struct {
	Identifier string `json:"identifier"`
	State      struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"state"`
	CompletedAt *time.Time `json:"completedAt"`
	CanceledAt  *time.Time `json:"canceledAt"`
	Assignee    *struct {
		Email       string `json:"email"`
		DisplayName string `json:"displayName"`
	} `json:"assignee"`
	DueDate   *string   `json:"dueDate"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// gqlError is one of a GraphQL answer's errors; Linear names its kind in
// extensions.type ("invalid input", "forbidden", "ratelimited", as its
// SDK reads them) and, in some answers, extensions.code.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Type string `json:"type"`
		Code string `json:"code"`
	} `json:"extensions"`
}

func (e gqlError) kind() string {
	if e.Extensions.Type != "" {
		return strings.ToLower(e.Extensions.Type)
	}
	return strings.ToLower(strings.ReplaceAll(e.Extensions.Code, "_", " "))
}

type gqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

type issuesAnswer struct {
	Data *struct {
		Issues struct {
			Nodes    []issue `json:"nodes"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"issues"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

type issueAnswer struct {
	Data *struct {
		Issue *issue `json:"issue"`
	} `json:"data"`
	Errors []gqlError `json:"errors"`
}

// rateLimited tells an answer whose errors say the rate is limited.
func rateLimited(body []byte) bool {
	var a struct {
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(body, &a) != nil {
		return false
	}
	return slices.ContainsFunc(a.Errors, func(e gqlError) bool { return e.kind() == "ratelimited" })
}

// Tickets reads the issues a hundred a query, the queries in parallel
// (as many at once as the API client allows).
func (c *client) Tickets(ctx context.Context, refs []trackers.Ref) (map[string]trackers.Ticket, error) {
	return trackers.ReadInBatches(ctx, trackers.Keys(refs), batch, c.batch)
}

// batch reads keys with one query (and its pages), then each key it did
// not return by its identifier.
func (c *client) batch(ctx context.Context, keys []string) (map[string]trackers.Ticket, error) {
	filter, err := filterOf(keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]trackers.Ticket, len(keys))
	vars := map[string]any{"filter": filter}
	for page := 1; ; page++ {
		var a issuesAnswer
		if _, err := c.api.JSON(ctx, graphql(issuesQuery, vars), &a); err != nil {
			return nil, fmt.Errorf("linear: %w", err)
		}
		if len(a.Errors) > 0 || a.Data == nil {
			return nil, fmt.Errorf("linear: the issues query failed: %s", describe(a.Errors))
		}
		for _, is := range a.Data.Issues.Nodes {
			t, err := ticket(is)
			if err != nil {
				return nil, err
			}
			if slices.Contains(keys, t.Key) {
				out[t.Key] = t
			}
		}
		info := a.Data.Issues.PageInfo
		if !info.HasNextPage {
			break
		}
		if page >= maxPages || info.EndCursor == "" {
			return nil, fmt.Errorf("linear: more than %d pages for %d issues", maxPages, len(keys))
		}
		vars["after"] = info.EndCursor
	}
	if err := trackers.ReadMissing(ctx, keys, out, c.lookup); err != nil {
		return nil, err
	}
	return out, nil
}

// filterOf is the IssueFilter naming keys: for each team, its key and
// the numbers asked for.
func filterOf(keys []string) (map[string]any, error) {
	numbers := map[string][]any{}
	var teams []string
	for _, k := range keys {
		m := identifier.FindStringSubmatch(k)
		if m == nil {
			return nil, fmt.Errorf("linear: %q is not an issue identifier (ENG-123)", k)
		}
		n, _ := strconv.Atoi(m[2])
		if _, seen := numbers[m[1]]; !seen {
			teams = append(teams, m[1])
		}
		numbers[m[1]] = append(numbers[m[1]], n)
	}
	var or []any
	for _, team := range teams {
		or = append(or, map[string]any{"team": map[string]any{"key": map[string]any{"eq": team}},
			"number": map[string]any{"in": numbers[team]}})
	}
	return map[string]any{"or": or}, nil
}

func graphql(query string, vars map[string]any) apiclient.Request {
	return apiclient.Request{Method: http.MethodPost, Path: "graphql", Body: gqlRequest{Query: query, Variables: vars}}
}

// lookup reads one issue by its identifier: another identifier in the
// answer is a move to another team; an error of kind "invalid input"
// (Linear's "Entity not found") is NotFound, "forbidden" Forbidden; any
// other error is the tracker's.
func (c *client) lookup(ctx context.Context, key string) (trackers.Ticket, error) {
	var a issueAnswer
	_, err := c.api.JSON(ctx, graphql(issueQuery, map[string]any{"id": key}), &a)
	var se *apiclient.StatusError
	if errors.As(err, &se) && se.Status == http.StatusBadRequest && !se.RateLimited {
		// Linear answers some errors with 400 and the errors in the body.
		if json.Unmarshal(se.Body, &a) == nil && len(a.Errors) > 0 {
			err = nil
		}
	}
	if err != nil {
		return trackers.Ticket{}, fmt.Errorf("linear issue %s: %w", key, err)
	}
	if a.Data != nil && a.Data.Issue != nil && len(a.Errors) == 0 {
		t, err := ticket(*a.Data.Issue)
		if err != nil || t.Key == key {
			return t, err
		}
		t.Key, t.Outcome, t.MovedTo = key, trackers.Moved, t.Key
		return t, nil
	}
	for _, e := range a.Errors {
		switch e.kind() {
		case "invalid input":
			return trackers.Ticket{Key: key, Outcome: trackers.NotFound}, nil
		case "forbidden":
			return trackers.Ticket{Key: key, Outcome: trackers.Forbidden}, nil
		}
	}
	return trackers.Ticket{}, fmt.Errorf("linear issue %s: %s", key, describe(a.Errors))
}

// describe is a GraphQL answer's errors for a log line.
func describe(errs []gqlError) string {
	if len(errs) == 0 {
		return "no data and no error"
	}
	var s []string
	for _, e := range errs {
		s = append(s, fmt.Sprintf("%s (%s)", e.Message, e.kind()))
	}
	return strings.Join(s, "; ")
}

// ticket maps an issue through its state's type: triage, backlog,
// unstarted and started are open, completed is done, canceled and
// duplicate are wont_do; another type has no status.
func ticket(is issue) (trackers.Ticket, error) {
	t := trackers.Ticket{Key: strings.ToUpper(is.Identifier), Outcome: trackers.Found,
		TrackerStatus: is.State.Name + " (" + is.State.Type + ")", UpdatedAt: is.UpdatedAt.UTC()}
	if is.DueDate != nil {
		due, err := time.Parse(time.DateOnly, *is.DueDate)
		if err != nil {
			return t, fmt.Errorf("linear issue %s: dueDate %q is not a date (YYYY-MM-DD)", is.Identifier, *is.DueDate)
		}
		t.Due = due
	}
	if a := is.Assignee; a != nil {
		who := a.Email
		if who == "" {
			who = a.DisplayName
		}
		t.Assignees = []string{who}
	}
	closed := is.CompletedAt
	switch is.State.Type {
	case "triage", "backlog", "unstarted", "started":
		t.Status, closed = record.ItemOpen, nil
	case "completed":
		t.Status = record.ItemDone
	case "canceled", "duplicate":
		t.Status = record.ItemWontDo
		if is.CanceledAt != nil {
			closed = is.CanceledAt
		}
	default:
		closed = nil
	}
	if closed != nil {
		t.ClosedAt = closed.UTC()
	}
	return t, nil
}
