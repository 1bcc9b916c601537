package linear

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/trackertest"
)

const token = "lin_api_s3cr3tTokenValue0123"

// fake is Linear's GraphQL API answering from the issues it holds. Every
// request is checked against the JSON schema (method, path, headers,
// body) and its query and variables against the GraphQL schema, both
// written from Linear's published schema; every answer against the JSON
// schema before it is sent.
type fake struct {
	t         *testing.T
	schema    *apischema.JSON
	graphql   *ast.Schema
	issues    []map[string]any
	moved     map[string]string // an old identifier -> the issue's identifier now
	forbidden []string          // identifiers the token may not read
	pageSize  int
	// fault, when set, answers instead of the API when it returns true.
	fault func(w http.ResponseWriter, r *http.Request, call int) bool

	mu    sync.Mutex
	calls int
}

func newFake(t *testing.T) *fake {
	data, err := os.ReadFile("testdata/issues.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, schema: apischema.LoadJSON(t, "testdata/linear-graphql.schema.json"),
		graphql: apischema.LoadGraphQL(t, "testdata/linear-schema.graphql"), pageSize: 100,
		moved: map[string]string{"ENG-9": "OPS-3"}, forbidden: []string{"ENG-8"}}
	if err := json.Unmarshal(data, &f.issues); err != nil {
		t.Fatal(err)
	}
	return f
}

type request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName,omitempty"`
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	var req request
	_ = json.Unmarshal(body, &req)
	sent := map[string]any{"method": r.Method, "path": r.URL.Path, "body": json.RawMessage(body),
		"header": map[string]string{"Authorization": r.Header.Get("Authorization"), "Content-Type": r.Header.Get("Content-Type")}}
	if err := f.schema.Value("request", sent); err != nil {
		f.t.Errorf("request does not follow the API: %v\n%s", err, body)
	}
	op, err := apischema.Query(f.graphql, req.Query, req.Variables)
	if err != nil {
		f.t.Errorf("query does not follow Linear's schema: %v\n%s", err, req.Query)
		f.send(w, http.StatusBadRequest, "errorAnswer", errorsOf("graphql error", err.Error()))
		return
	}
	if f.fault != nil && f.fault(w, r, call) {
		return
	}
	if r.Header.Get("Authorization") != token {
		f.send(w, http.StatusBadRequest, "errorAnswer", errorsOf("authentication error", "Authentication required, not authenticated"))
		return
	}
	switch op.Name {
	case "Tickets":
		f.list(w, req.Variables)
	case "Ticket":
		f.one(w, req.Variables["id"].(string))
	default:
		f.t.Errorf("unexpected operation %q", op.Name)
	}
}

// list answers the issues query: the issues whose team key and number
// the filter's or-list names, pageSize a page, the cursor an offset.
func (f *fake) list(w http.ResponseWriter, vars map[string]any) {
	var picked []any
	for _, is := range f.issues {
		team, number, _ := strings.Cut(is["identifier"].(string), "-")
		for _, clause := range vars["filter"].(map[string]any)["or"].([]any) {
			c := clause.(map[string]any)
			in := c["number"].(map[string]any)["in"].([]any)
			if c["team"].(map[string]any)["key"].(map[string]any)["eq"] == team && slices.Contains(in, any(mustFloat(number))) {
				picked = append(picked, is)
			}
		}
	}
	from := 0
	if after, ok := vars["after"].(string); ok {
		from, _ = strconv.Atoi(after)
	}
	to := min(from+f.pageSize, len(picked))
	var cursor any
	if to > from {
		cursor = strconv.Itoa(to)
	}
	f.send(w, http.StatusOK, "issuesAnswer", map[string]any{"data": map[string]any{"issues": map[string]any{
		"nodes":    append([]any{}, picked[from:to]...),
		"pageInfo": map[string]any{"hasNextPage": to < len(picked), "endCursor": cursor}}}})
}

// one answers issue(id:), as Linear does: an identifier an issue had
// before it moved gives the issue; one it may not read, a forbidden
// error; one that is not there, an "Entity not found" error with 400.
func (f *fake) one(w http.ResponseWriter, id string) {
	if now, ok := f.moved[id]; ok {
		id = now
	}
	if slices.Contains(f.forbidden, id) {
		f.send(w, http.StatusOK, "issueAnswer", map[string]any{"data": nil, "errors": errorsOf("forbidden", "Forbidden")["errors"]})
		return
	}
	for _, is := range f.issues {
		if is["identifier"] == id {
			f.send(w, http.StatusOK, "issueAnswer", map[string]any{"data": map[string]any{"issue": is}})
			return
		}
	}
	f.send(w, http.StatusBadRequest, "issueAnswer", errorsOf("invalid input", "Entity not found: Issue"))
}

func errorsOf(kind, message string) map[string]any {
	return map[string]any{"errors": []any{map[string]any{"message": message,
		"extensions": map[string]any{"type": kind, "userPresentableMessage": message}}}}
}

func mustFloat(s string) float64 {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// send answers with body once it passed the schema's definition def.
func (f *fake) send(w http.ResponseWriter, status int, def string, body any) {
	if err := f.schema.Value(def, body); err != nil {
		f.t.Errorf("the fake's answer does not follow the API: %v\n%v", err, body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fake) client(t *testing.T, api apiclient.Config) trackers.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	api.MinWait = time.Millisecond
	c, err := New(trackers.Tracker{Kind: trackers.KindLinear, URL: "https://linear.app/acme", APIURL: srv.URL}, token, api)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRef(t *testing.T) {
	c, err := New(trackers.Tracker{Kind: trackers.KindLinear, URL: "https://linear.app/acme"}, token, apiclient.Config{})
	if err != nil {
		t.Fatal(err)
	}
	trackertest.CheckRefs(t, c, map[string]string{
		"https://linear.app/acme/issue/ENG-123/fix-the-retry-budget": "ENG-123",
		"https://linear.app/acme/issue/eng-7":                        "ENG-7",
		"https://linear.app/acme/issue/ENG-0":                        "",
		"https://linear.app/acme/project/ENG-123":                    "",
		"https://linear.app/other/issue/ENG-123":                     "",
		"https://linear.app/acmeco/issue/ENG-123":                    "",
		"https://linear.app/acme/issue/ENG-12x":                      "",
	})
}

func TestAuthorization(t *testing.T) {
	for tok, want := range map[string]string{
		token:                 token,                        // a personal API key, as it is
		"oauth-access-token1": "Bearer oauth-access-token1", // an OAuth token
	} {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Get("Authorization")
			_, _ = w.Write([]byte(`{"data":{"issues":{"nodes":[],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}`))
		}))
		c, err := New(trackers.Tracker{Kind: trackers.KindLinear, URL: "https://linear.app/acme", APIURL: srv.URL}, tok, apiclient.Config{})
		if err != nil {
			t.Fatal(err)
		}
		// ENG-1 is not in the empty answer: the lookup that follows gets the same empty data and fails; only the header matters here.
		_, _ = c.Tickets(context.Background(), trackertest.Refs("ENG-1"))
		srv.Close()
		if got != want {
			t.Errorf("token %s sent as %q, want %q", tok, got, want)
		}
	}
	if _, err := New(trackers.Tracker{Kind: trackers.KindLinear, URL: "https://linear.app/acme"}, "", apiclient.Config{}); err == nil {
		t.Error("a tracker without a token was taken")
	}
}

// TestTicketsFromTheGraphQLAPI reads testdata/issues.json three issues
// a page, and looks up the three the query does not return. The expected
// tickets are the fixture's fields read by hand through the mapping in
// docs/trackers.md.
func TestTicketsFromTheGraphQLAPI(t *testing.T) {
	f := newFake(t)
	f.pageSize = 3
	got, err := f.client(t, apiclient.Config{}).Tickets(context.Background(),
		trackertest.Refs("ENG-1", "ENG-2", "ENG-3", "ENG-4", "ENG-5", "ENG-6", "OPS-7", "ENG-7", "ENG-8", "ENG-9", "ENG-1"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]trackers.Ticket{
		"ENG-1": {Key: "ENG-1", Outcome: trackers.Found, Status: "open", TrackerStatus: "In Progress (started)",
			Assignees: []string{"erin@acme.com"}, Due: trackertest.Day("2026-05-20"), UpdatedAt: trackertest.Time("2026-05-02T09:30:00Z")},
		"ENG-2": {Key: "ENG-2", Outcome: trackers.Found, Status: "done", TrackerStatus: "Done (completed)",
			ClosedAt: trackertest.Time("2026-05-03T10:00:00Z"), UpdatedAt: trackertest.Time("2026-05-03T10:00:05Z")},
		"ENG-3": {Key: "ENG-3", Outcome: trackers.Found, Status: "wont_do", TrackerStatus: "Won't do (canceled)",
			ClosedAt: trackertest.Time("2026-05-04T06:00:00Z"), Assignees: []string{"frank@acme.com"}, Due: trackertest.Day("2026-05-10"), UpdatedAt: trackertest.Time("2026-05-04T06:00:00Z")},
		"ENG-4": {Key: "ENG-4", Outcome: trackers.Found, Status: "wont_do", TrackerStatus: "Duplicate (duplicate)",
			ClosedAt: trackertest.Time("2026-05-05T12:00:00Z"), UpdatedAt: trackertest.Time("2026-05-05T12:00:00Z")},
		"ENG-5": {Key: "ENG-5", Outcome: trackers.Found, Status: "open", TrackerStatus: "Triage (triage)", UpdatedAt: trackertest.Time("2026-05-06T12:00:00Z")},
		// A state type the mapping does not know: no status, the tracker's words kept for the finding.
		"ENG-6": {Key: "ENG-6", Outcome: trackers.Found, TrackerStatus: "On Hold (paused)", UpdatedAt: trackertest.Time("2026-05-07T12:00:00Z")},
		"OPS-7": {Key: "OPS-7", Outcome: trackers.Found, Status: "open", TrackerStatus: "Backlog (backlog)",
			Assignees: []string{"grace@acme.com"}, UpdatedAt: trackertest.Time("2026-05-08T12:00:00Z")},
		"ENG-7": {Key: "ENG-7", Outcome: trackers.NotFound},
		"ENG-8": {Key: "ENG-8", Outcome: trackers.Forbidden},
		// Moved to team OPS: the state of the issue it is now.
		"ENG-9": {Key: "ENG-9", Outcome: trackers.Moved, MovedTo: "OPS-3", Status: "open", TrackerStatus: "Todo (unstarted)",
			Assignees: []string{"erin@acme.com"}, Due: trackertest.Day("2026-06-01"), UpdatedAt: trackertest.Time("2026-05-09T12:00:00Z")},
	}
	trackertest.Compare(t, got, want)
	// 7 issues listed three a page: 3 queries; 3 lookups.
	if f.calls != 6 {
		t.Errorf("%d requests, want 6", f.calls)
	}
}

// TestAHundredIssuesAQuery: 120 issues take two queries, not 120.
func TestAHundredIssuesAQuery(t *testing.T) {
	f := newFake(t)
	f.issues = nil
	var keys []string
	for n := 1; n <= 120; n++ {
		key := fmt.Sprintf("BIG-%d", n)
		f.issues = append(f.issues, map[string]any{"identifier": key, "state": map[string]any{"type": "started", "name": "Doing"},
			"completedAt": nil, "canceledAt": nil, "assignee": nil, "dueDate": nil, "updatedAt": "2026-05-01T00:00:00Z"})
		keys = append(keys, key)
	}
	got, err := f.client(t, apiclient.Config{}).Tickets(context.Background(), trackertest.Refs(keys...))
	if err != nil {
		t.Fatal(err)
	}
	if open := trackertest.Open(got); open != 120 || f.calls != 2 {
		t.Errorf("%d open issues in %d requests, want 120 in 2 (a hundred a request)", open, f.calls)
	}
}

// TestFaults: the faults every connector meets (internal/trackertest),
// and Linear's own: its rate limit reported in the body (mended by a
// retry, or an error once the retries are spent) and an error in a 200
// answer. What the tracker as a whole fails on is an error and no ticket.
func TestFaults(t *testing.T) {
	limited := func(times int) func(http.ResponseWriter, *http.Request, int) bool {
		return func(w http.ResponseWriter, _ *http.Request, n int) bool {
			if n > times {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Rate limit exceeded","extensions":{"type":"ratelimited","code":"RATELIMITED"}}]}`))
			return true
		}
	}
	trackertest.RunFaults(t, []byte(`{"errors":[{"message":"Authentication required","extensions":{"type":"authentication error"}}]}`), token,
		func(t *testing.T, fault trackertest.Fault) (trackers.Client, []trackers.Ref) {
			f := newFake(t)
			f.fault = fault.Answer
			return f.client(t, fault.API), trackertest.Refs("ENG-1")
		},
		map[string]trackers.Ticket{"ENG-1": {Key: "ENG-1", Outcome: trackers.Found, Status: "open", TrackerStatus: "In Progress (started)",
			Assignees: []string{"erin@acme.com"}, Due: trackertest.Day("2026-05-20"), UpdatedAt: trackertest.Time("2026-05-02T09:30:00Z")}},
		trackertest.Fault{Name: "RATELIMITED in a 400, then answered", Answer: limited(1)},
		trackertest.Fault{Name: "RATELIMITED until the retries are spent", API: apiclient.Config{Retries: 2}, WantErr: "rate limited", Answer: limited(3)},
		trackertest.Fault{Name: "an error in a 200 answer", WantErr: "Internal failure (internal error)",
			Answer: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				_, _ = w.Write([]byte(`{"data":null,"errors":[{"message":"Internal failure","extensions":{"type":"internal error"}}]}`))
				return true
			}})
}

// TestSchemasRefuseDrift: the schemas the fake is checked against refuse
// what Linear's published schema does not allow, so a query, a variable
// or a fixture that drifted from it fails the tests above.
func TestSchemasRefuseDrift(t *testing.T) {
	gql := apischema.LoadGraphQL(t, "testdata/linear-schema.graphql")
	filter := map[string]any{"or": []any{map[string]any{"team": map[string]any{"key": map[string]any{"eq": "ENG"}}, "number": map[string]any{"in": []any{1}}}}}
	if _, err := apischema.Query(gql, issuesQuery, map[string]any{"filter": filter}); err != nil {
		t.Fatalf("the client's issues query is refused: %v", err)
	}
	if _, err := apischema.Query(gql, issueQuery, map[string]any{"id": "ENG-1"}); err != nil {
		t.Fatalf("the client's issue query is refused: %v", err)
	}
	for name, tc := range map[string]struct {
		query string
		vars  map[string]any
	}{
		"a field Linear does not have":  {strings.Replace(issueQuery, "dueDate", "due", 1), map[string]any{"id": "ENG-1"}},
		"an argument it does not take":  {strings.Replace(issuesQuery, "includeArchived", "withArchived", 1), map[string]any{"filter": filter}},
		"a list where a number goes":    {issuesQuery, map[string]any{"filter": map[string]any{"or": []any{map[string]any{"number": map[string]any{"eq": []any{1, 2}}}}}}},
		"a filter field it has not got": {issuesQuery, map[string]any{"filter": map[string]any{"identifier": map[string]any{"eq": "ENG-1"}}}},
		"no id":                         {issueQuery, map[string]any{}},
	} {
		if _, err := apischema.Query(gql, tc.query, tc.vars); err == nil {
			t.Errorf("query with %s passed", name)
		}
	}
	js := apischema.LoadJSON(t, "testdata/linear-graphql.schema.json")
	for name, doc := range map[string]string{
		"identifier not a key":  `{"data":{"issue":{"identifier":"123","state":{"type":"started","name":"x"},"completedAt":null,"canceledAt":null,"assignee":null,"dueDate":null,"updatedAt":"2026-05-01T00:00:00Z"}}}`,
		"no state":              `{"data":{"issue":{"identifier":"ENG-1","completedAt":null,"canceledAt":null,"assignee":null,"dueDate":null,"updatedAt":"2026-05-01T00:00:00Z"}}}`,
		"dueDate not a date":    `{"data":{"issue":{"identifier":"ENG-1","state":{"type":"started","name":"x"},"completedAt":null,"canceledAt":null,"assignee":null,"dueDate":"soon","updatedAt":"2026-05-01T00:00:00Z"}}}`,
		"an unknown error type": `{"errors":[{"message":"x","extensions":{"type":"not found"}}]}`,
	} {
		if err := js.Check("issueAnswer", []byte(doc)); err == nil {
			t.Errorf("answer with %s passed", name)
		}
	}
}
