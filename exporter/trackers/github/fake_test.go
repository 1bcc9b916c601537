package github

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
)

const token = "ghp_s3cr3tT0kenValue0123456789"

// fakeGitHub answers GraphQL queries of aliased repository issues from a
// fixture, checking every query it is sent against the GraphQL schema
// and every request and answer against the JSON schema.
type fakeGitHub struct {
	t       *testing.T
	schema  *apischema.JSON
	graphql *ast.Schema
	path    string                     // of the GraphQL endpoint
	issues  map[string]json.RawMessage // by owner/repo#number, lower case
	// moved are transferred issues: an old key -> the key it answers under.
	moved map[string]string
	// forbidden are the repositories the token may not read.
	forbidden map[string]bool
	// fault, when set, answers a request instead (false lets the fake answer).
	fault func(w http.ResponseWriter, r *http.Request, n int) bool

	mu       sync.Mutex
	requests int
	largest  int // the most issues one query asked for
}

func newFake(t *testing.T, path string) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{t: t, schema: apischema.LoadJSON(t, "testdata/github.schema.json"),
		graphql: apischema.LoadGraphQL(t, "testdata/github.graphql"), path: path,
		issues: map[string]json.RawMessage{}, moved: map[string]string{}, forbidden: map[string]bool{}}
	for _, is := range f.schema.Fixtures(t, "testdata/issues.json", "issue") {
		var k struct {
			Number     int
			Repository struct{ NameWithOwner string }
		}
		_ = json.Unmarshal(is, &k)
		f.issues[strings.ToLower(fmt.Sprintf("%s#%d", k.Repository.NameWithOwner, k.Number))] = is
	}
	return f
}

// addIssues adds n open issues acme/api#1000… made from acme/api#1.
func (f *fakeGitHub) addIssues(n int) []string {
	var keys []string
	for i := range n {
		number := 1000 + i
		is := strings.Replace(string(f.issues["acme/api#1"]), `"number": 1,`, fmt.Sprintf(`"number": %d,`, number), 1)
		key := fmt.Sprintf("acme/api#%d", number)
		f.issues[key] = json.RawMessage(is)
		keys = append(keys, key)
	}
	return keys
}

// counts are the requests the fake was sent and the most issues one
// asked for.
func (f *fakeGitHub) counts() (requests, largest int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.largest
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	n := f.requests
	f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		f.t.Errorf("Authorization %q is not the bearer token", got)
	}
	if r.Method != http.MethodPost || r.URL.Path != f.path || r.URL.RawQuery != "" {
		f.t.Errorf("request %s %s, want POST %s", r.Method, r.URL, f.path)
	}
	if f.fault != nil && f.fault(w, r, n) {
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.schema.Check("request", data); err != nil {
		f.t.Errorf("request body does not match the schema: %v", err)
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(data, &req); err != nil {
		f.t.Fatal(err)
	}
	op, err := apischema.Query(f.graphql, req.Query, req.Variables)
	if err != nil {
		f.t.Errorf("query does not validate against the GraphQL schema: %v\n%s", err, req.Query)
		http.Error(w, "bad query", http.StatusBadRequest)
		return
	}
	f.answer(w, f.resolve(op, req.Variables))
}

// resolve answers each aliased repository(...) { issue(...) } of op as
// GitHub does: an unknown repository or issue is null with a NOT_FOUND
// error, a repository the token may not read null with FORBIDDEN.
func (f *fakeGitHub) resolve(op *ast.OperationDefinition, vars map[string]any) map[string]any {
	data := map[string]any{}
	var errs []map[string]any
	fail := func(kind, msg string, path ...any) {
		errs = append(errs, map[string]any{"type": kind, "message": msg, "path": path,
			"locations": []map[string]int{{"line": 2, "column": 3}}})
	}
	f.mu.Lock()
	f.largest = max(f.largest, len(op.SelectionSet))
	f.mu.Unlock()
	for _, sel := range op.SelectionSet {
		repo := sel.(*ast.Field)
		args := repo.ArgumentMap(vars)
		name := fmt.Sprintf("%s/%s", args["owner"], args["name"])
		issueField := repo.SelectionSet[0].(*ast.Field)
		number := issueField.ArgumentMap(vars)["number"]
		key := strings.ToLower(fmt.Sprintf("%s#%v", name, number))
		if to, ok := f.moved[key]; ok {
			key = to
		}
		switch is, ok := f.issues[key]; {
		case f.forbidden[strings.ToLower(name)]:
			data[repo.Alias] = nil
			fail("FORBIDDEN", "Resource protected by organization SAML enforcement.", repo.Alias)
		case !strings.HasPrefix(key, "acme/"):
			data[repo.Alias] = nil
			fail("NOT_FOUND", "Could not resolve to a Repository with the name '"+name+"'.", repo.Alias)
		case !ok:
			data[repo.Alias] = map[string]any{"issue": nil}
			fail("NOT_FOUND", fmt.Sprintf("Could not resolve to an Issue with the number of %v.", number), repo.Alias, "issue")
		default:
			data[repo.Alias] = map[string]any{"issue": is}
		}
	}
	out := map[string]any{"data": data}
	if len(errs) > 0 {
		out["errors"] = errs
	}
	return out
}

// answer checks v against the response schema and writes it.
func (f *fakeGitHub) answer(w http.ResponseWriter, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.schema.Check("response", data); err != nil {
		f.t.Errorf("the fake's answer %.300s does not match the schema: %v", data, err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}
