package jira

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
)

const (
	token = "jira-token-s3cr3t-value"
	user  = "bot@acme.com"
)

// fakeJira answers the search and issue endpoints of a Jira Cloud (v3)
// or Data Center (v2) site from a fixture of issues, checking every
// request it is sent and every answer it gives against the schema.
type fakeJira struct {
	t      *testing.T
	schema *apischema.JSON
	cloud  bool
	issues map[string]json.RawMessage // by key
	moved  map[string]string          // an old key -> the key it answers under now
	// invalid are keys the search refuses with 400, naming them.
	invalid map[string]bool
	// pageSize is the most issues a page holds, maxResults aside.
	pageSize int
	// fault, when set, answers a request instead (it returns false to let
	// the fake answer).
	fault func(w http.ResponseWriter, r *http.Request, n int) bool

	mu       sync.Mutex
	requests []string // method and path of each request
	tokens   map[string]pageState
}

type pageState struct {
	jql    string
	offset int
}

func newFake(t *testing.T, cloud bool, fixture string) *fakeJira {
	t.Helper()
	f := &fakeJira{t: t, schema: apischema.LoadJSON(t, "testdata/jira.schema.json"), cloud: cloud,
		issues: map[string]json.RawMessage{}, moved: map[string]string{}, invalid: map[string]bool{},
		pageSize: 100, tokens: map[string]pageState{}}
	if fixture != "" {
		for _, is := range f.schema.Fixtures(t, fixture, "issueBean") {
			var k struct{ Key string }
			_ = json.Unmarshal(is, &k)
			f.issues[k.Key] = is
		}
	}
	return f
}

// addIssues adds n issues OPS-1000… made from the fixture's first one.
func (f *fakeJira) addIssues(template string, n int) []string {
	var keys []string
	for i := range n {
		key := fmt.Sprintf("OPS-%d", 1000+i)
		f.issues[key] = json.RawMessage(strings.Replace(string(f.issues[template]), `"key": "`+template+`"`, `"key": "`+key+`"`, 1))
		keys = append(keys, key)
	}
	return keys
}

func (f *fakeJira) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

var (
	jqlKeys   = regexp.MustCompile(`^key in \(([A-Z0-9_-]+(?:, [A-Z0-9_-]+)*)\)$`)
	issuePath = regexp.MustCompile(`^/rest/api/([23])/issue/([A-Z][A-Z0-9_]*-[1-9][0-9]*)$`)
)

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	n := len(f.requests)
	f.mu.Unlock()
	f.checkAuth(r)
	if f.fault != nil && f.fault(w, r, n) {
		return
	}
	version := map[bool]string{true: "3", false: "2"}[f.cloud]
	switch m := issuePath.FindStringSubmatch(r.URL.Path); {
	case r.Method == http.MethodPost && r.URL.Path == "/rest/api/"+version+"/search/jql" && f.cloud:
		f.searchCloud(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/rest/api/2/search" && !f.cloud:
		f.searchDataCenter(w, r)
	case r.Method == http.MethodGet && m != nil && m[1] == version:
		f.issue(w, r, m[2])
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

// checkAuth: Cloud takes the account's email and API token as basic
// auth, Data Center the personal access token as a bearer token.
func (f *fakeJira) checkAuth(r *http.Request) {
	got := r.Header.Get("Authorization")
	if f.cloud {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != token {
			f.t.Errorf("%s: Authorization %q is not basic auth with %s and the token", r.URL.Path, got, user)
		}
	} else if got != "Bearer "+token {
		f.t.Errorf("%s: Authorization %q is not the bearer token", r.URL.Path, got)
	}
}

// search reads a search request's body into req after checking it
// against def, and returns the issues its JQL (*jql, once read) finds;
// when the body is refused, or Jira would refuse keys of the JQL, it
// answers so and returns false.
func (f *fakeJira) search(w http.ResponseWriter, r *http.Request, def string, req any, jql *string) ([]json.RawMessage, bool) {
	data, err := io.ReadAll(r.Body)
	if err == nil {
		err = f.schema.Check(def, data)
	}
	if err == nil {
		err = json.Unmarshal(data, req)
	}
	if err != nil {
		f.t.Errorf("request body %s: %v", data, err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return nil, false
	}
	found, refused := f.match(*jql)
	if len(refused) > 0 {
		f.answer(w, http.StatusBadRequest, "errorCollection", map[string]any{"errorMessages": refused, "errors": map[string]string{}})
		return nil, false
	}
	return found, true
}

// answer checks v against def and writes it with status.
func (f *fakeJira) answer(w http.ResponseWriter, status int, def string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.schema.Check(def, data); err != nil {
		f.t.Errorf("the fake's answer %.300s does not match %s: %v", data, def, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// match returns the issues a JQL key list finds, moved keys answered
// under their new key, or the errors Jira gives for unknown ones.
func (f *fakeJira) match(jql string) ([]json.RawMessage, []string) {
	m := jqlKeys.FindStringSubmatch(jql)
	if m == nil {
		f.t.Errorf("JQL %q is not a key list", jql)
		return nil, []string{"bad JQL"}
	}
	var found []json.RawMessage
	var refused []string
	seen := map[string]bool{}
	for _, k := range strings.Split(m[1], ", ") {
		if f.invalid[k] {
			refused = append(refused, "An issue with key '"+k+"' does not exist for field 'key'.")
		}
		if to, ok := f.moved[k]; ok {
			k = to
		}
		if is, ok := f.issues[k]; ok && !seen[k] {
			seen[k] = true
			found = append(found, is)
		}
	}
	return found, refused
}

func (f *fakeJira) searchCloud(w http.ResponseWriter, r *http.Request) {
	var req struct {
		JQL           string `json:"jql"`
		MaxResults    int    `json:"maxResults"`
		NextPageToken string `json:"nextPageToken"`
	}
	found, ok := f.search(w, r, "cloudSearchRequest", &req, &req.JQL)
	if !ok {
		return
	}
	offset := 0
	if req.NextPageToken != "" {
		f.mu.Lock()
		state, ok := f.tokens[req.NextPageToken]
		f.mu.Unlock()
		if !ok || state.jql != req.JQL {
			f.t.Errorf("nextPageToken %q was not given for this JQL", req.NextPageToken)
		}
		offset = state.offset
	}
	end := min(offset+min(f.pageSize, max(req.MaxResults, 1)), len(found))
	page := map[string]any{"issues": found[offset:end], "isLast": end == len(found)}
	if end < len(found) {
		tok := "page-" + strconv.Itoa(end) + "-" + strconv.Itoa(len(f.tokens))
		f.mu.Lock()
		f.tokens[tok] = pageState{jql: req.JQL, offset: end}
		f.mu.Unlock()
		page["nextPageToken"] = tok
	}
	f.answer(w, http.StatusOK, "cloudSearchResults", page)
}

func (f *fakeJira) searchDataCenter(w http.ResponseWriter, r *http.Request) {
	var req struct {
		JQL        string `json:"jql"`
		StartAt    int    `json:"startAt"`
		MaxResults int    `json:"maxResults"`
	}
	found, ok := f.search(w, r, "dataCenterSearchRequest", &req, &req.JQL)
	if !ok {
		return
	}
	size := min(f.pageSize, req.MaxResults)
	start := min(req.StartAt, len(found))
	end := min(start+size, len(found))
	f.answer(w, http.StatusOK, "dataCenterSearchResults", map[string]any{
		"startAt": req.StartAt, "maxResults": size, "total": len(found), "issues": found[start:end]})
}

func (f *fakeJira) issue(w http.ResponseWriter, r *http.Request, key string) {
	if got := r.URL.Query(); len(got) != 1 || got.Get("fields") == "" {
		f.t.Errorf("GET issue %s: query %q, want only fields", key, r.URL.RawQuery)
	}
	if to, ok := f.moved[key]; ok {
		key = to
	}
	is, ok := f.issues[key]
	if !ok {
		f.answer(w, http.StatusNotFound, "errorCollection", readFixture(f.t, "testdata/issue-not-found.json"))
		return
	}
	f.answer(w, http.StatusOK, "issueBean", is)
}

func readFixture(t *testing.T, path string) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
