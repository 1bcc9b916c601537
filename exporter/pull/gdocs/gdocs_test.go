package gdocs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

const token = "ya29.s3cret-token"

// fakeDrive answers files.list from testdata/list-*.json and files.export
// from testdata/doc-*.html, after checking each request against the
// schema of what the source sends and each fixture against the schema
// of what Drive answers (testdata/drive-v3.schema.json).
type fakeDrive struct {
	t      *testing.T
	schema *apischema.JSON
	mu     sync.Mutex
	lists  []string // the q of each files.list request
	// fail, when set, answers instead of the fixtures (under mu).
	fail func(w http.ResponseWriter, r *http.Request) bool
}

func (f *fakeDrive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		f.t.Errorf("%s: Authorization %q", r.URL.Path, got)
	}
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail != nil && fail(w, r) {
		return
	}
	query := map[string]string{}
	for k, v := range r.URL.Query() {
		query[k] = v[0]
	}
	q, _ := json.Marshal(query)
	switch {
	case r.URL.Path == "/drive/v3/files":
		if err := f.schema.Check("ListRequest", q); err != nil {
			f.t.Errorf("files.list request %s: %v", q, err)
		}
		f.mu.Lock()
		f.lists = append(f.lists, query["q"])
		f.mu.Unlock()
		name := "testdata/list-1.json"
		if query["pageToken"] == "page-2-token" {
			name = "testdata/list-2.json"
		}
		data, err := os.ReadFile(name)
		if err != nil {
			f.t.Fatal(err)
		}
		if err := f.schema.Check("FileList", data); err != nil {
			f.t.Fatalf("%s: %v", name, err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(data)
	case strings.HasPrefix(r.URL.Path, "/drive/v3/files/") && strings.HasSuffix(r.URL.Path, "/export"):
		if err := f.schema.Check("ExportRequest", q); err != nil {
			f.t.Errorf("files.export request %s: %v", q, err)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/drive/v3/files/"), "/export")
		data, err := os.ReadFile(filepath.Join("testdata", id+".html"))
		if err != nil {
			http.Error(w, `{"error": {"code": 404}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(data)
	default:
		f.t.Errorf("unexpected request %s", r.URL)
		http.NotFound(w, r)
	}
}

// setFail sets the fault answered, nil for none; a handler of the
// previous case may still run (the timeout's).
func (f *fakeDrive) setFail(fail func(w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func newDrive(t *testing.T) (*fakeDrive, *httptest.Server) {
	f := &fakeDrive{t: t, schema: apischema.LoadJSON(t, "testdata/drive-v3.schema.json")}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func source(t *testing.T, base string, api apiclient.Config) *Source {
	t.Helper()
	api.BaseURL = base
	api.MinWait = time.Millisecond
	s, err := New(Config{API: api, Token: token, Folder: "folder-1", Mapping: pull.SourceMapping{}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func pullOnce(dir string, s *Source) (*pull.Summary, error) {
	return pull.Run(context.Background(), s, pull.Options{Dir: dir, Taxonomy: record.DefaultTaxonomy()})
}

func TestPullFolder(t *testing.T) {
	f, srv := newDrive(t)
	dir := t.TempDir()
	s := source(t, srv.URL, apiclient.Config{})
	sum, err := pullOnce(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	// doc-a and doc-b are written; doc-c is trashed and has no record:
	// nothing to report gone.
	if sum.Incidents != 3 || sum.Written != 2 || len(sum.Gone) != 0 {
		t.Errorf("summary %s gone %v", sum, sum.Gone)
	}
	want := []string{
		"'folder-1' in parents and mimeType = 'application/vnd.google-apps.document'",
		"'folder-1' in parents and mimeType = 'application/vnd.google-apps.document'",
	}
	if strings.Join(f.lists, "\n") != strings.Join(want, "\n") {
		t.Errorf("list queries:\n%s", strings.Join(f.lists, "\n"))
	}
	b, err := os.ReadFile(filepath.Join(dir, "gdocs-doc-b.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The hostile title round-trips; SEV-2 is not a severity without a
	// mapping: a finding naming the table row.
	for _, line := range []string{
		`title: 'Ünïcode: "quoted" --- title: with #hash & ''apostrophes'''`,
		"url: https://docs.google.com/document/d/doc-b/edit",
		"    source_field: table row \"Severity\"\n    value: SEV-2\n    reason: not in the mapping file\n",
		// The paragraph "---" is escaped, so no line of the narrative
		// closes the front matter.
		"---\n\\---\n\nBody after a rule.\n",
	} {
		if !strings.Contains(string(b), line) {
			t.Errorf("gdocs-doc-b.md lacks %q:\n%s", line, b)
		}
	}

	// The second pull asks only for what changed after the latest
	// modifiedTime (doc-c's, 2026-06-04T08:00:00Z), and changes no byte.
	f.lists = nil
	sum, err = pullOnce(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.lists) != 2 || !strings.HasSuffix(f.lists[0], " and modifiedTime > '2026-06-04T08:00:00Z'") {
		t.Errorf("incremental list queries: %q", f.lists)
	}
	if sum.Written != 0 || sum.Unchanged != 2 {
		t.Errorf("re-pull: %s", sum)
	}
	if b2, _ := os.ReadFile(filepath.Join(dir, "gdocs-doc-b.md")); string(b2) != string(b) {
		t.Error("re-pull changed gdocs-doc-b.md")
	}
}

// TestFaultsLeaveFilesAsTheyWere: after a good pull, each fault fails
// the next (full) pull, never shows the token, and leaves every file and
// the state as they were, with no temporary file.
func TestFaultsLeaveFilesAsTheyWere(t *testing.T) {
	f, srv := newDrive(t)
	dir := t.TempDir()
	if _, err := pullOnce(dir, source(t, srv.URL, apiclient.Config{})); err != nil {
		t.Fatal(err)
	}
	before := testenv.FolderContents(t, dir)
	exportOnly := func(status int, body string) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/export") || !strings.Contains(r.URL.Path, "doc-b") {
				return false
			}
			w.WriteHeader(status)
			fmt.Fprint(w, body)
			return true
		}
	}
	for name, c := range map[string]struct {
		fail func(w http.ResponseWriter, r *http.Request) bool
		api  apiclient.Config
		want string
	}{
		"401": {fail: func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, `{"error": {"code": 401, "message": "Invalid Credentials `+token+`"}}`, http.StatusUnauthorized)
			return true
		}, want: "401 Unauthorized"},
		"429 beyond the wait": {fail: func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}, want: "429 Too Many Requests (rate limited) (retry after 1h0m0s)"},
		"5xx":       {fail: exportOnly(http.StatusBadGateway, "bad gateway"), api: apiclient.Config{Retries: 1}, want: "502 Bad Gateway"},
		"malformed": {fail: func(w http.ResponseWriter, r *http.Request) bool { fmt.Fprint(w, `{"files": [`); return true }, want: "malformed JSON"},
		"timeout": {fail: func(w http.ResponseWriter, r *http.Request) bool {
			time.Sleep(300 * time.Millisecond)
			return false
		}, api: apiclient.Config{Timeout: 100 * time.Millisecond, Retries: -1}, want: "Client.Timeout"},
		"10 MB page": {fail: exportOnly(http.StatusOK, "<p>"+strings.Repeat("x", 10<<20)+"</p>"),
			api: apiclient.Config{MaxBody: 4 << 20}, want: "larger than 4194304 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			f.setFail(c.fail)
			defer f.setFail(nil)
			_, err := pull.Run(context.Background(), source(t, srv.URL, c.api), pull.Options{Dir: dir, Taxonomy: record.DefaultTaxonomy(), Full: true})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the token: %v", err)
			}
			if after := testenv.FolderContents(t, dir); after != before {
				t.Errorf("the folder changed:\n%s\nwas:\n%s", after, before)
			}
		})
	}
}

// TestDeletedDocumentIsGone: a document deleted for good is no longer
// listed (here doc-b, taken out of the folder's first page); the next
// full pull reports its record gone and keeps it.
func TestDeletedDocumentIsGone(t *testing.T) {
	dir := t.TempDir()
	pullFrom := func(fixtures string) *pull.Summary {
		t.Helper()
		url := pullfake.Drive(t, pullfake.Options{Dir: fixtures, Schema: "testdata/drive-v3.schema.json", Token: token})
		sum, err := pull.Run(context.Background(), source(t, url, apiclient.Config{}), pull.Options{Dir: dir, Taxonomy: record.DefaultTaxonomy(), Full: true})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	pullFrom("testdata")
	kept, err := os.ReadFile(filepath.Join(dir, "gdocs-doc-b.md"))
	if err != nil {
		t.Fatal(err)
	}

	deleted := t.TempDir()
	for _, name := range []string{"list-1.json", "list-2.json", "doc-a.html"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "list-1.json" {
			var list map[string]any
			if err := json.Unmarshal(data, &list); err != nil {
				t.Fatal(err)
			}
			list["files"] = list["files"].([]any)[:1]
			data, _ = json.Marshal(list)
		}
		if err := os.WriteFile(filepath.Join(deleted, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := pullFrom(deleted)
	want := "gdocs-doc-b.md: no longer listed by gdocs (deleted, or moved out of what is pulled)"
	if len(sum.Gone) != 1 || sum.Gone[0] != want {
		t.Errorf("gone = %q, want %q", sum.Gone, want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "gdocs-doc-b.md")); string(got) != string(kept) {
		t.Error("the record of the deleted document changed")
	}
}
