package report

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Formats of the report.
const (
	FormatHTML     = "html"
	FormatMarkdown = "md"
	FormatCSV      = "csv"
)

// Formats lists the formats, for flags and messages.
var Formats = []string{FormatHTML, FormatMarkdown, FormatCSV}

// Write renders the report in format html or md.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatHTML:
		return WriteHTML(w, r)
	case FormatMarkdown:
		return WriteMarkdown(w, r)
	}
	return fmt.Errorf("format %q: a report from a snapshot is %s or %s", format, FormatHTML, FormatMarkdown)
}

// contentSecurityPolicy allows the page nothing but its own inline style
// and data: images (the empty icon): no script runs, nothing is fetched.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the report of the snapshot current returns (nil before
// the first refresh): HTML, or Markdown with ?format=md; ?window= picks a
// window other than the longest. The CSV needs every record, which the
// snapshot does not hold, so it is only written by the report command.
func Handler(current func() *snapshot.Snapshot, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		format := q.Get("format")
		if format == "" {
			format = FormatHTML
		}
		contentType := map[string]string{FormatHTML: "text/html; charset=utf-8", FormatMarkdown: "text/markdown; charset=utf-8"}[format]
		switch {
		case format == FormatCSV:
			http.Error(w, "The CSV holds every record, which the served snapshot does not: run `postmortem-exporter report --format csv`.", http.StatusBadRequest)
			return
		case contentType == "":
			http.Error(w, fmt.Sprintf("format %q: use html or md", format), http.StatusBadRequest)
			return
		}
		s := current()
		if s == nil {
			http.Error(w, "Not ready: the first refresh of the records has not succeeded yet", http.StatusServiceUnavailable)
			return
		}
		r, err := New(s, Options{Window: q.Get("window")})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var body bytes.Buffer
		if err := Write(&body, r, format); err != nil {
			logger.Error("report failed", "err", err)
			http.Error(w, "The report could not be rendered; the exporter's log says why.", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		_, _ = body.WriteTo(w) // the client went away
	})
}
