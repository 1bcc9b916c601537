package pullfake

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pulltest"
)

// IncidentIOUnauthorized is what incident.io answers a bad API key with.
var IncidentIOUnauthorized = []byte(`{"type":"authentication_error","status":401,"request_id":"5e1a2b","errors":[{"code":"unauthorized","message":"API key is not valid"}]}`)

// IncidentIO answers GET /v2/incidents and GET /v2/follow_ups from a
// fixture folder (incidents.json, follow_ups.json), checking each
// request's key and query, and each fixture and answer, against the
// schema written from the published description.
type IncidentIO struct {
	pulltest.Fake
	// Stuck makes every page name the first page's last incident as the
	// next one.
	Stuck bool
	// Pages is the query of each page asked for; Ups the incident id of
	// each follow-up list asked for (read them once the pull is done).
	Pages, Ups []string

	token     string
	incidents []json.RawMessage
	updated   []time.Time // of each incident
	ids       []string
	followUps map[string][]json.RawMessage // by incident id
	mu        sync.Mutex
}

// NewIncidentIO reads the fixtures in dir, checked against the schema at
// schema; every request must carry the API key token.
func NewIncidentIO(t *testing.T, dir, schema, token string) *IncidentIO {
	t.Helper()
	f := &IncidentIO{Fake: pulltest.Fake{T: t, Schema: apischema.LoadJSON(t, schema)}, token: token, followUps: map[string][]json.RawMessage{}}
	f.incidents = f.Schema.Fixtures(t, filepath.Join(dir, "incidents.json"), "IncidentV2")
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
	for _, raw := range f.Schema.Fixtures(t, filepath.Join(dir, "follow_ups.json"), "FollowUpV2") {
		var fu struct {
			IncidentID string `json:"incident_id"`
		}
		_ = json.Unmarshal(raw, &fu)
		f.followUps[fu.IncidentID] = append(f.followUps[fu.IncidentID], raw)
	}
	return f
}

// Serve serves the fake until the test ends and returns its address.
func (f *IncidentIO) Serve(t *testing.T) string { return f.Start(t, f) }

func (f *IncidentIO) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Faulted(w, r) {
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(IncidentIOUnauthorized)
		return
	}
	query, _ := json.Marshal(r.URL.Query())
	switch r.URL.Path {
	case "/v2/incidents":
		if err := f.Schema.Check("ListIncidentsQuery", query); err != nil {
			f.T.Errorf("GET /v2/incidents?%s: %v", r.URL.RawQuery, err)
		}
		f.mu.Lock()
		f.Pages = append(f.Pages, r.URL.RawQuery)
		f.mu.Unlock()
		f.Answer(w, "IncidentsListResultV2", f.page(r))
	case "/v2/follow_ups":
		if err := f.Schema.Check("ListFollowUpsQuery", query); err != nil {
			f.T.Errorf("GET /v2/follow_ups?%s: %v", r.URL.RawQuery, err)
		}
		id := r.URL.Query().Get("incident_id")
		f.mu.Lock()
		f.Ups = append(f.Ups, id)
		f.mu.Unlock()
		ups := f.followUps[id]
		if ups == nil {
			ups = []json.RawMessage{}
		}
		f.Answer(w, "FollowUpsListResultV2", map[string]any{"follow_ups": ups})
	default:
		f.T.Errorf("GET %s: not an endpoint the source uses", r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// page is the page a list request asks for: the incidents updated on or
// after the day of updated_at[gte], from the one after "after".
func (f *IncidentIO) page(r *http.Request) map[string]any {
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
			f.T.Errorf("after=%s names no incident listed", after)
		}
	}
	to := min(from+size, len(all))
	page := []json.RawMessage{}
	for _, i := range all[from:to] {
		page = append(page, f.incidents[i])
	}
	meta := map[string]any{"page_size": size, "total_record_count": len(all)}
	switch {
	case f.Stuck && len(all) > 0:
		meta["after"] = f.ids[all[min(size, len(all))-1]]
	case to < len(all):
		meta["after"] = f.ids[all[to-1]]
	}
	return map[string]any{"incidents": page, "pagination_meta": meta}
}
