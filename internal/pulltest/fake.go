package pulltest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
)

// Fake is what every source's fake API shares: it numbers the requests,
// lets Fault answer one instead, takes only GET, and answers JSON only
// once it matches its schema's definition.
type Fake struct {
	T      *testing.T
	Schema *apischema.JSON
	// Fault, when set, answers the n-th request (from 1) instead of the
	// fake, or returns false to let the fake answer.
	Fault func(w http.ResponseWriter, r *http.Request, n int) bool

	mu sync.Mutex
	n  int
}

// Start serves h (the fake that embeds f) until the test ends, and
// returns its address.
func (f *Fake) Start(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// Faulted numbers the request and tells whether Fault answered it; it
// fails the test for a method other than GET.
func (f *Fake) Faulted(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	if f.Fault != nil && f.Fault(w, r, n) {
		return true
	}
	if r.Method != http.MethodGet {
		f.T.Errorf("%s %s, want GET", r.Method, r.URL.Path)
	}
	return false
}

// Answer writes body as JSON once it matches the schema's definition def.
func (f *Fake) Answer(w http.ResponseWriter, def string, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		f.T.Fatal(err)
	}
	if err := f.Schema.Check(def, data); err != nil {
		f.T.Errorf("the fake's answer does not match %s: %v", def, err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}
