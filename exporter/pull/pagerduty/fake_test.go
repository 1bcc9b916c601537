package pagerduty

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pulltest"
)

const token = "pd-rest-key-s3cr3t-value"

// unauthorized is what PagerDuty answers a bad key with.
var unauthorized = []byte(`{"error":{"message":"Unauthorized","code":2006}}`)

// fakePagerDuty answers GET /incidents and GET /incidents/{id}/log_entries
// from the fixtures in testdata, checking each request's key, version
// header and query, and each answer, against the schema written from the
// published description. It answers pages of at most pageSize incidents
// and logPageSize log entries, whatever limit asks for.
type fakePagerDuty struct {
	pulltest.Fake
	incidents   []json.RawMessage
	created     []time.Time
	logs        map[string][]json.RawMessage // by incident id
	pageSize    int
	logPageSize int
	// hollow answers every list with no incident and more: true.
	hollow bool

	mu        sync.Mutex
	lists     []string // the query of each list of incidents
	logsAsked []string // the incident id of each page of log entries
}

func newFake(t *testing.T) *fakePagerDuty {
	t.Helper()
	f := &fakePagerDuty{Fake: pulltest.Fake{T: t, Schema: apischema.LoadJSON(t, "testdata/pagerduty.schema.json")}, logs: map[string][]json.RawMessage{},
		pageSize: 5, logPageSize: 3}
	f.incidents = f.Schema.Fixtures(t, "testdata/incidents.json", "Incident")
	for _, raw := range f.incidents {
		var in struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		f.created = append(f.created, in.CreatedAt)
	}
	data, err := os.ReadFile("testdata/log_entries.json")
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

func (f *fakePagerDuty) start(t *testing.T) string { return f.Start(t, f) }

func (f *fakePagerDuty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Faulted(w, r) {
		return
	}
	if got := r.Header.Get("Accept"); got != "application/vnd.pagerduty+json;version=2" {
		f.T.Errorf("%s: Accept %q, want PagerDuty's version 2 header", r.URL.Path, got)
	}
	if got := r.Header.Get("Authorization"); got != "Token token="+token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(unauthorized)
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
		f.logsAsked = append(f.logsAsked, id)
		f.mu.Unlock()
		entries := f.logs[id]
		page, more := window(entries, offset, f.logPageSize)
		f.Answer(w, "LogEntriesList", map[string]any{"log_entries": page, "more": more, "offset": offset, "limit": f.logPageSize, "total": nil})
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
	f.lists = append(f.lists, r.URL.RawQuery)
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
	page, more := window(listed, offset, f.pageSize)
	if f.hollow {
		page, more = []json.RawMessage{}, true
	}
	f.Answer(w, "IncidentsList", map[string]any{"incidents": page, "more": more, "offset": offset, "limit": f.pageSize, "total": nil})
}

// window is the page of all at offset, and whether more follow.
func window(all []json.RawMessage, offset, size int) ([]json.RawMessage, bool) {
	from := min(offset, len(all))
	to := min(from+size, len(all))
	return append([]json.RawMessage{}, all[from:to]...), to < len(all)
}
