// Package gitlab reads GitLab issues, on gitlab.com or a self-managed
// instance, through the REST API v4: one request per project and hundred
// issues (GET /projects/:path/issues?iids[]=…).
//
// It is a small typed client on internal/apiclient, not the official
// gitlab.com/gitlab-org/api/client-go: that client runs its own retry
// loop (go-retryablehttp with its own rate-limit waits) and reads whole
// bodies, so our timeouts, body bound, retries and request outcomes would
// not apply; the few fields read here do not need it.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// batch is how many issues one request asks for: GitLab's largest page.
const batch = 100

// maxPages bounds the pages followed for one batch, should an API keep
// announcing a next page.
const maxPages = 50

// WontDoLabels are the labels (compared without case) that make a closed
// issue wont_do rather than done: GitLab issues have no reason for their
// closing besides "closed as duplicate".
var WontDoLabels = []string{"won't do", "wontdo", "won't fix", "wontfix", "duplicate", "invalid", "not planned"}

type client struct {
	api *apiclient.Client
	// site is the tracker's url: a ticket's url is under it.
	site *url.URL
	// root is the instance's web address: a project's path follows it.
	root *url.URL
}

// New returns the client of a GitLab tracker. Its API is at the tracker's
// api_url, else at /api/v4 on the host of its url; a self-managed GitLab
// under a sub-path (https://host/gitlab) names it in api_url, ending in
// /api/v4. The token (personal, project or group access token) is sent in
// the PRIVATE-TOKEN header.
func New(t trackers.Tracker, token string, api apiclient.Config) (trackers.Client, error) {
	site, err := trackers.SiteURL(t)
	if err != nil {
		return nil, err
	}
	root := &url.URL{Scheme: site.Scheme, Host: site.Host}
	api.BaseURL = root.String() + "/api/v4"
	if t.APIURL != "" {
		api.BaseURL = strings.TrimSuffix(t.APIURL, "/")
		if rooted, ok := strings.CutSuffix(api.BaseURL, "/api/v4"); ok {
			if root, err = url.Parse(rooted); err != nil {
				return nil, &trackers.FieldError{Kind: t.Kind, URL: site.String(), Field: "api_url", Reason: err.Error()}
			}
		}
	}
	if token != "" {
		api.Auth = func(h http.Header) { h.Set("PRIVATE-TOKEN", token) }
	}
	c, err := apiclient.New(api)
	if err != nil {
		return nil, fmt.Errorf("gitlab tracker %s: %w", site, err)
	}
	return &client{api: c, site: site, root: root}, nil
}

// Ref reads group/project#12 from an issue's address:
// https://gitlab.example/group/project/-/issues/12 (also the older
// /issues/12 and the work item /-/work_items/12), with or without a
// fragment (#note_3) or query.
func (c *client) Ref(raw string) (trackers.Ref, bool) {
	u, ok := trackers.OnSite(c.site, raw)
	if !ok {
		return trackers.Ref{}, false
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(u.Path, "/"), strings.TrimSuffix(c.root.Path, "/")+"/")
	if !ok {
		return trackers.Ref{}, false
	}
	for _, sep := range []string{"/-/issues/", "/-/work_items/", "/issues/"} {
		project, iid, found := strings.Cut(rest, sep)
		if !found || project == "" || strings.Contains(project, "/-/") {
			continue
		}
		if n, err := strconv.Atoi(iid); err == nil && n > 0 {
			return trackers.Ref{Key: project + "#" + iid, URL: raw}, true
		}
	}
	return trackers.Ref{}, false
}

// issue is what is read of one issue of the Issues API.
type issue struct {
	IID       int        `json:"iid"`
	State     string     `json:"state"`
	ClosedAt  *time.Time `json:"closed_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	DueDate   *string    `json:"due_date"`
	MovedToID *int64     `json:"moved_to_id"`
	Labels    []string   `json:"labels"`
	Assignees []struct {
		Username string `json:"username"`
	} `json:"assignees"`
	Links struct {
		ClosedAsDuplicateOf *string `json:"closed_as_duplicate_of"`
	} `json:"_links"`
}

// Tickets reads the issues a hundred at a time, the batches in parallel
// (as many at once as the API client allows). The keys are sorted, so a
// project's issues are next to each other: a batch that spans projects
// asks each of them.
func (c *client) Tickets(ctx context.Context, refs []trackers.Ref) (map[string]trackers.Ticket, error) {
	return trackers.ReadInBatches(ctx, trackers.Keys(refs), batch, func(ctx context.Context, keys []string) (map[string]trackers.Ticket, error) {
		out := make(map[string]trackers.Ticket, len(keys))
		var project string
		var iids []int
		flush := func() error {
			got, err := c.project(ctx, project, iids)
			maps.Copy(out, got)
			return err
		}
		for _, k := range keys {
			p, iid, ok := splitKey(k)
			if !ok {
				return nil, fmt.Errorf("gitlab: %q is not a key of this tracker (group/project#12)", k)
			}
			if p != project && len(iids) > 0 {
				if err := flush(); err != nil {
					return nil, err
				}
				iids = nil
			}
			project, iids = p, append(iids, iid)
		}
		if len(iids) > 0 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// splitKey reads group/project#12.
func splitKey(key string) (project string, iid int, ok bool) {
	i := strings.LastIndexByte(key, '#')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(key[i+1:])
	return key[:i], n, err == nil && n > 0
}

// project reads the issues iids of one project, following its pages. A
// project the API answers 404 for (deleted, or private to the token) has
// each ticket NotFound, 403 Forbidden; an issue it does not list is
// NotFound.
func (c *client) project(ctx context.Context, project string, iids []int) (map[string]trackers.Ticket, error) {
	query := url.Values{"per_page": {strconv.Itoa(batch)}}
	for _, n := range iids {
		query.Add("iids[]", strconv.Itoa(n))
	}
	req := apiclient.Request{Path: "projects/" + url.PathEscape(project) + "/issues", Query: query}
	out := make(map[string]trackers.Ticket, len(iids))
	for page := 1; ; page++ {
		var issues []issue
		resp, err := c.api.JSON(ctx, req, &issues)
		if outcome := refusal(err); outcome != "" {
			for _, n := range iids {
				out[key(project, n)] = trackers.Ticket{Key: key(project, n), Outcome: outcome}
			}
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("gitlab project %s: %w", project, err)
		}
		for _, is := range issues {
			t, err := ticket(project, is)
			if err != nil {
				return nil, err
			}
			if slices.Contains(iids, is.IID) {
				out[t.Key] = t
			}
		}
		next := resp.Header.Get("X-Next-Page")
		if next == "" {
			break
		}
		if page >= maxPages {
			return nil, fmt.Errorf("gitlab project %s: more than %d pages for %d issues", project, maxPages, len(iids))
		}
		req.Query.Set("page", next)
	}
	for _, n := range iids {
		if _, ok := out[key(project, n)]; !ok {
			out[key(project, n)] = trackers.Ticket{Key: key(project, n), Outcome: trackers.NotFound}
		}
	}
	return out, nil
}

// refusal is the outcome of every ticket of a project the API refused:
// NotFound on 404, Forbidden on a 403 that is no rate limit; "" when err
// is none of these.
func refusal(err error) string {
	var se *apiclient.StatusError
	if !errors.As(err, &se) || se.RetryAfter > 0 {
		return ""
	}
	switch se.Status {
	case http.StatusNotFound:
		return trackers.NotFound
	case http.StatusForbidden:
		return trackers.Forbidden
	}
	return ""
}

func key(project string, iid int) string { return project + "#" + strconv.Itoa(iid) }

// ticket maps one issue: opened is open, closed is done, or wont_do when
// closed as a duplicate or labelled with one of WontDoLabels; an issue
// moved to another project is Moved.
func ticket(project string, is issue) (trackers.Ticket, error) {
	t := trackers.Ticket{Key: key(project, is.IID), Outcome: trackers.Found, TrackerStatus: is.State, UpdatedAt: is.UpdatedAt.UTC()}
	if is.DueDate != nil && *is.DueDate != "" {
		due, err := time.Parse(time.DateOnly, *is.DueDate)
		if err != nil {
			return t, fmt.Errorf("gitlab issue %s: due_date %q is not a date (YYYY-MM-DD)", t.Key, *is.DueDate)
		}
		t.Due = due
	}
	for _, a := range is.Assignees {
		t.Assignees = append(t.Assignees, a.Username)
	}
	if is.MovedToID != nil {
		// The API gives the new issue's global id, not its project and
		// iid, and reading an issue by that id is for administrators: the
		// new issue is named by its id and not followed (no status).
		return trackers.Ticket{Key: t.Key, Outcome: trackers.Moved, MovedTo: fmt.Sprintf("issue id %d", *is.MovedToID),
			Assignees: t.Assignees, Due: t.Due, UpdatedAt: t.UpdatedAt}, nil
	}
	switch is.State {
	case "opened":
		t.Status = record.ItemOpen
	case "closed":
		if is.ClosedAt != nil {
			t.ClosedAt = is.ClosedAt.UTC()
		}
		t.Status = record.ItemDone
		if is.Links.ClosedAsDuplicateOf != nil {
			t.Status, t.TrackerStatus = record.ItemWontDo, "closed as duplicate"
		} else if label, ok := wontDoLabel(is.Labels); ok {
			t.Status, t.TrackerStatus = record.ItemWontDo, "closed, labelled "+label
		}
	}
	return t, nil
}

func wontDoLabel(labels []string) (string, bool) {
	for _, l := range labels {
		for _, w := range WontDoLabels {
			if strings.EqualFold(strings.TrimSpace(l), w) {
				return l, true
			}
		}
	}
	return "", false
}
