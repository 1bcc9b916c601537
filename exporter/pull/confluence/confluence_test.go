package confluence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pullfake"
)

const (
	user  = "sre@example.com"
	token = "ATATT-s3cret"
)

// fakeConfluence answers Cloud v2 under /wiki/api/v2, Cloud's v1 search
// under /wiki/rest/api and Data Center's v1 under /rest/api, from the
// fixtures in testdata, checking every fixture and request against
// testdata/confluence.schema.json and the credentials of the flavor.
type fakeConfluence struct {
	t        *testing.T
	schema   *apischema.JSON
	mu       sync.Mutex
	requests []string // path?query of each request
	wantAuth string
	fail     int // the status to answer with, 0 for the fixtures
}

func (f *fakeConfluence) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Authorization"); got != f.wantAuth {
		f.t.Errorf("%s: Authorization %q, want %q", r.URL.Path, got, f.wantAuth)
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.Path+"?"+r.URL.RawQuery)
	f.mu.Unlock()
	if f.fail != 0 {
		http.Error(w, `{"message": "no"}`, f.fail)
		return
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = v[0]
	}
	q, _ := json.Marshal(query)
	var request, fixture, def string
	switch {
	case r.URL.Path == "/wiki/api/v2/spaces":
		request, fixture, def = "V2SpacesRequest", "v2-spaces.json", "V2SpaceList"
	case r.URL.Path == "/wiki/api/v2/spaces/98304/pages" && query["cursor"] == "":
		request, fixture, def = "V2PagesRequest", "v2-pages-1.json", "V2PageList"
	case r.URL.Path == "/wiki/api/v2/spaces/98304/pages" && query["cursor"] == "abc":
		request, fixture, def = "V2PagesRequest", "v2-pages-2.json", "V2PageList"
	case r.URL.Path == "/rest/api/content" && query["start"] == "0":
		request, fixture, def = "V1ContentRequest", "v1-content-1.json", "V1ContentArray"
	case r.URL.Path == "/rest/api/content" && query["start"] == "1":
		request, fixture, def = "V1ContentRequest", "v1-content-2.json", "V1ContentArray"
	case r.URL.Path == "/wiki/rest/api/content/search":
		request, fixture, def = "V1SearchRequest", "v1-content-2.json", "V1ContentArray"
	default:
		f.t.Errorf("unexpected request %s", r.URL)
		http.NotFound(w, r)
		return
	}
	if err := f.schema.Check(request, q); err != nil {
		f.t.Errorf("request %s %s: %v", r.URL.Path, q, err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.schema.Check(def, data); err != nil {
		f.t.Fatalf("%s: %v", fixture, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

var mapping = pull.SourceMapping{
	Values: map[string]map[string]string{"severity": {"major": "sev2"}},
	Fields: map[string]string{"incident lead": "moderator"},
}

func setup(t *testing.T, cfg Config) (*fakeConfluence, *Source) {
	t.Helper()
	f := &fakeConfluence{t: t, schema: apischema.LoadJSON(t, "testdata/confluence.schema.json")}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.API = apiclient.Config{BaseURL: srv.URL, MinWait: time.Millisecond, Retries: -1}
	if cfg.Flavor == Cloud {
		cfg.API.BaseURL += "/wiki"
		cfg.User = user
		f.wantAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+token))
	} else {
		f.wantAuth = "Bearer " + token
	}
	cfg.Token, cfg.Space, cfg.Mapping = token, "OPS", mapping
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, s
}

func pullInto(t *testing.T, dir string, s *Source) *pull.Summary {
	t.Helper()
	sum, err := pull.Run(context.Background(), s, pull.Options{Dir: dir, Mapping: mapping, Taxonomy: record.DefaultTaxonomy()})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestCloudSpace pulls a Cloud space through v2 (two pages of results),
// then pulls again from the cursor: the newest page is as old as the
// cursor, so the listing stops at its first page and nothing changes.
func TestCloudSpace(t *testing.T) {
	f, s := setup(t, Config{Flavor: Cloud})
	dir := t.TempDir()
	if sum := pullInto(t, dir, s); sum.Written != 2 || len(sum.Conflicts) != 0 {
		t.Fatalf("summary %s %v", sum, sum.Conflicts)
	}
	want := []string{
		"/wiki/api/v2/spaces?keys=OPS",
		"/wiki/api/v2/spaces/98304/pages?body-format=storage&limit=50&sort=-modified-date",
		"/wiki/api/v2/spaces/98304/pages?cursor=abc&limit=50",
	}
	if strings.Join(f.requests, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s", strings.Join(f.requests, "\n"))
	}
	queue := read(t, filepath.Join(dir, "PM-2026-031.md"))
	for _, line := range []string{
		"title: 'Queue backlog: 日本語 & \"quotes\" second line'\n", // two lines joined into one
		"severity: sev2\n", "url: " + s.cfg.API.BaseURL + "/spaces/OPS/pages/1002/Queue+backlog\n",
		"---\nConsumers stalled.\n",
	} {
		if !strings.Contains(queue, line) {
			t.Errorf("PM-2026-031.md lacks %q:\n%s", line, queue)
		}
	}
	login := read(t, filepath.Join(dir, "confluence-1001.md"))
	for _, line := range []string{"title: Login failures\n", "moderator: 5b10ac8d82e05b22cc7d4ef5\n", "    owner: erin\n"} {
		if !strings.Contains(login, line) {
			t.Errorf("confluence-1001.md lacks %q:\n%s", line, login)
		}
	}

	f.requests = nil
	if sum := pullInto(t, dir, s); sum.Incidents != 0 || sum.Written != 0 {
		t.Errorf("second pull: %s", sum)
	}
	if len(f.requests) != 2 {
		t.Errorf("second pull requests: %v", f.requests)
	}
	if read(t, filepath.Join(dir, "PM-2026-031.md")) != queue {
		t.Error("the second pull changed a file")
	}
}

// TestDataCenterSpace pages through REST v1 with start and limit and a
// bearer token; the records hold what the Cloud pull wrote, but their
// Data Center addresses.
func TestDataCenterSpace(t *testing.T) {
	f, s := setup(t, Config{Flavor: DataCenter})
	dir := t.TempDir()
	if sum := pullInto(t, dir, s); sum.Written != 2 {
		t.Fatalf("summary %s", sum)
	}
	if len(f.requests) != 2 || !strings.Contains(f.requests[1], "start=1") {
		t.Errorf("requests: %v", f.requests)
	}
	if got := read(t, filepath.Join(dir, "PM-2026-031.md")); !strings.Contains(got, "url: "+s.cfg.API.BaseURL+"/display/OPS/Queue+backlog\n") {
		t.Errorf("PM-2026-031.md:\n%s", got)
	}
}

// TestLabelSearch selects pages by label with CQL; the next pull asks
// only for pages changed since the cursor's minute.
func TestLabelSearch(t *testing.T) {
	f, s := setup(t, Config{Flavor: Cloud, Label: "postmortem", Ancestor: "77"})
	dir := t.TempDir()
	pullInto(t, dir, s)
	pullInto(t, dir, s)
	cql := func(i int) string {
		_, q, _ := strings.Cut(f.requests[i], "?")
		values, _ := urlQuery(q)
		return values
	}
	if got, want := cql(0), `type = page AND space = "OPS" AND label = "postmortem" AND ancestor = "77" ORDER BY lastmodified ASC`; got != want {
		t.Errorf("first CQL %s, want %s", got, want)
	}
	if got, want := cql(1), `type = page AND space = "OPS" AND label = "postmortem" AND ancestor = "77" AND lastmodified >= "2026/06/13 10:00" ORDER BY lastmodified ASC`; got != want {
		t.Errorf("second CQL %s, want %s", got, want)
	}
}

// TestRefusedTokenWritesNothing: a 401 fails the pull naming the status,
// not the token, and writes no file.
func TestRefusedTokenWritesNothing(t *testing.T) {
	f, s := setup(t, Config{Flavor: Cloud})
	f.fail = http.StatusUnauthorized
	dir := t.TempDir()
	_, err := pull.Run(context.Background(), s, pull.Options{Dir: dir, Taxonomy: record.DefaultTaxonomy()})
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files after a refused pull: %v", entries)
	}
}

// urlQuery returns the cql parameter of a raw query.
func urlQuery(raw string) (string, error) {
	v, err := url.ParseQuery(raw)
	return v.Get("cql"), err
}

// TestDeletedPageIsGone: a page deleted (or trashed) is no longer listed
// (here 1001, taken out of the space's second page of answers); the next
// full pull reports its record gone and keeps it.
func TestDeletedPageIsGone(t *testing.T) {
	dir := t.TempDir()
	pullFrom := func(deleted bool) *pull.Summary {
		t.Helper()
		fixtures := t.TempDir()
		// The fake answers cursor abc (v2-pages-1.json's next) with v2-pages-abc.json.
		for name, from := range map[string]string{"v2-spaces.json": "v2-spaces.json", "v2-pages-1.json": "v2-pages-1.json", "v2-pages-abc.json": "v2-pages-2.json"} {
			data, err := os.ReadFile(filepath.Join("testdata", from))
			if err != nil {
				t.Fatal(err)
			}
			if deleted && name == "v2-pages-abc.json" {
				data = []byte(`{"results": [], "_links": {"base": "https://example.atlassian.net/wiki"}}`)
			}
			if err := os.WriteFile(filepath.Join(fixtures, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		url := pullfake.Confluence(t, pullfake.Options{Dir: fixtures, Schema: "testdata/confluence.schema.json", User: user, Token: token})
		s, err := New(Config{API: apiclient.Config{BaseURL: url, MinWait: time.Millisecond, Retries: -1}, Flavor: Cloud,
			User: user, Token: token, Space: "OPS", Mapping: mapping})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := pull.Run(context.Background(), s, pull.Options{Dir: dir, Mapping: mapping, Taxonomy: record.DefaultTaxonomy(), Full: true})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	pullFrom(false)
	sum := pullFrom(true)
	if len(sum.Gone) != 1 {
		t.Fatalf("gone = %q, want the record of page 1001", sum.Gone)
	}
	name, reason, _ := strings.Cut(sum.Gone[0], ": ")
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || !strings.Contains(string(data), "/pages/1001") || reason != "no longer listed by confluence (deleted, or moved out of what is pulled)" {
		t.Errorf("gone = %q; its file: %v\n%s", sum.Gone, err, data)
	}
}
