package report

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/examples"
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
		Report: Handler(current.Load, slog.New(slog.DiscardHandler)),
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
		"/report?format=csv": "postmortem-exporter report --format csv",
		"/report?format=pdf": `format "pdf": use html or md`,
		"/report?window=7d":  `window "7d": not one of the configured windows [30d 90d 365d]`,
	} {
		if resp, body := get(path); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want 400 saying %q", path, resp.StatusCode, body, want)
		}
	}
}
