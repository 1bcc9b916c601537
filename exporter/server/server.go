// Package server is the exporter's HTTP interface: metrics, the landing
// page and the health and readiness endpoints.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
)

// ReportPath is where the forum's report is served.
const ReportPath = "/report"

// Options shape the HTTP interface.
type Options struct {
	TelemetryPath string
	MaxRequests   int
	Timeout       time.Duration
	// Ready reports whether the first snapshot has been built.
	Ready func() bool
	// Report serves the forum's report on /report; nil for none.
	Report http.Handler
}

// Handler serves reg's metrics on the telemetry path, /-/healthy, /-/ready,
// the report on /report and a landing page on /.
func Handler(reg *prometheus.Registry, opts Options, logger *slog.Logger) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle(opts.TelemetryPath, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: opts.MaxRequests,
		Timeout:             opts.Timeout,
		Registry:            reg,
	}))
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
		mux.Handle(ReportPath, opts.Report)
		links = append(links, web.LandingLinks{Address: ReportPath, Text: "Forum report", Description: "the forum's agenda on one page; Markdown: " + ReportPath + "?format=md"})
	}
	links = append(links, web.LandingLinks{Address: "/-/healthy", Text: "Health"}, web.LandingLinks{Address: "/-/ready", Text: "Readiness"})
	if opts.TelemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "Post-mortem Exporter",
			Description: "Prometheus exporter for incident post-mortems: MTTR, MTTD, severity share, action items",
			Version:     version.Info(),
			Links:       links,
		})
		if err != nil {
			return nil, fmt.Errorf("landing page: %w", err)
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}
