package server

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestLandingPageLinksAnswer follows every link of the landing page that
// stays on the exporter: each must answer 200, so the page offers nothing
// the exporter does not serve (the toolkit's default profiling links
// pointed to /debug/pprof/, which answered 404).
func TestLandingPageLinksAnswer(t *testing.T) {
	f := newFixture(t, Options{Report: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})})
	page := serve(f.handler, "/", nil)
	if page.Code != http.StatusOK {
		t.Fatalf("/ answered %d", page.Code)
	}
	links := regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page.Body.String(), -1)
	followed := 0
	for _, l := range links {
		u, err := url.Parse(l[1])
		if err != nil {
			t.Errorf("link %q: %v", l[1], err)
			continue
		}
		if u.Host != "" || u.Path == "" {
			continue // another site, or a fragment
		}
		followed++
		if rec := serve(f.handler, (&url.URL{Path: "/" + strings.TrimLeft(u.Path, "/"), RawQuery: u.RawQuery}).String(), nil); rec.Code != http.StatusOK {
			t.Errorf("the landing page links to %s, which answers %d", l[1], rec.Code)
		}
	}
	// Metrics, report, health and readiness at least.
	if followed < 4 {
		t.Errorf("followed %d links of the landing page, want at least 4:\n%s", followed, page.Body)
	}
}
