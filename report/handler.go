package report

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/memo"
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
// window other than the longest, ?team= and ?severity= narrow the tables,
// ?period= picks the unit of the trends (month, week, quarter). A value
// the snapshot does not know answers 400 naming the parameter and the
// values it takes. Each page (format and filters) is rendered once per
// snapshot, by its first request, and served from memory to every other
// request of that snapshot, so that concurrent requests share one page;
// at most MaxKeptPages pages are kept per snapshot, and only pages of
// known filter values can be asked for: the bounds on a page's size are in
// docs/report.md. server.Handler bounds the requests served at once and
// their time; a request whose time ends before its page is rendered gets
// 503. The CSV needs every record, which the snapshot does not hold, so
// it is only written by the report command. topServices is how many
// services the per-service table lists (0: DefaultTopServices).
func Handler(current func() *snapshot.Snapshot, topServices int, logger *slog.Logger) http.Handler {
	p := &pages{current: current, topServices: topServices, logger: logger}
	p.rendered.MaxKeys = MaxKeptPages
	return p
}

// MaxKeptPages is how many pages of one snapshot the handler keeps in
// memory; pages asked for beyond them are rendered per request.
const MaxKeptPages = 64

// pages serves the rendered pages of the current snapshot.
type pages struct {
	current     func() *snapshot.Snapshot
	topServices int
	logger      *slog.Logger
	// rendered holds the pages of the latest snapshot asked for.
	rendered memo.Memo[snapshot.Snapshot, pageKey, []byte]
}

// pageKey names one rendering of a snapshot's report: its format and
// its filters, each a value the snapshot knows.
type pageKey struct {
	format string
	Filters
}

var contentTypes = map[string]string{FormatHTML: "text/html; charset=utf-8", FormatMarkdown: "text/markdown; charset=utf-8"}

func (p *pages) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = FormatHTML
	}
	contentType := contentTypes[format]
	switch {
	case format == FormatCSV:
		http.Error(w, "The CSV holds every record, which the served snapshot does not: run `postmortem-exporter report --format csv`.", http.StatusBadRequest)
		return
	case contentType == "":
		http.Error(w, fmt.Sprintf("format %q: use html or md", format), http.StatusBadRequest)
		return
	}
	s := p.current()
	if s == nil {
		http.Error(w, "Not ready: the first refresh of the records has not succeeded yet", http.StatusServiceUnavailable)
		return
	}
	f, _, err := resolve(s, Options{Window: q.Get(ParamWindow), Team: q.Get(ParamTeam), Severity: q.Get(ParamSeverity), Period: q.Get(ParamPeriod)})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := pageKey{format: format, Filters: f}
	body, err := p.rendered.Get(req.Context(), s, key, func() ([]byte, error) { return p.render(s, key) })
	switch {
	case err != nil && req.Context().Err() != nil:
		http.Error(w, "The report was not rendered within the time limit of a request (--web.timeout); try again.", http.StatusServiceUnavailable)
		return
	case err != nil:
		http.Error(w, "The report could not be rendered; the exporter's log says why.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body) // the client went away
}

// render renders one page of s, logging why when it cannot: once per
// snapshot and page, as it is kept.
func (p *pages) render(s *snapshot.Snapshot, key pageKey) ([]byte, error) {
	r, err := New(s, Options{Window: key.Window, Team: key.Team, Severity: key.Severity, Period: key.Period, TopServices: p.topServices})
	if err == nil {
		var body bytes.Buffer
		if err = Write(&body, r, key.format); err == nil {
			return bytes.Clone(body.Bytes()), nil // held as long as the snapshot: no spare capacity
		}
	}
	p.logger.Error("report failed", "format", key.format, "window", key.Window, "team", key.Team, "severity", key.Severity, "period", key.Period, "err", err)
	return nil, err
}

// renders counts the pages rendered since the handler was made.
func (p *pages) renders() int64 { return p.rendered.Computed() }
