package report

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/server"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// TestHandler serves the report through the exporter's HTTP interface:
// linked from the landing page, HTML with a policy that lets no script
// run, Markdown on request, clear refusals for the CSV, an unknown window
// and before the first snapshot.
func TestHandler(t *testing.T) {
	src, rules := examplesSource(t)
	snap, err := src.Snapshot(t.Context(), examples.Anchor, rules)
	if err != nil {
		t.Fatal(err)
	}
	var current atomic.Pointer[snapshot.Snapshot]
	handler, err := server.Handler(server.Metrics{Live: prometheus.NewRegistry()}, server.Options{
		TelemetryPath: "/metrics", Ready: func() bool { return current.Load() != nil },
		Report: Handler(current.Load, 0, slog.New(slog.DiscardHandler)),
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}

	if resp, body := get("/report"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("before the first snapshot: %d %s", resp.StatusCode, body)
	}
	current.Store(snap)
	if _, body := get("/"); !strings.Contains(body, `href="/report"`) {
		t.Errorf("the landing page does not link the report:\n%s", body)
	}
	resp, body := get("/report")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(body, `<strong id="window">365d</strong>`) {
		t.Errorf("/report: %d %v\n%.300s", resp.StatusCode, resp.Header, body)
	}
	resp, body = get("/report?format=md&window=30d")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/markdown; charset=utf-8" ||
		!strings.Contains(body, "## 3. Aggregate learnings, last 30d") {
		t.Errorf("/report?format=md&window=30d: %d %v\n%.300s", resp.StatusCode, resp.Header, body)
	}
	for path, want := range map[string]string{
		"/report?format=csv":                        "postmortem-exporter report --format csv",
		"/report?format=pdf":                        `format "pdf": use html or md`,
		"/report?window=7d":                         `window "7d": not one of 30d, 90d, 365d`,
		"/report?team=nobody":                       `team "nobody": not one of `,
		"/report?severity=sev9":                     `severity "sev9": not one of sev1, sev2, sev3, sev4`,
		"/report?period=year":                       `period "year": not one of month, week, quarter`,
		"/report?format=md&team=%00%ff":             `team "\x00\xff": not one of `,
		"/report?team=" + strings.Repeat("x", 5000): `team "` + strings.Repeat("x", 64) + `…": not one of `,
	} {
		if resp, body := get(path); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want 400 saying %q", path, resp.StatusCode, body, want)
		}
	}
}

// getAll requests url from n clients at once and returns a digest of
// each body, read without holding it.
func getAll(t *testing.T, url string, n int) []string {
	t.Helper()
	digests := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := http.Get(url)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			h := sha256.New()
			size, err := io.Copy(h, resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d %v", url, resp.StatusCode, err)
			}
			digests[i] = fmt.Sprintf("%d bytes, sha256 %x", size, h.Sum(nil))
		})
	}
	wg.Wait()
	return digests
}

// TestReportServedFromMemory: 20 simultaneous requests for a 5 MB page
// get the same page, and the test process (server and clients) allocates
// for them about what one rendering takes: each request is written from
// the one rendering. Rendered per request, they allocated 20
// times the page's size at least (each request's own copy).
func TestReportServedFromMemory(t *testing.T) {
	records := make([]*record.Record, 200)
	for i := range records {
		records[i] = bulky(i)
	}
	snap := snapshotOf(t, 0, records...)
	srv := httptest.NewServer(Handler(func() *snapshot.Snapshot { return snap }, 0, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	// What one rendering allocates, measured here: the race detector
	// multiplies it, as it makes sync.Pool drop what fmt reuses.
	var page bytes.Buffer
	rendering := allocated(func() {
		if err := WriteHTML(&page, must(New(snap, Options{}))); err != nil {
			t.Fatal(err)
		}
	})
	var digests []string
	requests := allocated(func() { digests = getAll(t, srv.URL+"/report", 20) })
	for i, d := range digests {
		if d != digests[0] {
			t.Fatalf("request %d got another page (%s, the first %s)", i, d, digests[0])
		}
	}
	t.Logf("page %s; one rendering allocates %.1f MB, 20 requests %.1f MB", digests[0], float64(rendering)/1e6, float64(requests)/1e6)
	if bound := 2*rendering + uint64(2*page.Len()); requests > bound {
		t.Errorf("20 requests for a %d-byte page allocated %d bytes, more than one rendering (%d) and the page twice", page.Len(), requests, rendering)
	}
}

// allocated returns the bytes the process allocated while fn ran.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReportRenderedOncePerSnapshot counts the renderings: one per
// snapshot and page (format and window), whatever the requests.
func TestReportRenderedOncePerSnapshot(t *testing.T) {
	src, rules := examplesSource(t)
	first, err := src.Snapshot(t.Context(), examples.Anchor, rules)
	if err != nil {
		t.Fatal(err)
	}
	second, err := src.Snapshot(t.Context(), examples.Anchor.Add(time.Hour), rules)
	if err != nil {
		t.Fatal(err)
	}
	var current atomic.Pointer[snapshot.Snapshot]
	current.Store(first)
	handler := Handler(current.Load, 0, slog.New(slog.DiscardHandler))
	counter, ok := handler.(interface{ renders() int64 })
	if !ok {
		t.Fatal("the handler does not count its renderings")
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	for _, step := range []struct {
		swap  *snapshot.Snapshot
		path  string
		times int
		want  int64
	}{
		{nil, "/report", 20, 1},
		{nil, "/report?window=365d", 5, 1}, // the longest window, named
		{nil, "/report?format=md", 20, 2},
		{nil, "/report?window=30d", 3, 3},
		{second, "/report", 20, 4},
		{nil, "/report", 1, 4},
		{nil, "/report?format=md", 3, 5},
		// The filters name other pages; the defaults spelt out do not.
		{nil, "/report?team=platform", 3, 6},
		{nil, "/report?team=platform&severity=sev1&period=quarter", 3, 7},
		{nil, "/report?period=month&window=365d", 3, 7},
	} {
		if step.swap != nil {
			current.Store(step.swap)
		}
		getAll(t, srv.URL+step.path, step.times)
		if got := counter.renders(); got != step.want {
			t.Errorf("after %d × %s: %d renderings, want %d", step.times, step.path, got, step.want)
		}
	}
}

// TestReportPagesKeptBounded asks for more pages than the handler keeps
// per snapshot: those beyond MaxKeptPages are rendered per request and
// not kept, while the kept ones are still served from memory.
func TestReportPagesKeptBounded(t *testing.T) {
	src, rules := examplesSource(t)
	snap, err := src.Snapshot(t.Context(), examples.Anchor, rules)
	if err != nil {
		t.Fatal(err)
	}
	handler := Handler(func() *snapshot.Snapshot { return snap }, 0, slog.New(slog.DiscardHandler))
	counter := handler.(interface{ renders() int64 })
	srv := httptest.NewServer(handler)
	defer srv.Close()
	var paths []string
	for _, format := range []string{FormatHTML, FormatMarkdown} {
		for _, team := range append([]string{""}, Teams(snap)...) {
			for _, sev := range append([]string{""}, snap.Severities...) {
				for _, unit := range snapshot.PeriodUnits {
					paths = append(paths, fmt.Sprintf("/report?format=%s&team=%s&severity=%s&period=%s", format, team, sev, unit))
				}
			}
		}
	}
	if len(paths) <= MaxKeptPages {
		t.Fatalf("only %d distinct pages: the test needs more than %d", len(paths), MaxKeptPages)
	}
	for _, path := range paths {
		getAll(t, srv.URL+path, 1)
	}
	if got := counter.renders(); got != int64(len(paths)) {
		t.Fatalf("%d renderings for %d distinct pages", got, len(paths))
	}
	getAll(t, srv.URL+paths[0], 3)
	getAll(t, srv.URL+paths[MaxKeptPages], 2)
	if got, want := counter.renders(), int64(len(paths)+2); got != want {
		t.Errorf("%d renderings, want %d: the first page kept, the one past the bound rendered per request", got, want)
	}
	// A value the snapshot does not know is refused before any rendering.
	for i := range 50 {
		resp, err := http.Get(fmt.Sprintf("%s/report?team=t%d&severity=sev1%%00&period=%d", srv.URL, i, i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("an unknown team: %d, want 400", resp.StatusCode)
		}
	}
	if got, want := counter.renders(), int64(len(paths)+2); got != want {
		t.Errorf("%d renderings after unknown values, want %d", got, want)
	}
}

// TestFilteredPage: /report?team= narrows the page and says so in its
// title; the same page without the filter lists other teams.
func TestFilteredPage(t *testing.T) {
	src, rules := examplesSource(t)
	snap, err := src.Snapshot(t.Context(), examples.Anchor, rules)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(func() *snapshot.Snapshot { return snap }, 0, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	body := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		return string(b)
	}
	all, platform := body("/report"), body("/report?team=platform&severity=sev1")
	if !strings.Contains(platform, "<title>Post-mortem forum report · team platform · sev1 · window 365d · by month,") ||
		!strings.Contains(platform, `<h1 id="title">Post-mortem forum report · team platform · sev1 · window 365d · by month</h1>`) {
		t.Errorf("the filtered page's title does not name its filters:\n%.600s", platform)
	}
	for _, other := range []string{`<tr data-team="search">`, `<tr data-team="identity">`, "PM-2026-032-1"} {
		if !strings.Contains(all, other) || strings.Contains(platform, other) {
			t.Errorf("%s: in the whole page %v, in the platform page %v", other, strings.Contains(all, other), strings.Contains(platform, other))
		}
	}
	if n := strings.Count(platform, "<caption>"); n != strings.Count(platform, "<table") {
		t.Errorf("%d captions for %d tables: every table says what it holds", n, strings.Count(platform, "<table"))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
