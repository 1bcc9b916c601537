package incidentio

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
)

const token = "inc-api-key-s3cr3t-value"

// unauthorized is what incident.io answers a bad API key with.
var unauthorized = []byte(`{"type":"authentication_error","status":401,"request_id":"5e1a2b","errors":[{"code":"unauthorized","message":"API key is not valid"}]}`)

// fakeIncidentIO answers GET /v2/incidents and GET /v2/follow_ups from the
// fixtures in testdata, checking each request's key and query, and each
// answer, against the schema written from the published description.
type fakeIncidentIO struct {
	t         *testing.T
	schema    *apischema.JSON
	incidents []json.RawMessage
	updated   []time.Time // of each incident
	ids       []string
	followUps map[string][]json.RawMessage // by incident id
	// fault, when set, answers the n-th request instead (it returns false
	// to let the fake answer).
	fault func(w http.ResponseWriter, r *http.Request, n int) bool
	// stuck makes every page name the first page's last incident as the
	// next one.
	stuck bool

	mu    sync.Mutex
	n     int
	pages []string // the query of each page asked for
	ups   []string // the incident id of each follow-up list asked for
}

func newFake(t *testing.T) *fakeIncidentIO {
	t.Helper()
	f := &fakeIncidentIO{t: t, schema: apischema.LoadJSON(t, "testdata/incidentio.schema.json"), followUps: map[string][]json.RawMessage{}}
	f.incidents = f.schema.Fixtures(t, "testdata/incidents.json", "IncidentV2")
	for _, raw := range f.incidents {
		var in struct {
			ID        string    `json:"id"`
			UpdatedAt time.Time `json:"updated_at"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, in.ID)
		f.updated = append(f.updated, in.UpdatedAt)
	}
	for _, raw := range f.schema.Fixtures(t, "testdata/follow_ups.json", "FollowUpV2") {
		var fu struct {
			IncidentID string `json:"incident_id"`
		}
		_ = json.Unmarshal(raw, &fu)
		f.followUps[fu.IncidentID] = append(f.followUps[fu.IncidentID], raw)
	}
	return f
}

func (f *fakeIncidentIO) start(t *testing.T) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *fakeIncidentIO) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if f.fault != nil && f.fault(w, r, n) {
		return
	}
	if r.Method != http.MethodGet {
		f.t.Errorf("%s %s, want GET", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(unauthorized)
		return
	}
	query, _ := json.Marshal(r.URL.Query())
	switch r.URL.Path {
	case "/v2/incidents":
		if err := f.schema.Check("ListIncidentsQuery", query); err != nil {
			f.t.Errorf("GET /v2/incidents?%s: %v", r.URL.RawQuery, err)
		}
		f.mu.Lock()
		f.pages = append(f.pages, r.URL.RawQuery)
		f.mu.Unlock()
		f.answer(w, "IncidentsListResultV2", f.page(r))
	case "/v2/follow_ups":
		if err := f.schema.Check("ListFollowUpsQuery", query); err != nil {
			f.t.Errorf("GET /v2/follow_ups?%s: %v", r.URL.RawQuery, err)
		}
		id := r.URL.Query().Get("incident_id")
		f.mu.Lock()
		f.ups = append(f.ups, id)
		f.mu.Unlock()
		ups := f.followUps[id]
		if ups == nil {
			ups = []json.RawMessage{}
		}
		f.answer(w, "FollowUpsListResultV2", map[string]any{"follow_ups": ups})
	default:
		f.t.Errorf("GET %s: not an endpoint the source uses", r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// page is the page a list request asks for: the incidents updated on or
// after the day of updated_at[gte], from the one after "after".
func (f *fakeIncidentIO) page(r *http.Request) map[string]any {
	q := r.URL.Query()
	size := 25
	if s := q.Get("page_size"); s != "" {
		size, _ = strconv.Atoi(s)
	}
	var since time.Time
	if s := q.Get("updated_at[gte]"); s != "" {
		since, _ = time.Parse(time.DateOnly, s)
	}
	var all []int
	for i := range f.incidents {
		if !f.updated[i].Before(since) {
			all = append(all, i)
		}
	}
	from := 0
	if after := q.Get("after"); after != "" {
		from = slices.IndexFunc(all, func(i int) bool { return f.ids[i] == after }) + 1
		if from == 0 {
			f.t.Errorf("after=%s names no incident listed", after)
		}
	}
	to := min(from+size, len(all))
	page := []json.RawMessage{}
	for _, i := range all[from:to] {
		page = append(page, f.incidents[i])
	}
	meta := map[string]any{"page_size": size, "total_record_count": len(all)}
	switch {
	case f.stuck && len(all) > 0:
		meta["after"] = f.ids[all[min(size, len(all))-1]]
	case to < len(all):
		meta["after"] = f.ids[all[to-1]]
	}
	return map[string]any{"incidents": page, "pagination_meta": meta}
}

// answer writes body as JSON once it matches the schema's definition def.
func (f *fakeIncidentIO) answer(w http.ResponseWriter, def string, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.schema.Check(def, data); err != nil {
		f.t.Errorf("the fake's answer does not match %s: %v", def, err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}
