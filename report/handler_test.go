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
		"/report?format=csv":            "postmortem-exporter report --format csv",
		"/report?format=pdf":            `format "pdf": use html or md`,
		"/report?window=7d":             `window "7d": not one of 30d, 90d, 365d`,
		"/report?team=nobody":           `team "nobody": not one of `,
		"/report?severity=sev9":         `severity "sev9": not one of sev1, sev2, sev3, sev4`,
		"/report?period=year":           `period "year": not one of month, week, quarter`,
		"/report?format=md&team=%00%ff": `team "\x00\xff": not one of `,
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

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
