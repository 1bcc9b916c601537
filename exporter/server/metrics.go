package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/memo"
)

// Metrics are what the telemetry path serves, in two parts merged by
// family name on every scrape.
type Metrics struct {
	// Live is gathered and encoded on every scrape: what changes without
	// a new snapshot (the refresh status, the Go and process collectors).
	// The handler registers promhttp_metric_handler_errors_total in it.
	Live *prometheus.Registry
	// Snapshot returns the served snapshot (nil before the first) and the
	// gatherer of the metrics computed from it alone. They are gathered
	// and encoded once per snapshot and format, and every scrape of that
	// snapshot is served the same bytes from memory. nil for none.
	Snapshot func() (*snapshot.Snapshot, prometheus.Gatherer)
}

// metricsHandler serves Metrics as promhttp.HandlerFor would serve the
// two gathered together with ContinueOnError: the format negotiated from
// Accept (text 0.0.4 or protobuf; OpenMetrics is not offered), gzip when
// Accept-Encoding asks for it, the families sorted by name, name[] to
// pick some, and errors logged, counted in
// promhttp_metric_handler_errors_total and skipped.
type metricsHandler struct {
	metrics Metrics
	logger  *slog.Logger
	errors  *prometheus.CounterVec
	// encoded holds the snapshot's families per format.
	encoded memo.Memo[snapshot.Snapshot, expfmt.Format, *families]
}

func newMetricsHandler(m Metrics, logger *slog.Logger) (*metricsHandler, error) {
	h := &metricsHandler{metrics: m, logger: logger, errors: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "promhttp_metric_handler_errors_total",
		Help: "Total number of internal errors encountered by the promhttp metric handler.",
	}, []string{"cause"})}
	h.errors.WithLabelValues("gathering")
	h.errors.WithLabelValues("encoding")
	if err := m.Live.Register(h.errors); err != nil {
		return nil, fmt.Errorf("register the metric handler's error counter: %w", err)
	}
	return h, nil
}

// families are metric families encoded in one format, one after the
// other in body, sorted by name: family i is body[ends[i-1]:ends[i]].
type families struct {
	body  []byte
	names []string
	ends  []int
}

func (f *families) family(i int) []byte {
	start := 0
	if i > 0 {
		start = f.ends[i-1]
	}
	return f.body[start:f.ends[i]]
}

// gatherEncoded gathers g and encodes what it gave in format, logging and
// counting what fails; nil when nothing was gathered.
func (h *metricsHandler) gatherEncoded(g prometheus.Gatherer, format expfmt.Format) *families {
	mfs, err := g.Gather()
	if err != nil {
		h.logger.Error("error gathering metrics", "err", err)
		h.errors.WithLabelValues("gathering").Inc()
	}
	if len(mfs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	f := &families{}
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			h.logger.Error("error encoding metric family", "family", mf.GetName(), "err", err)
			h.errors.WithLabelValues("encoding").Inc()
			buf.Truncate(f.size())
			continue
		}
		f.names, f.ends = append(f.names, mf.GetName()), append(f.ends, buf.Len())
	}
	f.body = bytes.Clone(buf.Bytes()) // no spare capacity: kept for the snapshot
	return f
}

func (f *families) size() int {
	if f == nil || len(f.ends) == 0 {
		return 0
	}
	return f.ends[len(f.ends)-1]
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	format := expfmt.NegotiateAccept(req.Header, expfmt.DefaultAcceptedFormats()...)
	var cached *families
	if h.metrics.Snapshot != nil {
		if snap, g := h.metrics.Snapshot(); snap != nil {
			var err error
			cached, err = h.encoded.Get(req.Context(), snap, format, func() (*families, error) { return h.gatherEncoded(g, format), nil })
			if err != nil {
				http.Error(w, "The metrics of the new snapshot were not encoded within the time limit of a scrape (--web.timeout); try again.", http.StatusServiceUnavailable)
				return
			}
		}
	}
	live := h.gatherEncoded(h.metrics.Live, format)
	if live == nil && cached == nil {
		http.Error(w, "An error has occurred while serving metrics: nothing could be gathered; the exporter's log says why.", http.StatusInternalServerError)
		return
	}
	chunks := merge(cached, live, req.URL.Query()["name[]"])

	header := w.Header()
	header.Add("Vary", "Accept")
	header.Add("Vary", "Accept-Encoding")
	header.Set("Content-Type", string(format))
	var out io.Writer = w
	if acceptsGzip(req.Header.Get("Accept-Encoding")) {
		header.Set("Content-Encoding", "gzip")
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() { _ = gz.Close(); gzipPool.Put(gz) }()
		out = gz
	} else {
		n := 0
		for _, c := range chunks {
			n += len(c)
		}
		header.Set("Content-Length", strconv.Itoa(n))
	}
	for _, c := range chunks {
		if _, err := out.Write(c); err != nil {
			return // the client went away or its time ran out
		}
	}
}

// gzipPool keeps the compressors (about 800 KB each) between scrapes.
var gzipPool = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// merge returns the families of a and b in name order (each is sorted),
// only those named in only when it is not empty.
func merge(a, b *families, only []string) [][]byte {
	var chunks [][]byte
	add := func(f *families, i int) {
		if len(only) == 0 || slices.Contains(only, f.names[i]) {
			chunks = append(chunks, f.family(i))
		}
	}
	i, j := 0, 0
	for i < a.count() || j < b.count() {
		if j == b.count() || (i < a.count() && a.names[i] <= b.names[j]) {
			add(a, i)
			i++
		} else {
			add(b, j)
			j++
		}
	}
	return chunks
}

func (f *families) count() int {
	if f == nil {
		return 0
	}
	return len(f.names)
}

// acceptsGzip tells whether an Accept-Encoding header prefers gzip to no
// encoding, as promhttp negotiates (identity wins a tie, q=0 refuses).
func acceptsGzip(acceptEncoding string) bool {
	gzipQ, identityQ := -1.0, -1.0
	for _, spec := range strings.Split(acceptEncoding, ",") {
		name, params, _ := strings.Cut(spec, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			var err error
			if q, err = strconv.ParseFloat(v, 64); err != nil {
				continue
			}
		}
		if name == "gzip" || name == "*" {
			gzipQ = max(gzipQ, q)
		}
		if name == "identity" || name == "*" {
			identityQ = max(identityQ, q)
		}
	}
	return gzipQ > identityQ && gzipQ > 0
}
