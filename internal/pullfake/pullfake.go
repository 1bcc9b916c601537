// Package pullfake serves the APIs the pull reads (Confluence Cloud's
// REST v2, Google Drive v3, incident.io v2, PagerDuty's REST v2) from a
// folder of fixtures, for tests:
// every request and every fixture answered is checked against the
// source's schema (written from the vendor's published description, under
// the source's testdata), and every request must carry the token.
package pullfake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
)

// Options say what a fake serves and how.
type Options struct {
	// Dir is the folder of fixtures.
	Dir string
	// Schema is the path of the source's schema (under its testdata).
	Schema string
	// User (Confluence's basic auth only) and Token are the credentials
	// every request must carry.
	User, Token string
	// Latency is waited before each answer, as a distant API would.
	Latency time.Duration
}

// server is what both fakes share: the fixture folder, the schema, the
// expected Authorization header.
type server struct {
	t        testing.TB
	dir      string
	schema   *apischema.JSON
	wantAuth string
	latency  time.Duration
}

// newServer reads opts' schema; auth is the Authorization header wanted.
func newServer(t testing.TB, opts Options, auth string) *server {
	return &server{t: t, dir: opts.Dir, schema: apischema.LoadJSON(t, opts.Schema), wantAuth: auth, latency: opts.Latency}
}

// start serves h until the test ends and returns its address.
func start(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// query returns the request's query as the JSON object its schema
// definition describes (the first value of each parameter).
func query(r *http.Request) (map[string]string, []byte) {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	data, _ := json.Marshal(q)
	return q, data
}

// checkRequest fails the test when r lacks the token or its query does
// not match the definition def.
func (s *server) checkRequest(r *http.Request, def string) map[string]string {
	time.Sleep(s.latency)
	if got := r.Header.Get("Authorization"); got != s.wantAuth {
		s.t.Errorf("%s: Authorization header is not the token's", r.URL.Path)
	}
	if r.Method != http.MethodGet {
		s.t.Errorf("%s %s, want GET", r.Method, r.URL.Path)
	}
	q, data := query(r)
	if err := s.schema.Check(def, data); err != nil {
		s.t.Errorf("request %s %s: %v", r.URL.Path, data, err)
	}
	return q
}

// answerJSON writes the fixture name once it matches the definition def,
// and 404 when there is no such fixture.
func (s *server) answerJSON(w http.ResponseWriter, name, def string) {
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		http.Error(w, `{"message": "not found"}`, http.StatusNotFound)
		return
	}
	if err := s.schema.Check(def, data); err != nil {
		s.t.Errorf("fixture %s does not match %s: %v", name, def, err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// Confluence serves one Cloud space from opts.Dir: v2-spaces.json answers
// GET /wiki/api/v2/spaces, and v2-pages-1.json, v2-pages-C.json the
// space's pages with no cursor and with cursor C (so a fixture's
// _links.next names the next file's C). It checks the requests and
// fixtures against the schema's definitions and the basic auth of the
// user and token, and returns the site's root (…/wiki).
func Confluence(t testing.TB, opts Options) string {
	s := newServer(t, opts, "Basic "+basicAuth(opts.User, opts.Token))
	return start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/wiki/api/v2/spaces":
			s.checkRequest(r, "V2SpacesRequest")
			s.answerJSON(w, "v2-spaces.json", "V2SpaceList")
		case strings.HasPrefix(r.URL.Path, "/wiki/api/v2/spaces/") && strings.HasSuffix(r.URL.Path, "/pages"):
			cursor := s.checkRequest(r, "V2PagesRequest")["cursor"]
			if cursor == "" {
				cursor = "1"
			}
			s.answerJSON(w, "v2-pages-"+filepath.Base(cursor)+".json", "V2PageList")
		default:
			t.Errorf("unexpected Confluence request %s", r.URL)
			http.NotFound(w, r)
		}
	})) + "/wiki"
}

// Drive serves one Drive folder from opts.Dir: list-1.json answers files.list
// with no page token and list-N.json with page token page-N-token;
// files.export of the file ID answers ID.html. It checks the requests and
// fixtures against the schema's definitions and the bearer token, and
// returns the API's root.
func Drive(t testing.TB, opts Options) string {
	s := newServer(t, opts, "Bearer "+opts.Token)
	return start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/drive/v3/files":
			page := strings.TrimSuffix(strings.TrimPrefix(s.checkRequest(r, "ListRequest")["pageToken"], "page-"), "-token")
			if page == "" {
				page = "1"
			}
			s.answerJSON(w, "list-"+filepath.Base(page)+".json", "FileList")
		case strings.HasPrefix(r.URL.Path, "/drive/v3/files/") && strings.HasSuffix(r.URL.Path, "/export"):
			s.checkRequest(r, "ExportRequest")
			id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/drive/v3/files/"), "/export")
			data, err := os.ReadFile(filepath.Join(s.dir, filepath.Base(id)+".html"))
			if err != nil {
				http.Error(w, `{"error": {"code": 404}}`, http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write(data)
		default:
			t.Errorf("unexpected Drive request %s", r.URL)
			http.NotFound(w, r)
		}
	}))
}

// basicAuth is the credentials of a basic Authorization header.
func basicAuth(user, token string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
}
