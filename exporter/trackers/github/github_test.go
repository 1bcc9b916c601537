package github

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/trackertest"
)

// connect returns a client of the fake for the issues on github.com, its
// API at the fake's address.
func connect(t *testing.T, f *fakeGitHub, api apiclient.Config) trackers.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	api.MinWait = time.Millisecond
	c, err := New(trackers.Tracker{Kind: trackers.KindGitHub, URL: "https://github.com/acme", APIURL: srv.URL}, token, api)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func refsOf(t *testing.T, c trackers.Client, keys ...string) []trackers.Ref {
	t.Helper()
	var refs []trackers.Ref
	for _, k := range keys {
		repo, number, _ := strings.Cut(k, "#")
		r, ok := c.Ref("https://github.com/" + repo + "/issues/" + number)
		if !ok {
			t.Fatalf("no ref for %s", k)
		}
		refs = append(refs, r)
	}
	return refs
}

// issueTickets are the tickets of testdata/issues.json, worked out by
// hand, under the keys TestTickets reads them by.
var issueTickets = map[string]trackers.Ticket{
	"acme/api#1": {Key: "acme/api#1", Outcome: trackers.Found, Status: record.ItemOpen, TrackerStatus: "OPEN",
		Assignees: []string{"erin"}, UpdatedAt: trackertest.Time("2026-05-12T10:00:00Z")},
	// Several assignees: all of them, the core decides.
	"acme/api#2": {Key: "acme/api#2", Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "CLOSED (COMPLETED)",
		ClosedAt: trackertest.Time("2026-05-18T07:30:00Z"), Assignees: []string{"frank", "gus"}, UpdatedAt: trackertest.Time("2026-05-18T07:30:00Z")},
	"acme/api#3": {Key: "acme/api#3", Outcome: trackers.Found, Status: record.ItemWontDo, TrackerStatus: "CLOSED (NOT_PLANNED)",
		ClosedAt: trackertest.Time("2026-05-19T16:00:00Z"), UpdatedAt: trackertest.Time("2026-05-19T16:00:00Z")},
	// Reopened: open, the closedAt of its earlier close dropped.
	"acme/api#4": {Key: "acme/api#4", Outcome: trackers.Found, Status: record.ItemOpen, TrackerStatus: "OPEN (REOPENED)",
		Assignees: []string{"erin"}, UpdatedAt: trackertest.Time("2026-05-03T09:00:00Z")},
	// Closed before GitHub kept reasons: done.
	"acme/api#5": {Key: "acme/api#5", Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "CLOSED",
		ClosedAt: trackertest.Time("2021-03-04T05:06:07Z"), UpdatedAt: trackertest.Time("2021-03-04T05:06:07Z")},
	"acme/api#6": {Key: "acme/api#6", Outcome: trackers.Moved, MovedTo: "acme/platform#40", Status: record.ItemOpen, TrackerStatus: "OPEN",
		Assignees: []string{"hal"}, UpdatedAt: trackertest.Time("2026-05-14T11:00:00Z")},
	"acme/api#99":  {Key: "acme/api#99", Outcome: trackers.NotFound},
	"acme/vault#1": {Key: "acme/vault#1", Outcome: trackers.Forbidden},
}

// TestTickets maps the fixture's issues by hand.
func TestTickets(t *testing.T) {
	f := newFake(t, "/graphql")
	f.moved["acme/api#6"] = "acme/platform#40"
	f.forbidden["acme/vault"] = true
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), refsOf(t, c, "acme/api#1", "acme/api#2", "acme/api#3", "acme/api#4",
		"acme/api#5", "acme/api#6", "acme/api#99", "acme/vault#1"))
	if err != nil {
		t.Fatal(err)
	}
	trackertest.Compare(t, got, issueTickets)

	if n, _ := f.counts(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestRequestsPerBatch: 120 issues are three queries of at most 50, on an
// Enterprise Server's /api/graphql beside its REST root /api/v3.
func TestRequestsPerBatch(t *testing.T) {
	f := newFake(t, "/api/graphql")
	keys := f.addIssues(120)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(trackers.Tracker{Kind: trackers.KindGitHub, URL: "https://github.acme.com", APIURL: srv.URL + "/api/v3/"}, token, apiclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var refs []trackers.Ref
	for _, k := range keys {
		r, _ := c.Ref("https://github.acme.com/" + strings.Replace(k, "#", "/issues/", 1))
		refs = append(refs, r)
	}
	got, err := c.Tickets(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	open := trackertest.Open(got)
	if n, largest := f.counts(); open != 120 || n != 3 || largest != 50 {
		t.Errorf("%d open issues in %d requests of at most %d issues, want 120 in 3 of at most 50", open, n, largest)
	}
}

// TestFaults: a failure of the whole query is an error (the core keeps
// the last known states).
func TestFaults(t *testing.T) {
	unauthorized := []byte(`{"message": "Bad credentials", "documentation_url": "https://docs.github.com/graphql"}`)
	trackertest.RunFaults(t, unauthorized, token, func(t *testing.T, fault trackertest.Fault) (trackers.Client, []trackers.Ref) {
		f := newFake(t, "/graphql")
		f.fault = fault.Answer
		c := connect(t, f, fault.API)
		return c, refsOf(t, c, "acme/api#1", "acme/api#2")
	}, map[string]trackers.Ticket{"acme/api#1": issueTickets["acme/api#1"], "acme/api#2": issueTickets["acme/api#2"]})
}

// TestGraphQLErrors: errors GitHub answers with 200 that name no alias
// fail the whole query; RATE_LIMITED names when the limit resets.
func TestGraphQLErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"rate limited": {`{"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}]}`,
			"rate limited (resets at 2026-05-12T10:00:00Z)"},
		"query refused": {`{"errors": [{"message": "Field 'x' doesn't exist on type 'Issue'", "locations": [{"line": 1, "column": 2}]}]}`,
			"query error: Field 'x'"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, "/graphql")
			if err := f.schema.Check("response", []byte(tc.body)); err != nil {
				t.Fatalf("the answer does not match the schema: %v", err)
			}
			f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Header().Set("X-RateLimit-Reset", "1778580000") // 2026-05-12T10:00:00Z
				_, _ = w.Write([]byte(tc.body))
				return true
			}
			c := connect(t, f, apiclient.Config{})
			got, err := c.Tickets(context.Background(), refsOf(t, c, "acme/api#1"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || got != nil {
				t.Errorf("tickets %v, error %v; want an error with %q", got, err, tc.want)
			}
		})
	}
}

// TestUnknownState: a state reason GitHub adds after the schema this test
// pins (so this one answer is not checked against it) is found with no
// status and the tracker's words kept, never guessed.
func TestUnknownState(t *testing.T) {
	f := newFake(t, "/graphql")
	f.issues["acme/api#7"] = []byte(`{"number": 7, "state": "CLOSED",
		"stateReason": "ARCHIVED", "closedAt": "2026-05-01T00:00:00Z", "updatedAt": "2026-05-01T00:00:00Z",
		"assignees": {"nodes": []}, "repository": {"nameWithOwner": "acme/api"}}`)
	if err := f.schema.Check("issue", f.issues["acme/api#7"]); err == nil {
		t.Fatal("the schema takes ARCHIVED: pick a state reason it does not know")
	}
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		_, _ = w.Write([]byte(`{"data": {"t0": {"issue": ` + string(f.issues["acme/api#7"]) + `}}}`))
		return true
	}
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), refsOf(t, c, "acme/api#7"))
	if err != nil {
		t.Fatal(err)
	}
	if tk := got["acme/api#7"]; tk.Outcome != trackers.Found || tk.Status != "" || tk.TrackerStatus != "CLOSED (ARCHIVED)" || !tk.ClosedAt.Equal(trackertest.Time("2026-05-01T00:00:00Z")) {
		t.Errorf("ticket %+v, want found, no status, CLOSED (ARCHIVED), closed at 2026-05-01", tk)
	}
}

// TestKeysThatAreNotGitHubs: a key no GitHub issue can have (not from
// Ref) is not_found without being put into a query.
func TestKeysThatAreNotGitHubs(t *testing.T) {
	f := newFake(t, "/graphql")
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), []trackers.Ref{{Key: "acme/api#1"}, {Key: "acme/api#99999999999"}, {Key: "acme/api#1 } x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got["acme/api#1"].Status != record.ItemOpen || got["acme/api#99999999999"].Outcome != trackers.NotFound ||
		got["acme/api#1 } x"].Outcome != trackers.NotFound || len(got) != 3 {
		t.Errorf("tickets %+v, want #1 open and the others not found", got)
	}
	if n, _ := f.counts(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRef(t *testing.T) {
	c, err := New(trackers.Tracker{Kind: trackers.KindGitHub, URL: "https://github.com/acme"}, token, apiclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	trackertest.CheckRefs(t, c, map[string]string{
		"https://github.com/acme/api/issues/12":                   "acme/api#12",
		"https://github.com/acme/api/issues/12/":                  "acme/api#12",
		"https://github.com/acme/api/issues/12#issuecomment-1":    "acme/api#12",
		"https://github.com/acme/my.repo_x-1/issues/3?q=1":        "acme/my.repo_x-1#3",
		"https://github.com/acme/api/pull/12":                     "",
		"https://github.com/acme/api/issues/0":                    "",
		"https://github.com/acme/api/issues":                      "",
		"https://github.com/acmecorp/api/issues/12":               "",
		"https://github.com/other/api/issues/12":                  "",
		"https://github.example.com/acme/api/issues/12":           "",
		"https://github.com/acme/api/issues/12345678901234567890": "",
		"https://github.com/acme/api/issues/2147483647":           "acme/api#2147483647",
		"https://github.com/acme/api/issues/2147483648":           "",
	})
}

// TestEndpoints: where the GraphQL requests go for each kind of site.
func TestEndpoints(t *testing.T) {
	for _, tc := range []struct{ url, apiURL, want string }{
		{"https://github.com", "", "https://api.github.com/graphql"},
		{"https://github.acme.com", "", "https://github.acme.com/api/graphql"},
		{"https://github.acme.com", "https://github.acme.com/api/v3", "https://github.acme.com/api/graphql"},
		{"https://github.com", "https://proxy.acme.com/github/", "https://proxy.acme.com/github/graphql"},
	} {
		tr := trackers.Tracker{Kind: trackers.KindGitHub, URL: tc.url, APIURL: tc.apiURL}
		sent := trackertest.FirstRequest(t, func(api apiclient.Config) (trackers.Client, error) { return New(tr, token, api) },
			trackers.Ref{Key: "acme/api#1"})
		if sent.URL.String() != tc.want {
			t.Errorf("url %s, api_url %q: sent to %s, want %s", tc.url, tc.apiURL, sent.URL, tc.want)
		}
	}
}

// TestSchemaRefusesDrift: the schemas refuse what GitHub's refuses, so a
// drifted query, request or fixture fails.
func TestSchemaRefusesDrift(t *testing.T) {
	f := newFake(t, "/graphql")
	if _, err := apischema.Query(f.graphql, query(2), map[string]any{"o0": "a", "n0": "b", "i0": 1, "o1": "a", "n1": "b", "i1": 2}); err != nil {
		t.Fatalf("the client's query is refused: %v", err)
	}
	for name, q := range map[string]string{
		"a field Issue lacks":    `query { t0: repository(owner: "a", name: "b") { issue(number: 1) { number dueOn } } }`,
		"a number as a string":   `query { t0: repository(owner: "a", name: "b") { issue(number: "1") { number } } }`,
		"assignees as a list":    `query { t0: repository(owner: "a", name: "b") { issue(number: 1) { assignees { login } } } }`,
		"a missing owner":        `query { t0: repository(name: "b") { issue(number: 1) { number } } }`,
		"an undeclared variable": `query { t0: repository(owner: $o, name: "b") { issue(number: 1) { number } } }`,
	} {
		if _, err := apischema.Query(f.graphql, q, nil); err == nil {
			t.Errorf("%s: the GraphQL schema takes %s", name, q)
		}
	}
	for _, vars := range []map[string]any{{"o0": "a", "n0": "b", "i0": true}, {"o0": "a", "n0": "b"}} {
		if _, err := apischema.Query(f.graphql, query(1), vars); err == nil {
			t.Errorf("the variables %v are taken", vars)
		}
	}
	for _, doc := range []string{
		`{"data": {"t0": {"issue": {"number": 1}}}}`,
		`{"data": {"repo": null}}`,
		`{"errors": [{"type": "NOT_FOUND"}]}`,
	} {
		if err := f.schema.Check("response", []byte(doc)); err == nil {
			t.Errorf("the response schema takes %s", doc)
		}
	}
	if err := f.schema.Check("request", []byte(`{"query": "{}", "variables": {}, "token": "x"}`)); err == nil {
		t.Error("the request schema takes a property GitHub does not")
	}
}
