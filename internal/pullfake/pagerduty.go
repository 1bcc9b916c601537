package pullfake

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pulltest"
)

// PagerDutyUnauthorized is what PagerDuty answers a bad key with.
var PagerDutyUnauthorized = []byte(`{"error":{"message":"Unauthorized","code":2006}}`)

// PagerDuty answers GET /incidents and GET /incidents/{id}/log_entries
// from a fixture folder (incidents.json, log_entries.json), checking each
// request's key, version header and query, and each fixture and answer,
// against the schema written from the published description. It answers
// pages of at most PageSize incidents and LogPageSize log entries,
// whatever limit asks for.
type PagerDuty struct {
	pulltest.Fake
	PageSize, LogPageSize int
	// Hollow answers every list with no incident and more: true.
	Hollow bool
	// Lists is the query of each list of incidents asked for, LogsAsked
	// the incident id of each page of log entries (read them once the
	// pull is done).
	Lists, LogsAsked []string

	token     string
	incidents []json.RawMessage
	created   []time.Time
	logs      map[string][]json.RawMessage // by incident id
	mu        sync.Mutex
}

// NewPagerDuty reads the fixtures in dir, checked against the schema at
// schema; every request must carry the REST API key token. It pages by 5
// incidents and 3 log entries.
func NewPagerDuty(t *testing.T, dir, schema, token string) *PagerDuty {
	t.Helper()
	f := &PagerDuty{Fake: pulltest.Fake{T: t, Schema: apischema.LoadJSON(t, schema)}, token: token, logs: map[string][]json.RawMessage{},
		PageSize: 5, LogPageSize: 3}
	f.incidents = f.Schema.Fixtures(t, filepath.Join(dir, "incidents.json"), "Incident")
	for _, raw := range f.incidents {
		var in struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		f.created = append(f.created, in.CreatedAt)
	}
	data, err := os.ReadFile(filepath.Join(dir, "log_entries.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &f.logs); err != nil {
		t.Fatal(err)
	}
	for id, entries := range f.logs {
		for i, e := range entries {
			if err := f.Schema.Check("LogEntry", e); err != nil {
				t.Fatalf("log entry %d of %s: %v", i, id, err)
			}
		}
	}
	return f
}

// Serve serves the fake until the test ends and returns its address.
func (f *PagerDuty) Serve(t *testing.T) string { return f.Start(t, f) }

func (f *PagerDuty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Faulted(w, r) {
		return
	}
	if got := r.Header.Get("Accept"); got != "application/vnd.pagerduty+json;version=2" {
		f.T.Errorf("%s: Accept %q, want PagerDuty's version 2 header", r.URL.Path, got)
	}
	if got := r.Header.Get("Authorization"); got != "Token token="+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(PagerDutyUnauthorized)
		return
	}
	query, _ := json.Marshal(r.URL.Query())
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	if path, ok := strings.CutPrefix(r.URL.Path, "/incidents/"); ok {
		id, ok := strings.CutSuffix(path, "/log_entries")
		if !ok {
			f.T.Errorf("GET %s: not an endpoint the source uses", r.URL.Path)
			return
		}
		if err := f.Schema.Check("ListLogEntriesQuery", query); err != nil {
			f.T.Errorf("GET %s?%s: %v", r.URL.Path, r.URL.RawQuery, err)
		}
		f.mu.Lock()
		f.LogsAsked = append(f.LogsAsked, id)
		f.mu.Unlock()
		page, more := window(f.logs[id], offset, f.LogPageSize)
		f.Answer(w, "LogEntriesList", map[string]any{"log_entries": page, "more": more, "offset": offset, "limit": f.LogPageSize, "total": nil})
		return
	}
	if r.URL.Path != "/incidents" {
		f.T.Errorf("GET %s: not an endpoint the source uses", r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if err := f.Schema.Check("ListIncidentsQuery", query); err != nil {
		f.T.Errorf("GET /incidents?%s: %v", r.URL.RawQuery, err)
	}
	f.mu.Lock()
	f.Lists = append(f.Lists, r.URL.RawQuery)
	f.mu.Unlock()
	var listed []json.RawMessage
	q := r.URL.Query()
	since, _ := time.Parse(time.RFC3339, q.Get("since"))
	until, _ := time.Parse(time.RFC3339, q.Get("until"))
	for i, raw := range f.incidents {
		if q.Get("date_range") == "all" || !f.created[i].Before(since) && f.created[i].Before(until) {
			listed = append(listed, raw)
		}
	}
	page, more := window(listed, offset, f.PageSize)
	if f.Hollow {
		page, more = []json.RawMessage{}, true
	}
	f.Answer(w, "IncidentsList", map[string]any{"incidents": page, "more": more, "offset": offset, "limit": f.PageSize, "total": nil})
}

// window is the page of all at offset, and whether more follow.
func window(all []json.RawMessage, offset, size int) ([]json.RawMessage, bool) {
	from := min(offset, len(all))
	to := min(from+size, len(all))
	return append([]json.RawMessage{}, all[from:to]...), to < len(all)
}
