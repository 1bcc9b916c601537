package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/trackertest"
)

const (
	token  = "glpat-s3cr3t-token-value"
	schema = "testdata/gitlab-issues-v4.schema.json"
)

// fake is a GitLab answering the Issues API from the issues it holds,
// as the documented API does: the iids[] asked for, per_page of them a
// page with X-Next-Page. Every request it is sent and every answer it
// gives is checked against the schema written from GitLab's description.
type fake struct {
	t        *testing.T
	schema   *apischema.JSON
	projects map[string][]any // issues by project path
	refuse   map[string]int   // project path -> status
	pageSize int
	// fault, when set, answers instead of the API when it returns true.
	fault func(w http.ResponseWriter, r *http.Request, call int) bool

	mu    sync.Mutex
	calls int
}

func newFake(t *testing.T) *fake {
	var issues []any
	data, err := os.ReadFile("testdata/issues.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &issues); err != nil {
		t.Fatal(err)
	}
	return &fake{t: t, schema: apischema.LoadJSON(t, schema),
		projects: map[string][]any{"acme/payments": issues}, refuse: map[string]int{}, pageSize: 100}
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.mu.Unlock()
	if err := f.schema.Value("request", requestOf(r)); err != nil {
		f.t.Errorf("request %s %s does not follow the API: %v", r.Method, r.URL, err)
		f.send(w, http.StatusBadRequest, "error", map[string]any{"message": "400 Bad request"})
		return
	}
	if f.fault != nil && f.fault(w, r, call) {
		return
	}
	if r.Header.Get("PRIVATE-TOKEN") != token {
		f.send(w, http.StatusUnauthorized, "error", map[string]any{"message": "401 Unauthorized"})
		return
	}
	project, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/projects/"), "/issues"))
	if err != nil {
		f.t.Error(err)
	}
	if status, ok := f.refuse[project]; ok {
		f.send(w, status, "error", map[string]any{"message": strconv.Itoa(status) + " Project Not Found"})
		return
	}
	q := r.URL.Query()
	var picked []any
	for _, is := range f.projects[project] {
		if slices.Contains(q["iids[]"], fmt.Sprint(is.(map[string]any)["iid"])) {
			picked = append(picked, is)
		}
	}
	perPage, _ := strconv.Atoi(q.Get("per_page"))
	perPage = min(perPage, f.pageSize)
	page := 1
	if p := q.Get("page"); p != "" {
		page, _ = strconv.Atoi(p)
	}
	from, to := min((page-1)*perPage, len(picked)), min(page*perPage, len(picked))
	if to < len(picked) {
		w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
	}
	w.Header().Set("X-Page", strconv.Itoa(page))
	w.Header().Set("X-Per-Page", strconv.Itoa(perPage))
	f.send(w, http.StatusOK, "issues", append([]any{}, picked[from:to]...))
}

// send answers with body once it passed the schema's definition def.
func (f *fake) send(w http.ResponseWriter, status int, def string, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		f.t.Error(err)
	}
	if err := f.schema.Check(def, data); err != nil {
		f.t.Errorf("the fake's answer does not follow the API: %v\n%s", err, data)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// requestOf is a request as the schema's "request" describes it: method,
// path as sent (still escaped), query and the token header.
func requestOf(r *http.Request) map[string]any {
	header := map[string]string{}
	if v := r.Header.Get("PRIVATE-TOKEN"); v != "" {
		header["PRIVATE-TOKEN"] = v
	}
	return map[string]any{"method": r.Method, "path": r.URL.EscapedPath(), "query": r.URL.Query(), "header": header}
}

func (f *fake) client(t *testing.T, api apiclient.Config) trackers.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	api.MinWait = time.Millisecond
	c, err := New(trackers.Tracker{Kind: trackers.KindGitLab, URL: srv.URL}, token, api)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRef(t *testing.T) {
	c, err := New(trackers.Tracker{Kind: trackers.KindGitLab, URL: "https://gitlab.example/"}, token, apiclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := New(trackers.Tracker{Kind: trackers.KindGitLab, URL: "https://code.example/gitlab",
		APIURL: "https://code.example/gitlab/api/v4"}, token, apiclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	trackertest.CheckRefs(t, c, map[string]string{
		"https://gitlab.example/acme/payments/-/issues/11":                 "acme/payments#11",
		"https://gitlab.example/acme/platform/payments/-/issues/7#note_99": "acme/platform/payments#7",
		"https://gitlab.example/acme/payments/issues/3?view=x":             "acme/payments#3",
		"https://gitlab.example/acme/payments/-/work_items/5/":             "acme/payments#5",
		"https://gitlab.example/acme/payments/-/merge_requests/5":          "",
		"https://gitlab.example/acme/payments/-/issues/":                   "",
		"https://gitlab.example/acme/payments/-/issues/0":                  "",
		"https://gitlab.example/acme/payments/-/issues/new":                "",
		"https://gitlab.example.evil/acme/payments/-/issues/1":             "",
		"https://github.com/acme/payments/issues/1":                        "",
	})
	trackertest.CheckRefs(t, sub, map[string]string{
		"https://code.example/gitlab/acme/payments/-/issues/2": "acme/payments#2",
		"https://code.example/other/acme/payments/-/issues/2":  "",
	})
}

// TestTicketsFromTheIssuesAPI reads testdata/issues.json two issues a
// page, and two projects the API refuses. The expected tickets are the
// fixture's fields read by hand through the mapping in docs/trackers.md.
func TestTicketsFromTheIssuesAPI(t *testing.T) {
	f := newFake(t)
	f.pageSize = 2
	f.refuse["acme/gone"] = http.StatusNotFound
	f.refuse["acme/secret"] = http.StatusForbidden
	c := f.client(t, apiclient.Config{})
	got, err := c.Tickets(context.Background(), trackertest.Refs("acme/payments#11", "acme/payments#12", "acme/payments#13",
		"acme/payments#14", "acme/payments#15", "acme/payments#16", "acme/payments#17", "acme/payments#11",
		"acme/gone#1", "acme/secret#2"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]trackers.Ticket{
		"acme/payments#11": {Key: "acme/payments#11", Outcome: trackers.Found, Status: "open", TrackerStatus: "opened",
			Assignees: []string{"erin"}, Due: trackertest.Day("2026-05-20"), UpdatedAt: trackertest.Time("2026-05-02T09:30:00Z")},
		"acme/payments#12": {Key: "acme/payments#12", Outcome: trackers.Found, Status: "done", TrackerStatus: "closed",
			ClosedAt: trackertest.Time("2026-05-03T10:00:00Z"), Assignees: []string{"erin", "frank"}, UpdatedAt: trackertest.Time("2026-05-03T10:00:00Z")},
		// 08:00 at +02:00 is 06:00 UTC; the label matches "wontfix" whatever its case.
		"acme/payments#13": {Key: "acme/payments#13", Outcome: trackers.Found, Status: "wont_do", TrackerStatus: "closed, labelled WontFix",
			ClosedAt: trackertest.Time("2026-05-04T06:00:00Z"), Due: trackertest.Day("2026-05-10"), UpdatedAt: trackertest.Time("2026-05-04T06:00:00Z")},
		"acme/payments#14": {Key: "acme/payments#14", Outcome: trackers.Found, Status: "wont_do", TrackerStatus: "closed as duplicate",
			ClosedAt: trackertest.Time("2026-05-05T12:00:00Z"), UpdatedAt: trackertest.Time("2026-05-05T12:00:00Z")},
		"acme/payments#15": {Key: "acme/payments#15", Outcome: trackers.Moved, MovedTo: "issue id 9876",
			Assignees: []string{"grace"}, UpdatedAt: trackertest.Time("2026-05-06T12:00:00Z")},
		// A state the mapping does not know: no status, the tracker's word kept for the finding.
		"acme/payments#16": {Key: "acme/payments#16", Outcome: trackers.Found, TrackerStatus: "locked", UpdatedAt: trackertest.Time("2026-05-07T12:00:00Z")},
		"acme/payments#17": {Key: "acme/payments#17", Outcome: trackers.NotFound},
		"acme/gone#1":      {Key: "acme/gone#1", Outcome: trackers.NotFound},
		"acme/secret#2":    {Key: "acme/secret#2", Outcome: trackers.Forbidden},
	}
	trackertest.Compare(t, got, want)
	// acme/payments: 7 issues asked for, 6 listed two a page: 3 pages; one request each for the refused projects.
	if f.calls != 5 {
		t.Errorf("%d requests, want 5", f.calls)
	}
}

// TestAHundredIssuesARequest: 120 issues of one project take two
// requests, not 120.
func TestAHundredIssuesARequest(t *testing.T) {
	f := newFake(t)
	var issues []any
	var keys []string
	for n := 1; n <= 120; n++ {
		issues = append(issues, map[string]any{"id": 10000 + n, "iid": n, "project_id": 7, "state": "opened",
			"updated_at": "2026-05-01T00:00:00Z", "closed_at": nil, "due_date": nil, "labels": []any{}, "assignees": []any{}})
		keys = append(keys, "acme/big#"+strconv.Itoa(n))
	}
	f.projects["acme/big"] = issues
	got, err := f.client(t, apiclient.Config{}).Tickets(context.Background(), trackertest.Refs(keys...))
	if err != nil {
		t.Fatal(err)
	}
	if open := trackertest.Open(got); open != 120 || f.calls != 2 {
		t.Errorf("%d open issues in %d requests, want 120 in 2 (a hundred a request)", open, f.calls)
	}
}

// TestFaults: the faults every connector meets (internal/trackertest),
// and a 403 that is a rate limit beyond the longest wait, not a refused
// project: what the tracker as a whole fails on is an error and no
// ticket, what a retry mends is not.
func TestFaults(t *testing.T) {
	trackertest.RunFaults(t, []byte(`{"message":"401 Unauthorized"}`), token,
		func(t *testing.T, fault trackertest.Fault) (trackers.Client, []trackers.Ref) {
			f := newFake(t)
			f.fault = fault.Answer
			return f.client(t, fault.API), trackertest.Refs("acme/payments#11")
		},
		map[string]trackers.Ticket{"acme/payments#11": {Key: "acme/payments#11", Outcome: trackers.Found, Status: "open", TrackerStatus: "opened",
			Assignees: []string{"erin"}, Due: trackertest.Day("2026-05-20"), UpdatedAt: trackertest.Time("2026-05-02T09:30:00Z")}},
		trackertest.Fault{Name: "403 with a Retry-After beyond the longest wait", API: apiclient.Config{MaxWait: time.Second}, WantErr: "retry after 1h0m0s",
			Answer: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte(`{"message":"403 Forbidden"}`))
				return true
			}})
}

// TestSchemaRefusesDrift: the schema the fake is checked against refuses
// what GitLab's API description does not allow, so a fixture or a
// request that drifted from it fails the tests above.
func TestSchemaRefusesDrift(t *testing.T) {
	s := apischema.LoadJSON(t, schema)
	for name, doc := range map[string]string{
		"state a number":    `[{"id":1,"iid":1,"project_id":1,"state":1,"updated_at":"2026-05-01T00:00:00Z","closed_at":null,"due_date":null,"labels":[],"assignees":[]}]`,
		"no iid":            `[{"id":1,"project_id":1,"state":"opened","updated_at":"2026-05-01T00:00:00Z","closed_at":null,"due_date":null,"labels":[],"assignees":[]}]`,
		"due_date a time":   `[{"id":1,"iid":1,"project_id":1,"state":"opened","updated_at":"2026-05-01T00:00:00Z","closed_at":null,"due_date":"20 May","labels":[],"assignees":[]}]`,
		"assignee no login": `[{"id":1,"iid":1,"project_id":1,"state":"opened","updated_at":"2026-05-01T00:00:00Z","closed_at":null,"due_date":null,"labels":[],"assignees":[{"name":"Erin"}]}]`,
	} {
		if err := s.Check("issues", []byte(doc)); err == nil {
			t.Errorf("answer with %s passed", name)
		}
	}
	good := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/api/v4/projects/acme%2Fpayments/issues?iids%5B%5D=1&per_page=100", nil)
		r.Header.Set("PRIVATE-TOKEN", token)
		return r
	}
	if err := s.Value("request", requestOf(good())); err != nil {
		t.Fatalf("a documented request is refused: %v", err)
	}
	for name, spoil := range map[string]func(r *http.Request){
		"project path not encoded": func(r *http.Request) { r.URL.Path, r.URL.RawPath = "/api/v4/projects/acme/payments/issues", "" },
		"no token":                 func(r *http.Request) { r.Header.Del("PRIVATE-TOKEN") },
		"per_page over 100":        func(r *http.Request) { r.URL.RawQuery = "iids%5B%5D=1&per_page=500" },
		"a parameter not used":     func(r *http.Request) { r.URL.RawQuery += "&scope=all" },
		"iids not numbers":         func(r *http.Request) { r.URL.RawQuery = "iids%5B%5D=ENG-1&per_page=100" },
	} {
		r := good()
		spoil(r)
		if err := s.Value("request", requestOf(r)); err == nil {
			t.Errorf("request with %s passed", name)
		}
	}
}
