package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// countingGatherer gathers a registry holding the given gauges and counts
// its gathers; with block set, each gather waits until it is closed.
type countingGatherer struct {
	reg     *prometheus.Registry
	gathers atomic.Int64
	block   chan struct{}
}

func newCountingGatherer(gauges map[string]float64) *countingGatherer {
	g := &countingGatherer{reg: prometheus.NewRegistry()}
	for name, v := range gauges {
		gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "A gauge named " + name + "."})
		gauge.Set(v)
		g.reg.MustRegister(gauge)
	}
	return g
}

func (g *countingGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.gathers.Add(1)
	if g.block != nil {
		<-g.block
	}
	return g.reg.Gather()
}

// fixture is a handler whose snapshot part holds families a, c and e and
// whose live part b and d, so that a scrape interleaves them.
type fixture struct {
	live      *prometheus.Registry
	snap      *countingGatherer
	current   atomic.Pointer[snapshot.Snapshot]
	handler   http.Handler
	reference http.Handler // promhttp over both parts at once
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{live: prometheus.NewRegistry(), snap: newCountingGatherer(map[string]float64{"a_total_seconds": 1.5, "c_ratio": 0.25, "e_count": 7})}
	for name, v := range map[string]float64{"b_live": 2, "d_live": 4} {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "Live " + name + "."})
		g.Set(v)
		f.live.MustRegister(g)
	}
	f.current.Store(&snapshot.Snapshot{})
	if opts.TelemetryPath == "" {
		opts.TelemetryPath = "/metrics"
	}
	opts.Ready = func() bool { return true }
	h, err := Handler(Metrics{Live: f.live, Snapshot: func() (*snapshot.Snapshot, prometheus.Gatherer) { return f.current.Load(), f.snap }},
		opts, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	f.handler = h
	f.reference = promhttp.HandlerFor(prometheus.Gatherers{f.live, f.snap.reg}, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return f
}

// serve answers one request of h.
func serve(h http.Handler, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header = header
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// body is the decompressed body of rec.
func body(t *testing.T, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	if rec.Header().Get("Content-Encoding") != "gzip" {
		return rec.Body.Bytes()
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSameAsPromhttp: for each way Prometheus, a browser or curl asks,
// the handler answers the bytes and headers promhttp.HandlerFor answers
// over the two parts gathered together: the format negotiated from
// Accept (text, protobuf; OpenMetrics not offered), gzip from
// Accept-Encoding, families sorted by name across the two parts, name[]
// picking some.
func TestSameAsPromhttp(t *testing.T) {
	f := newFixture(t, Options{})
	for _, c := range []struct{ path, accept, encoding string }{
		{"/metrics", "", ""},
		{"/metrics", "", "gzip"},
		{"/metrics", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip"}, // Prometheus
		{"/metrics", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3", "gzip"},
		{"/metrics", "application/openmetrics-text;version=1.0.0,text/plain;q=0.5", ""},
		{"/metrics", "text/html,*/*;q=0.8", "gzip, deflate, br"}, // a browser
		{"/metrics", "", "gzip;q=0, identity"},
		{"/metrics", "", "*"},
		{"/metrics?name[]=c_ratio&name[]=d_live", "", ""},
	} {
		header := http.Header{}
		if c.accept != "" {
			header.Set("Accept", c.accept)
		}
		if c.encoding != "" {
			header.Set("Accept-Encoding", c.encoding)
		}
		for range 2 { // the first scrape encodes the snapshot's families, the second is served them
			got, want := serve(f.handler, c.path, header), serve(f.reference, c.path, header)
			for _, h := range []string{"Content-Type", "Content-Encoding", "Vary"} {
				if g, w := got.Header().Values(h), want.Header().Values(h); strings.Join(g, ",") != strings.Join(w, ",") {
					t.Errorf("%s Accept %q Accept-Encoding %q: %s %q, promhttp %q", c.path, c.accept, c.encoding, h, g, w)
				}
			}
			if g, w := body(t, got), body(t, want); got.Code != want.Code || !bytes.Equal(g, w) {
				t.Errorf("%s Accept %q Accept-Encoding %q: %d\n%s\npromhttp: %d\n%s", c.path, c.accept, c.encoding, got.Code, g, want.Code, w)
			}
		}
	}
}

// TestSnapshotEncodedOncePerSnapshotAndFormat: 50 concurrent scrapes of a
// snapshot gather its families once; another format once more; a new
// snapshot once again. The live part is gathered on every scrape.
func TestSnapshotEncodedOncePerSnapshotAndFormat(t *testing.T) {
	f := newFixture(t, Options{})
	liveGathers := &atomic.Int64{}
	f.live.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scrapes_seen", Help: "Gathers of the live part."},
		func() float64 { return float64(liveGathers.Add(1)) }))
	text := http.Header{}
	protobuf := http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}}
	scrape := func(n int, header http.Header) {
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if rec := serve(f.handler, "/metrics", header); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "e_count") && header.Get("Accept") == "" {
					t.Errorf("scrape: %d %s", rec.Code, rec.Body)
				}
			})
		}
		wg.Wait()
	}
	for _, step := range []struct {
		newSnapshot bool
		n           int
		header      http.Header
		gathers     int64
	}{
		{false, 50, text, 1},
		{false, 10, text, 1},
		{false, 10, protobuf, 2},
		{true, 50, text, 3},
		{false, 1, protobuf, 4},
	} {
		if step.newSnapshot {
			f.current.Store(&snapshot.Snapshot{})
		}
		scrape(step.n, step.header)
		if got := f.snap.gathers.Load(); got != step.gathers {
			t.Errorf("%d gathers of the snapshot's families, want %d", got, step.gathers)
		}
	}
	if got := liveGathers.Load(); got != 50+10+10+50+1 {
		t.Errorf("the live part was gathered %d times, want once per scrape (121)", got)
	}
}

// TestBoundedRequests: a scrape beyond --web.max-requests is answered 503
// at once, while /report has its own requests in flight; a scrape whose
// --web.timeout ends while the snapshot's families are being encoded is
// answered 503, and the next one is served what that encoding gave.
func TestBoundedRequests(t *testing.T) {
	report := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "the report") })
	f := newFixture(t, Options{MaxRequests: 1, Timeout: 300 * time.Millisecond, Report: report})
	f.snap.block = make(chan struct{})
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- serve(f.handler, "/metrics", http.Header{}) }()
	for f.snap.gathers.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if rec := serve(f.handler, "/metrics", http.Header{}); rec.Code != http.StatusServiceUnavailable ||
		!strings.Contains(rec.Body.String(), "Limit of concurrent requests reached (1)") || time.Since(start) > 100*time.Millisecond {
		t.Errorf("a second scrape while one is in flight: %d %q after %s, want 503 at once", rec.Code, rec.Body, time.Since(start))
	}
	if rec := serve(f.handler, "/report", http.Header{}); rec.Code != http.StatusOK || rec.Body.String() != "the report" {
		t.Errorf("/report while a scrape is in flight: %d %q", rec.Code, rec.Body)
	}
	if rec := <-first; rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "--web.timeout") {
		t.Errorf("a scrape whose time ran out: %d %q, want 503", rec.Code, rec.Body)
	}
	close(f.snap.block)
	if rec := serve(f.handler, "/metrics", http.Header{}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "e_count 7") ||
		f.snap.gathers.Load() != 1 {
		t.Errorf("the next scrape: %d after %d gathers\n%s", rec.Code, f.snap.gathers.Load(), rec.Body)
	}
}
