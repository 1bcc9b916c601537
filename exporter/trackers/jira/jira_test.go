package jira

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/trackertest"
)

// connect returns a client of the fake: a Cloud site on acme.atlassian.net
// or a Data Center one on jira.acme.com, its API at the fake's address.
func connect(t *testing.T, f *fakeJira, api apiclient.Config) trackers.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	tr := trackers.Tracker{Kind: trackers.KindJira, URL: "https://jira.acme.com", APIURL: srv.URL}
	if f.cloud {
		tr.URL, tr.User = "https://acme.atlassian.net", user
	}
	api.MinWait = time.Millisecond
	c, err := New(tr, token, api)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func refsOf(c trackers.Client, keys ...string) []trackers.Ref {
	var refs []trackers.Ref
	for _, k := range keys {
		r, _ := c.Ref("https://acme.atlassian.net/browse/" + k)
		if r.Key == "" {
			r, _ = c.Ref("https://jira.acme.com/browse/" + k)
		}
		refs = append(refs, r)
	}
	return refs
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// cloudTickets are the tickets of testdata/cloud-issues.json, worked out
// by hand: the times are the fixture's converted to UTC (09:30+0200 is
// 07:30Z, 23:15-0500 is 04:15Z the next day).
var cloudTickets = map[string]trackers.Ticket{
	"OPS-1": {Key: "OPS-1", Outcome: trackers.Found, Status: record.ItemOpen, TrackerStatus: "In Progress (indeterminate)",
		Assignees: []string{"erin@acme.com"}, Due: day("2026-05-20"), UpdatedAt: trackertest.Time("2026-05-12T10:00:00Z")},
	"OPS-2": {Key: "OPS-2", Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Done (done), resolution Done",
		ClosedAt: trackertest.Time("2026-05-18T07:30:00Z"), Assignees: []string{"frank@acme.com"}, UpdatedAt: trackertest.Time("2026-05-18T07:30:00Z")},
	"OPS-3": {Key: "OPS-3", Outcome: trackers.Found, Status: record.ItemWontDo, TrackerStatus: "Closed (done), resolution Won’t Do",
		ClosedAt: trackertest.Time("2026-05-20T04:15:00Z"), Due: day("2026-06-01"), UpdatedAt: trackertest.Time("2026-05-20T04:15:00Z")},
	// An unknown category: found, no status, the tracker's words kept for the finding.
	"OPS-4": {Key: "OPS-4", Outcome: trackers.Found, TrackerStatus: "Parked (undefined)", UpdatedAt: trackertest.Time("2026-05-01T08:00:00Z")},
	// The email hidden by the profile's visibility: the account id.
	"OPS-5": {Key: "OPS-5", Outcome: trackers.Found, Status: record.ItemOpen, TrackerStatus: "To Do (new)",
		Assignees: []string{"712020:0e8a1c4f-hidden-email"}, UpdatedAt: trackertest.Time("2026-05-02T08:00:00Z")},
	// Done by a workflow that sets no resolution: closed when its category changed.
	"OPS-6": {Key: "OPS-6", Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Shipped (done)",
		ClosedAt: trackertest.Time("2026-05-21T08:00:00Z"), UpdatedAt: trackertest.Time("2026-05-21T08:05:00Z")},
	"OLD-3": {Key: "OLD-3", Outcome: trackers.Moved, MovedTo: "NEW-7", Status: record.ItemDone, TrackerStatus: "Done (done), resolution Done",
		ClosedAt: trackertest.Time("2026-05-10T12:00:00Z"), Assignees: []string{"erin@acme.com"}, Due: day("2026-05-11"), UpdatedAt: trackertest.Time("2026-05-10T12:00:00Z")},
	"OPS-404": {Key: "OPS-404", Outcome: trackers.NotFound},
}

// TestTicketsCloud reads the fixture's issues over several pages (two
// issues a page).
func TestTicketsCloud(t *testing.T) {
	f := newFake(t, true, "testdata/cloud-issues.json")
	f.pageSize = 2
	f.moved["OLD-3"] = "NEW-7"
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), refsOf(c, "OPS-1", "OPS-2", "OPS-3", "OPS-4", "OPS-5", "OPS-6", "OLD-3", "OPS-404"))
	if err != nil {
		t.Fatal(err)
	}
	trackertest.Compare(t, got, cloudTickets)
	// Seven issues found (OLD-3 as NEW-7), two a page: four pages, then
	// the two keys the search did not return, asked for alone.
	wantCalls := []string{"POST /rest/api/3/search/jql", "POST /rest/api/3/search/jql", "POST /rest/api/3/search/jql", "POST /rest/api/3/search/jql",
		"GET /rest/api/3/issue/OLD-3", "GET /rest/api/3/issue/OPS-404"}
	if calls := f.calls(); !slices.Equal(calls, wantCalls) {
		t.Errorf("requests:\n got %q\nwant %q", calls, wantCalls)
	}
}

// TestTicketsDataCenter: v2 search with startAt pages, a bearer token,
// the Data Center user name where no email is shown, and Duplicate as
// wont_do.
func TestTicketsDataCenter(t *testing.T) {
	f := newFake(t, false, "testdata/dc-issues.json")
	f.pageSize = 1
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), refsOf(c, "OPS-1", "OPS-2", "OPS-9"))
	if err != nil {
		t.Fatal(err)
	}
	trackertest.Compare(t, got, map[string]trackers.Ticket{
		"OPS-1": {Key: "OPS-1", Outcome: trackers.Found, Status: record.ItemOpen, TrackerStatus: "In Progress (indeterminate)",
			Assignees: []string{"erin@acme.com"}, Due: day("2026-05-20"), UpdatedAt: trackertest.Time("2026-05-12T10:00:00Z")},
		"OPS-2": {Key: "OPS-2", Outcome: trackers.Found, Status: record.ItemWontDo, TrackerStatus: "Closed (done), resolution Duplicate",
			ClosedAt: trackertest.Time("2026-05-18T07:30:00Z"), Assignees: []string{"frank"}, UpdatedAt: trackertest.Time("2026-05-18T07:30:00Z")},
		"OPS-9": {Key: "OPS-9", Outcome: trackers.NotFound},
	})
	wantCalls := []string{"POST /rest/api/2/search", "POST /rest/api/2/search", "GET /rest/api/2/issue/OPS-9"}
	if calls := f.calls(); !slices.Equal(calls, wantCalls) {
		t.Errorf("requests:\n got %q\nwant %q", calls, wantCalls)
	}
}

// TestRequestsPerBatch: 120 keys are two searches of at most 100 keys.
func TestRequestsPerBatch(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		f := newFake(t, cloud, "testdata/cloud-issues.json")
		keys := f.addIssues("OPS-1", 120)
		c := connect(t, f, apiclient.Config{})
		got, err := c.Tickets(context.Background(), refsOf(c, keys...))
		if err != nil {
			t.Fatal(err)
		}
		found := trackertest.Open(got)
		if calls := f.calls(); len(calls) != 2 || found != 120 {
			t.Errorf("cloud=%v: %d open tickets found in %d requests %q, want 120 in 2", cloud, found, len(calls), calls)
		}
	}
}

// TestFaults: what the core is told when the site misbehaves. A failure of
// the whole search is an error (the core keeps the last known states).
func TestFaults(t *testing.T) {
	trackertest.RunFaults(t, readFixture(t, "testdata/unauthorized.json"), token,
		func(t *testing.T, fault trackertest.Fault) (trackers.Client, []trackers.Ref) {
			f := newFake(t, true, "testdata/cloud-issues.json")
			f.fault = fault.Answer
			c := connect(t, f, fault.API)
			return c, refsOf(c, "OPS-1", "OPS-2")
		}, map[string]trackers.Ticket{"OPS-1": cloudTickets["OPS-1"], "OPS-2": cloudTickets["OPS-2"]})
}

// TestRefusedKeys: Jira refuses a search naming a key that does not exist
// (400 naming it); that key is NotFound and the rest are read.
func TestRefusedKeys(t *testing.T) {
	f := newFake(t, true, "testdata/cloud-issues.json")
	f.invalid["OPS-404"] = true
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), refsOf(c, "OPS-1", "OPS-404", "OPS-2"))
	if err != nil {
		t.Fatal(err)
	}
	if got["OPS-404"].Outcome != trackers.NotFound || got["OPS-1"].Status != record.ItemOpen || got["OPS-2"].Status != record.ItemDone {
		t.Errorf("tickets %+v, want OPS-404 not found, OPS-1 open, OPS-2 done", got)
	}
	// The refused search, then the search of the two others.
	if calls := f.calls(); len(calls) != 2 {
		t.Errorf("requests %q, want 2", calls)
	}
}

// TestRefusalNamingNoKey: a 400 that names none of the keys is the
// query's fault: an error, not every key NotFound.
func TestRefusalNamingNoKey(t *testing.T) {
	f := newFake(t, true, "testdata/cloud-issues.json")
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		f.answer(w, http.StatusBadRequest, "errorCollection", map[string]any{"errorMessages": []string{"Field 'x' does not exist."}})
		return true
	}
	c := connect(t, f, apiclient.Config{})
	if got, err := c.Tickets(context.Background(), refsOf(c, "OPS-1", "OPS-2", "OPS-3")); err == nil {
		t.Fatalf("tickets %+v, want an error", got)
	}
}

// TestKeysThatAreNotJiras: a key no Jira issue can have (not from Ref)
// is not_found without being put into a query.
func TestKeysThatAreNotJiras(t *testing.T) {
	f := newFake(t, true, "testdata/cloud-issues.json")
	c := connect(t, f, apiclient.Config{})
	got, err := c.Tickets(context.Background(), []trackers.Ref{{Key: "OPS-1"}, {Key: "OPS-1) OR project = SECRET"}})
	if err != nil {
		t.Fatal(err)
	}
	if got["OPS-1"].Status != record.ItemOpen || got["OPS-1) OR project = SECRET"].Outcome != trackers.NotFound || len(f.calls()) != 1 {
		t.Errorf("tickets %+v in %d requests, want OPS-1 open and the other not found, in 1", got, len(f.calls()))
	}
}

func TestRef(t *testing.T) {
	c, err := New(trackers.Tracker{Kind: trackers.KindJira, URL: "https://jira.acme.com/jira"}, token, apiclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	trackertest.CheckRefs(t, c, map[string]string{
		"https://jira.acme.com/jira/browse/OPS-12":                              "OPS-12",
		"https://JIRA.acme.com/jira/browse/ops-12":                              "OPS-12",
		"https://jira.acme.com/jira/browse/OPS-12?focusedCommentId=1":           "OPS-12",
		"https://jira.acme.com/jira/projects/OPS/issues/OPS-7":                  "OPS-7",
		"https://jira.acme.com/jira/secure/RapidBoard.jspa?selectedIssue=A_B-3": "A_B-3",
		"https://jira.acme.com/jira/browse/OPS":                                 "",
		"https://jira.acme.com/jira/browse/OPS-0":                               "",
		"https://jira.acme.com/jiranot/browse/OPS-12":                           "",
		"http://jira.acme.com/jira/browse/OPS-12":                               "",
		"https://github.com/acme/api/issues/12":                                 "",
	})
}

// TestAuthAndEndpoints: the credentials each kind of site takes, and
// where its search goes.
func TestAuthAndEndpoints(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	for _, tc := range []struct {
		tr             trackers.Tracker
		auth, endpoint string
	}{
		{trackers.Tracker{URL: "https://acme.atlassian.net", User: user}, basic, "https://acme.atlassian.net/rest/api/3/search/jql"},
		// A Cloud site on its own domain, its API named by api_url.
		{trackers.Tracker{URL: "https://jira.acme.com", APIURL: "https://acme.atlassian.net", User: user}, basic, "https://acme.atlassian.net/rest/api/3/search/jql"},
		{trackers.Tracker{URL: "https://jira.acme.com/jira"}, "Bearer " + token, "https://jira.acme.com/jira/rest/api/2/search"},
		{trackers.Tracker{URL: "https://jira.acme.com", User: user}, basic, "https://jira.acme.com/rest/api/2/search"},
	} {
		tc.tr.Kind = trackers.KindJira
		sent := trackertest.FirstRequest(t, func(api apiclient.Config) (trackers.Client, error) { return New(tc.tr, token, api) },
			trackers.Ref{Key: "OPS-1"})
		if sent.Header.Get("Authorization") != tc.auth || sent.URL.String() != tc.endpoint {
			t.Errorf("%+v: sent %s with Authorization %q, want %q to %s", tc.tr, sent.URL, sent.Header.Get("Authorization"), tc.auth, tc.endpoint)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		tr    trackers.Tracker
		token string
		want  string
	}{
		"Cloud without user":   {trackers.Tracker{Kind: "jira", URL: "https://acme.atlassian.net"}, token, "user: Jira Cloud needs"},
		"no token":             {trackers.Tracker{Kind: "jira", URL: "https://jira.acme.com"}, "", "token: empty"},
		"url not absolute":     {trackers.Tracker{Kind: "jira", URL: "jira.acme.com"}, token, "url: not an absolute"},
		"credentials in url":   {trackers.Tracker{Kind: "jira", URL: "https://bot:" + token + "@jira.acme.com"}, token, "credentials belong"},
		"api_url not absolute": {trackers.Tracker{Kind: "jira", URL: "https://jira.acme.com", APIURL: "/rest"}, token, "api_url"},
	} {
		_, err := New(tc.tr, tc.token, apiclient.Config{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), token) {
			t.Errorf("%s: error %v, want one with %q and no token", name, err, tc.want)
		}
	}
}

// TestSchemaRefusesDrift: the schema the fake checks against refuses what
// the documented API refuses, so a drifted request or fixture fails.
func TestSchemaRefusesDrift(t *testing.T) {
	s := apischema.LoadJSON(t, "testdata/jira.schema.json")
	for _, tc := range []struct{ def, doc string }{
		{"cloudSearchRequest", `{"jql": "key in (OPS-1)", "startAt": 0}`},
		{"cloudSearchRequest", `{"fields": ["status"]}`},
		{"dataCenterSearchRequest", `{"jql": "key in (OPS-1)", "nextPageToken": "x"}`},
		{"cloudSearchResults", `{"issues": [{"id": "1", "key": "OPS-1", "self": "https://a.atlassian.net/rest/api/3/issue/1", "fields": {"updated": "2026-05-12T10:00:00Z"}}]}`},
		{"cloudSearchResults", `{"issues": [{"id": "1", "key": "OPS-1", "self": "https://a.atlassian.net/rest/api/3/issue/1", "fields": {"status": {"name": "Done", "statusCategory": {"key": "closed"}}}}]}`},
		{"cloudSearchResults", `{"issues": [{"key": "OPS-1", "fields": {}}]}`},
		{"dataCenterSearchResults", `{"issues": []}`},
		{"issueBean", `{"id": "1", "key": "OPS-1", "self": "https://a/1", "fields": {"duedate": "20 May 2026"}}`},
	} {
		if err := s.Check(tc.def, []byte(tc.doc)); err == nil {
			t.Errorf("%s accepts %s", tc.def, tc.doc)
		}
	}
}
