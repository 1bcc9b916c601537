// Package server is the exporter's HTTP interface: metrics, the landing
// page and the health and readiness endpoints.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

// ReportPath is where the forum's report is served.
const ReportPath = "/report"

// Options shape the HTTP interface.
type Options struct {
	TelemetryPath string
	// MaxRequests bounds the requests served at once by the telemetry
	// path, and apart from them those served by /report (0: no limit);
	// Timeout bounds each of them (0: none). See bounded.
	MaxRequests int
	Timeout     time.Duration
	// Ready reports whether the first snapshot has been built.
	Ready func() bool
	// Report serves the forum's report on /report; nil for none.
	Report http.Handler
}

// Handler serves metrics on the telemetry path, /-/healthy, /-/ready,
// the report on /report and a landing page on /.
func Handler(metrics Metrics, opts Options, logger *slog.Logger) (http.Handler, error) {
	mux := http.NewServeMux()
	telemetry, err := newMetricsHandler(metrics, logger)
	if err != nil {
		return nil, err
	}
	mux.Handle(opts.TelemetryPath, bounded(telemetry, opts.MaxRequests, opts.Timeout))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !opts.Ready() {
			http.Error(w, "Not ready: the first refresh of the records has not succeeded yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	links := []web.LandingLinks{{Address: opts.TelemetryPath, Text: "Metrics"}}
	if opts.Report != nil {
		mux.Handle(ReportPath, bounded(opts.Report, opts.MaxRequests, opts.Timeout))
		links = append(links, web.LandingLinks{Address: ReportPath, Text: "Forum report", Description: "the forum's agenda on one page; Markdown: " + ReportPath + "?format=md"})
	}
	links = append(links, web.LandingLinks{Address: "/-/healthy", Text: "Health"}, web.LandingLinks{Address: "/-/ready", Text: "Readiness"})
	if opts.TelemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "Post-mortem Exporter",
			Description: "Prometheus exporter for incident post-mortems: MTTR, MTTD, severity share, action items",
			Version:     version.Info(),
			Links:       links,
			// The toolkit links to /debug/pprof/ by default; the exporter
			// does not serve it.
			Profiling: "false",
		})
		if err != nil {
			return nil, fmt.Errorf("landing page: %w", err)
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}

// bounded serves at most maxRequests requests of h at once (0: no limit):
// one more is answered 503 at once, as promhttp does. Each request has
// timeout (0: none) to be answered: its context ends then, and writing
// its answer fails after it. Unlike http.TimeoutHandler, which promhttp
// uses, nothing is buffered: an answer served from memory is written from
// there, so N requests in flight do not hold N copies of it.
func bounded(h http.Handler, maxRequests int, timeout time.Duration) http.Handler {
	var inFlight chan struct{}
	if maxRequests > 0 {
		inFlight = make(chan struct{}, maxRequests)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", maxRequests), http.StatusServiceUnavailable)
				return
			}
		}
		if timeout > 0 {
			ctx, cancel := context.WithTimeout(req.Context(), timeout)
			defer cancel()
			req = req.WithContext(ctx)
			rc := http.NewResponseController(w)
			// Not every ResponseWriter has a connection (httptest's).
			if rc.SetWriteDeadline(time.Now().Add(timeout)) == nil {
				// The connection may serve the next request.
				defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
			}
		}
		h.ServeHTTP(w, req)
	})
}
