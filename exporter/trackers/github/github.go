// Package github reads action items' tickets from GitHub Issues, on
// github.com or a GitHub Enterprise Server, through the GraphQL API: one
// query reads fifty issues, each under its own alias.
//
// It is a small typed client over internal/apiclient rather than
// shurcooL/githubv4 or google/go-github: githubv4 builds a query from a
// fixed Go type, so it cannot alias a varying number of issues, and both
// bring their own HTTP loop, which would bypass the one that bounds our
// timeouts, bodies, concurrency and retries.
package github

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// batchSize is the most issues one query reads: a query's cost stays at
// one point of the rate limit, and 120 issues are three requests.
const batchSize = 50

// issueFields are the fields read of an issue. stateReason is asked for
// without enableDuplicate: a duplicate then reads NOT_PLANNED, which maps
// to wont_do all the same, and Enterprise Servers whose schema lacks the
// argument answer the query.
const issueFields = `fragment ticket on Issue {
  number
  state
  stateReason
  closedAt
  updatedAt
  assignees(first: 10) { nodes { login } }
  repository { nameWithOwner }
}`

// issuePath is an issue's address: /owner/repo/issues/number.
var issuePath = regexp.MustCompile(`^/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})/issues/([1-9][0-9]{0,9})/?$`)

type client struct {
	api  *apiclient.Client
	site *url.URL
	path string // of the GraphQL endpoint, below the API's base
}

// New returns the client of the GitHub that t names: github.com (its API
// at https://api.github.com) or an Enterprise Server (https://HOST/api).
// t.APIURL, when set, is the REST API's root (https://HOST/api/v3 on an
// Enterprise Server): GraphQL is beside it, at /api/graphql, or below it
// at /graphql when the root does not end in /api/v3.
func New(t trackers.Tracker, token string, api apiclient.Config) (trackers.Client, error) {
	site, err := trackers.SiteURL(t)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "token", Reason: "empty"}
	}
	c := &client{site: site, path: "graphql"}
	switch {
	case t.APIURL != "":
		root, err := trackers.SiteURL(trackers.Tracker{Kind: t.Kind, URL: t.APIURL})
		if err != nil {
			return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "api_url", Reason: "not an absolute http(s) address without credentials"}
		}
		root.Path = strings.TrimSuffix(root.Path, "/")
		if base, ok := strings.CutSuffix(root.Path, "/api/v3"); ok {
			root.Path = base + "/api"
		}
		api.BaseURL = root.String()
	case strings.EqualFold(site.Hostname(), "github.com"):
		api.BaseURL = "https://api.github.com"
	default:
		api.BaseURL = site.Scheme + "://" + site.Host + "/api"
	}
	api.Auth = func(h http.Header) { h.Set("Authorization", "Bearer "+token) }
	if c.api, err = apiclient.New(api); err != nil {
		return nil, fmt.Errorf("github tracker %s: %w", site, err)
	}
	return c, nil
}

// Ref reads owner/repo#number from an issue's address.
func (c *client) Ref(raw string) (trackers.Ref, bool) {
	u, ok := trackers.OnSite(c.site, raw)
	if !ok {
		return trackers.Ref{}, false
	}
	m := issuePath.FindStringSubmatch(u.Path)
	if m == nil {
		return trackers.Ref{}, false
	}
	key := m[1] + "/" + m[2] + "#" + m[3]
	if _, _, _, ok := parseKey(key); !ok {
		return trackers.Ref{}, false
	}
	return trackers.Ref{Key: key, URL: raw}, true
}

// keyPattern is owner/repo#number, as Ref writes it.
var keyPattern = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]{1,100})#([1-9][0-9]{0,9})$`)

// parseKey reads an issue key; the number must fit GraphQL's Int (32
// bits), or GitHub would refuse the whole query.
func parseKey(key string) (owner, name string, number int, ok bool) {
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return "", "", 0, false
	}
	n, err := strconv.ParseInt(m[3], 10, 32)
	return m[1], m[2], int(n), err == nil
}

// Tickets reads the issues fifty to a query.
func (c *client) Tickets(ctx context.Context, refs []trackers.Ref) (map[string]trackers.Ticket, error) {
	return trackers.ReadInBatches(ctx, trackers.Keys(refs), batchSize, c.batch)
}

// request is a GraphQL request's body.
type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// response is a GraphQL answer: each alias t<i> holds a repository (null
// when it cannot be resolved) and its issue (null likewise); errors name
// the alias they belong to in their path.
type response struct {
	Data   map[string]*struct{ Issue *issue } `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Path    []any  `json:"path"`
	} `json:"errors"`
}

type issue struct {
	Number      int        `json:"number"`
	State       string     `json:"state"`
	StateReason string     `json:"stateReason"`
	ClosedAt    *time.Time `json:"closedAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Assignees   struct {
		Nodes []struct{ Login string } `json:"nodes"`
	} `json:"assignees"`
	Repository struct {
		NameWithOwner string `json:"nameWithOwner"`
	} `json:"repository"`
}

// query returns the query that reads n issues, under the aliases t0…,
// from the variables o<i> (owner), n<i> (name) and i<i> (number).
func query(n int) string {
	var vars, fields strings.Builder
	for i := range n {
		fmt.Fprintf(&vars, "$o%d: String!, $n%d: String!, $i%d: Int!, ", i, i, i)
		fmt.Fprintf(&fields, "  t%d: repository(owner: $o%d, name: $n%d) { issue(number: $i%d) { ...ticket } }\n", i, i, i, i)
	}
	return "query Tickets(" + strings.TrimSuffix(vars.String(), ", ") + ") {\n" + fields.String() + "}\n" + issueFields
}

func (c *client) batch(ctx context.Context, keys []string) (map[string]trackers.Ticket, error) {
	got := make(map[string]trackers.Ticket, len(keys))
	vars := make(map[string]any, 3*len(keys))
	var asked []string // by alias number
	for _, k := range keys {
		owner, name, number, ok := parseKey(k)
		if !ok {
			got[k] = trackers.Ticket{Key: k, Outcome: trackers.NotFound} // never put into a query
			continue
		}
		i := strconv.Itoa(len(asked))
		vars["o"+i], vars["n"+i], vars["i"+i] = owner, name, number
		asked = append(asked, k)
	}
	if len(asked) == 0 {
		return got, nil
	}
	var resp response
	r, err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: c.path,
		Body: request{Query: query(len(asked)), Variables: vars}}, &resp)
	if err != nil {
		return nil, err
	}
	outcomes := map[string]string{} // by alias, from the errors
	for _, e := range resp.Errors {
		var alias string
		if len(e.Path) > 0 {
			alias, _ = e.Path[0].(string)
		}
		switch {
		case e.Type == "RATE_LIMITED":
			return nil, fmt.Errorf("github GraphQL: rate limited (resets at %s): %s", resetAt(r.Header), e.Message)
		case alias != "" && e.Type == "NOT_FOUND":
			outcomes[alias] = trackers.NotFound
		case alias != "" && e.Type == "FORBIDDEN":
			outcomes[alias] = trackers.Forbidden
		default:
			return nil, fmt.Errorf("github GraphQL: %s error: %s", cmp.Or(e.Type, "query"), e.Message)
		}
	}
	for i, k := range asked {
		alias := "t" + strconv.Itoa(i)
		if o, ok := outcomes[alias]; ok {
			got[k] = trackers.Ticket{Key: k, Outcome: o}
			continue
		}
		repo := resp.Data[alias]
		if repo == nil || repo.Issue == nil {
			got[k] = trackers.Ticket{Key: k, Outcome: trackers.NotFound}
			continue
		}
		got[k] = repo.Issue.ticket(k)
	}
	return got, nil
}

// ticket maps an issue onto an item: OPEN is open; CLOSED is done when
// completed (or closed before GitHub kept a reason), wont_do when not
// planned or a duplicate. GitHub issues have no due date (a milestone's
// is a release's, not the item's). An issue that answers from another
// repository was transferred (or its repository renamed): Moved, its
// state read all the same.
func (is *issue) ticket(key string) trackers.Ticket {
	t := trackers.Ticket{Key: key, Outcome: trackers.Found, TrackerStatus: is.State, UpdatedAt: is.UpdatedAt.UTC()}
	if is.StateReason != "" {
		t.TrackerStatus += " (" + is.StateReason + ")"
	}
	switch {
	case is.State == "OPEN":
		t.Status = record.ItemOpen
	case is.State == "CLOSED" && (is.StateReason == "COMPLETED" || is.StateReason == ""):
		t.Status = record.ItemDone
	case is.State == "CLOSED" && (is.StateReason == "NOT_PLANNED" || is.StateReason == "DUPLICATE"):
		t.Status = record.ItemWontDo
	}
	if is.ClosedAt != nil && is.State == "CLOSED" {
		t.ClosedAt = is.ClosedAt.UTC()
	}
	for _, a := range is.Assignees.Nodes {
		t.Assignees = append(t.Assignees, a.Login)
	}
	if now := is.Repository.NameWithOwner + "#" + strconv.Itoa(is.Number); !strings.EqualFold(now, key) {
		t.Outcome, t.MovedTo = trackers.Moved, now
	}
	return t
}

// resetAt is when GitHub's rate limit resets, from X-RateLimit-Reset.
func resetAt(h http.Header) string {
	s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return "an unknown time"
	}
	return time.Unix(s, 0).UTC().Format(time.RFC3339)
}
