package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// perIncidentTotals are, for the 30d window, a total per collector that
// every record of writeBusyIncident adds exactly 1 to: in one snapshot they
// all equal postmortem_records_valid (records collector).
var perIncidentTotals = []struct {
	metric string
	match  map[string]string
}{
	{collectors.MetricIncidents, map[string]string{"window": "30d"}},            // incidents
	{collectors.MetricIncidentsByOrigin, map[string]string{"window": "30d"}},    // incidents
	{collectors.MetricTimeToDetect, map[string]string{"window": "30d"}},         // durations (the count)
	{collectors.MetricImpactCustomers, map[string]string{"window": "30d"}},      // impact
	{collectors.MetricIncidentsByService, map[string]string{"window": "30d"}},   // services
	{collectors.MetricActionItems, map[string]string{"status": "open"}},         // action_items
	{collectors.MetricReviewsPending, map[string]string{"status": "in_review"}}, // reviews
}

// torn returns why a scrape's series cannot all come from one snapshot,
// or "" when they agree: every per-incident total equals the number of
// valid records.
func torn(families map[string]*dto.MetricFamily) string {
	records := sum(families, collectors.MetricRecordsValid, nil)
	var diffs []string
	for _, total := range perIncidentTotals {
		if got := sum(families, total.metric, total.match); got != records {
			diffs = append(diffs, fmt.Sprintf("%s %v", total.metric, got))
		}
	}
	if n := len(families[collectors.MetricCollectorSuccess].GetMetric()); sum(families, collectors.MetricCollectorSuccess, nil) != float64(n) || n == 0 {
		diffs = append(diffs, "a collector failed")
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("%s %v, but %s", collectors.MetricRecordsValid, records, strings.Join(diffs, ", "))
}

var loadRace = flag.Bool("load.race", true, "run TestLoad against the exporter built with -race; false measures the plain binary's figures")

// loadStats are what the scrapers saw.
type loadStats struct {
	mu         sync.Mutex
	latencies  []time.Duration
	failures   []string // errors, statuses other than 200, torn scrapes
	records    map[float64]int
	snapshots  map[float64]bool // distinct snapshot timestamps
	goroutines float64          // the most the exporter reported
}

func (s *loadStats) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, fmt.Sprintf(format, args...))
}

// TestLoad runs 50 scrapers for 30 s against the exporter built with -race
// while it rebuilds its snapshot every 100 ms from a folder that changes
// every 100 ms: a dataset of 3 records, with 4 more added and removed in
// turn. No scrape may fail, none may mix two snapshots (each collector's
// per-incident total must equal the records collector's count), and the
// exporter's goroutines and memory must come back to where they started.
func TestLoad(t *testing.T) {
	const scrapers, duration = 50, 30 * time.Second
	dir, extra := t.TempDir(), t.TempDir()
	for i := range 3 {
		writeBusyIncident(t, dir, fmt.Sprintf("PM-A%d", i), "alpha", 1, 0)
	}
	for i := range 4 {
		writeBusyIncident(t, extra, fmt.Sprintf("PM-B%d", i), "beta", 1, 0)
	}
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: *loadRace, Args: []string{
		"--source.dir=" + dir, "--refresh.interval=100ms", fmt.Sprintf("--web.max-requests=%d", scrapers),
		// A correctness test on a shared machine, not a latency goal: the
		// race detector slows every scrape several times.
		"--web.timeout=1m",
	}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: scrapers}, Timeout: 2 * time.Minute}
	self := func() selfMetrics {
		f := parseMetrics(t, e.Scrape(t))
		return selfMetrics{
			goroutines: sum(f, "go_goroutines", nil), rss: sum(f, "process_resident_memory_bytes", nil),
			heap: sum(f, "go_memstats_heap_inuse_bytes", nil), cpu: sum(f, "process_cpu_seconds_total", nil),
		}
	}
	before := self()

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { alternate(ctx, t, dir, extra) })
	stats := &loadStats{records: map[float64]int{}, snapshots: map[float64]bool{}}
	started := time.Now()
	for range scrapers {
		wg.Go(func() {
			for ctx.Err() == nil {
				scrapeOnce(client, "http://"+e.Addr+"/metrics", stats)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(started)

	client.CloseIdleConnections()
	// Once the load is over, the goroutines end and the garbage of the
	// last scrapes is collected (the refreshes keep the collector running).
	// A leak of even a few kilobytes per scrape, over these thousands of
	// scrapes, would stay.
	var after selfMetrics
	testenv.Eventually(t, 15*time.Second, func() error {
		after = self()
		if after.goroutines > before.goroutines+5 || after.heap > before.heap+8<<20 {
			return fmt.Errorf("after the load: %v goroutines (%v before), heap in use %.1f MiB (%.1f MiB before)",
				after.goroutines, before.goroutines, after.heap/(1<<20), before.heap/(1<<20))
		}
		return nil
	})

	slices.Sort(stats.latencies)
	n := len(stats.latencies)
	t.Logf("%d scrapers, %s: %d scrapes (%.0f/s), latency p50 %s p99 %s max %s; exporter CPU %.1f ms per scrape; %d distinct snapshots, valid records seen %v",
		scrapers, elapsed.Round(time.Second), n, float64(n)/elapsed.Seconds(),
		stats.latencies[n/2], stats.latencies[n*99/100], stats.latencies[n-1], 1000*(after.cpu-before.cpu)/float64(n),
		len(stats.snapshots), stats.records)
	t.Logf("goroutines %v at start, %v at most under load, %v at the end; RSS %.1f MiB at start, %.1f MiB at the end; heap in use %.1f MiB at start, %.1f MiB at the end",
		before.goroutines, stats.goroutines, after.goroutines, before.rss/(1<<20), after.rss/(1<<20), before.heap/(1<<20), after.heap/(1<<20))
	if len(stats.failures) > 0 {
		t.Errorf("%d failed or torn scrapes, the first: %s", len(stats.failures), strings.Join(stats.failures[:min(5, len(stats.failures))], "; "))
	}
	// Both datasets were served, and the snapshot changed under the
	// scrapers many times: the torn-scrape check had something to catch.
	if stats.records[3] == 0 || stats.records[7] == 0 || len(stats.snapshots) < 10 {
		t.Errorf("the snapshot did not alternate: valid records seen %v, %d distinct snapshots", stats.records, len(stats.snapshots))
	}
	// A scrape in flight holds its connection's goroutine, one per
	// collector the registry gathers (4) and one running the Exporter's
	// collectors: 6 each, and --web.max-requests scrapes at most.
	if limit := before.goroutines + 8*scrapers; stats.goroutines > limit {
		t.Errorf("up to %v goroutines under load, want at most %v", stats.goroutines, limit)
	}
	// RSS keeps what the heap once reached until the runtime returns it,
	// and under -race the race detector's shadow memory and per-goroutine
	// histories multiply it (about 250 MiB after this test, 25 MiB
	// without -race): a ceiling against runaway growth.
	ceiling := 2*before.rss + 64<<20
	if *loadRace {
		ceiling = 512 << 20
	}
	if after.rss > ceiling {
		t.Errorf("RSS grew from %.1f MiB to %.1f MiB, more than %.0f MiB", before.rss/(1<<20), after.rss/(1<<20), ceiling/(1<<20))
	}
}

// selfMetrics are the exporter's own process and runtime figures.
type selfMetrics struct{ goroutines, rss, heap, cpu float64 }

// alternate adds extra's records to dir and removes them again every
// 100 ms until ctx is done. Hard links make each file appear whole.
func alternate(ctx context.Context, t *testing.T, dir, extra string) {
	names, err := os.ReadDir(extra)
	if err != nil {
		t.Error(err)
		return
	}
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	for present := false; ; present = !present {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, name := range names {
			var err error
			if present {
				err = os.Remove(filepath.Join(dir, name.Name()))
			} else {
				err = os.Link(filepath.Join(extra, name.Name()), filepath.Join(dir, name.Name()))
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}
}

// timedGet fetches url and says how long the whole answer took; it can run
// in any goroutine.
func timedGet(client *http.Client, url string) (code int, body []byte, latency time.Duration, err error) {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, time.Since(start), err
}

// scrapeOnce scrapes url and records what it saw in stats.
func scrapeOnce(client *http.Client, url string, stats *loadStats) {
	code, body, latency, err := timedGet(client, url)
	if err != nil || code != http.StatusOK {
		stats.fail("status %d, err %v: %.200s", code, err, body)
		return
	}
	families, err := parsePage(string(body))
	if err != nil {
		stats.fail("parse the page: %v", err)
		return
	}
	if why := torn(families); why != "" {
		stats.fail("torn scrape: %s", why)
	}
	stats.mu.Lock()
	defer stats.mu.Unlock()
	stats.latencies = append(stats.latencies, latency)
	stats.records[sum(families, collectors.MetricRecordsValid, nil)]++
	stats.snapshots[sum(families, collectors.MetricSnapshotTimestamp, nil)] = true
	stats.goroutines = max(stats.goroutines, sum(families, "go_goroutines", nil))
}

// TestMaxRequestsAnswers503 floods an exporter limited to one request at a
// time (--web.max-requests=1) with rounds of 20 simultaneous requests of
// /metrics, then of /report, which has a limit of its own: the ones
// beyond the limit get 503 at once instead of queueing, every other one
// 200, and the health check still answers.
func TestMaxRequestsAnswers503(t *testing.T) {
	e := testenv.StartExporter(t, nil, "--web.max-requests=1")
	for _, path := range []string{"/metrics", "/report"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) { checkMaxRequests(t, e, path) })
	}
}

func checkMaxRequests(t *testing.T, e *testenv.Exporter, path string) {
	url := "http://" + e.Addr + path
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 20}, Timeout: time.Minute}
	counts := map[int]int{}
	var slowest503 time.Duration
	deadline := time.Now().Add(10 * time.Second)
	for counts[http.StatusOK] == 0 || counts[http.StatusServiceUnavailable] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no overload seen in 10 s: %v", counts)
		}
		release := make(chan struct{})
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				<-release
				code, body, latency, err := timedGet(client, url)
				if err != nil {
					t.Errorf("GET: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				counts[code]++
				if code == http.StatusServiceUnavailable {
					slowest503 = max(slowest503, latency)
					if !strings.Contains(string(body), "Limit of concurrent requests reached (1)") {
						t.Errorf("503 without the reason: %s", body)
					}
				}
			})
		}
		close(release)
		if code, _ := testenv.Fetch(t, client, "http://"+e.Addr+"/-/healthy"); code != http.StatusOK {
			t.Errorf("/-/healthy under overload: %d", code)
		}
		wg.Wait()
	}
	if len(counts) != 2 {
		t.Errorf("statuses %v, want only 200 and 503", counts)
	}
	t.Logf("statuses %v; slowest 503 took %s", counts, slowest503)
}

// TestLoadLongTitles measures what issue 18 found: 2,000 records whose
// titles are 28 KB each (an 84 MB /report page when rendered whole), 50
// scrapers of /metrics for 10 s, then 20 clients reading /report for 10 s
// while one more scrapes /metrics in turn, timing it. It logs the heap
// and RSS before, at the peak of each phase (VmHWM, reset between the
// two) and after, and the latencies. Each scrape is served the snapshot's
// encoded metrics from memory, and /report one page rendered once with
// its titles cut, so the heap in use may grow by at most a few copies of
// the exposition per scrape in flight (the pre-issue code held about ten)
// and, under the /report flood, by at most 256 MiB (it held one 84 MB page
// per request in flight). Figures: docs/security.md.
func TestLoadLongTitles(t *testing.T) {
	const records, scrapers, readers, phase = 2000, 50, 20, 10 * time.Second
	dir := t.TempDir()
	title := strings.Repeat("checkout failed again ", 28*1024/22)
	for i := range records {
		testenv.WriteIncident(t, dir, testenv.Incident{
			ID: fmt.Sprintf("PM-L%04d", i), Severity: "sev2", Team: fmt.Sprintf("team-%03d", i%200), Title: title,
			StartedAgo: 72 * time.Hour, Recover: time.Hour,
			Extra: fmt.Sprintf("status: in_review\nservices: [svc-%d]\naction_items:\n  - id: PM-L%04d-1\n    title: make it impossible\n    owner: owner-%d@example.com\n    due: %s\n    status: open\n",
				i%300, i, i%500, time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)),
		})
	}
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Args: []string{
		"--source.dir=" + dir, "--refresh.interval=1h", "--web.timeout=1m",
		fmt.Sprintf("--web.max-requests=%d", scrapers+readers),
	}})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: scrapers + readers}, Timeout: 2 * time.Minute}
	metricsURL, reportURL := "http://"+e.Addr+"/metrics", "http://"+e.Addr+"/report"
	heap := func() float64 { return sum(parseMetrics(t, e.Scrape(t)), "go_memstats_heap_inuse_bytes", nil) }
	exposition, page := len(e.Scrape(t)), len(testenv.Get(t, reportURL))
	before := struct{ heap, rss float64 }{heap(), procMemory(t, e, "VmRSS")}
	t.Logf("%d records with %d-byte titles: exposition %.2f MB, /report %.2f MB; heap in use %.1f MiB, RSS %.1f MiB",
		records, len(title), float64(exposition)/1e6, float64(page)/1e6, before.heap/(1<<20), before.rss/(1<<20))

	// Phase 1: the scrapers alone.
	resetPeakRSS(t, e)
	scrapes := &loadStats{}
	peakHeap := during(phase, heap, func(ctx context.Context) {
		var wg sync.WaitGroup
		for range scrapers {
			wg.Go(func() { readUntil(ctx, client, metricsURL, scrapes) })
		}
		wg.Wait()
	})
	scrapeRSS := procMemory(t, e, "VmHWM")
	t.Logf("%d scrapers: %d scrapes, latency %s; peak heap in use %.1f MiB (+%.1f MiB, %.1f expositions per scrape), peak RSS %.1f MiB",
		scrapers, len(scrapes.latencies), percentiles(scrapes.latencies), peakHeap/(1<<20), (peakHeap-before.heap)/(1<<20),
		(peakHeap-before.heap)/float64(scrapers*exposition), scrapeRSS/(1<<20))

	// Phase 2: the /report flood, and one scraper timed.
	resetPeakRSS(t, e)
	reports, timed := &loadStats{}, &loadStats{}
	peakFlood := during(phase, heap, func(ctx context.Context) {
		var wg sync.WaitGroup
		for range readers {
			wg.Go(func() { readUntil(ctx, client, reportURL, reports) })
		}
		wg.Go(func() { readUntil(ctx, client, metricsURL, timed) })
		wg.Wait()
	})
	floodRSS := procMemory(t, e, "VmHWM")
	t.Logf("%d /report readers: %d pages, latency %s; /metrics meanwhile: %d scrapes, latency %s; peak heap in use %.1f MiB (+%.1f MiB, %.1f pages per reader), peak RSS %.1f MiB",
		readers, len(reports.latencies), percentiles(reports.latencies), len(timed.latencies), percentiles(timed.latencies),
		peakFlood/(1<<20), (peakFlood-before.heap)/(1<<20), (peakFlood-before.heap)/float64(readers*page), floodRSS/(1<<20))
	client.CloseIdleConnections()
	t.Logf("after: RSS %.1f MiB", procMemory(t, e, "VmRSS")/(1<<20))

	for name, s := range map[string]*loadStats{"/metrics": scrapes, "/report": reports, "timed /metrics": timed} {
		if len(s.failures) > 0 || len(s.latencies) == 0 {
			t.Errorf("%s: %d answered, %d failed, the first: %s", name, len(s.latencies), len(s.failures), strings.Join(s.failures[:min(3, len(s.failures))], "; "))
		}
	}
	if grown := peakHeap - before.heap; grown > float64(4*scrapers*exposition) {
		t.Errorf("%d scrapers grew the heap in use by %.1f MiB, more than 4 expositions (%.2f MB) each", scrapers, grown/(1<<20), float64(exposition)/1e6)
	}
	// The page is rendered once; what the flood may add is a few copies of
	// it and the garbage the scrapes of phase 1 left. Rendered per request
	// with whole titles, 20 pages in flight were 20 × 84 MB.
	if grown := peakFlood - before.heap; grown > 256<<20 {
		t.Errorf("%d /report readers grew the heap in use by %.1f MiB, more than 256 MiB", readers, grown/(1<<20))
	}
}

// readUntil GETs url, reading each answer to its end, until ctx is done,
// and records each latency, or the failure, in stats.
func readUntil(ctx context.Context, client *http.Client, url string, stats *loadStats) {
	for ctx.Err() == nil {
		start := time.Now()
		resp, err := client.Get(url)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if err != nil {
			stats.fail("%s: %v", url, err)
			continue
		}
		stats.mu.Lock()
		stats.latencies = append(stats.latencies, time.Since(start))
		stats.mu.Unlock()
	}
}

// during runs load for d and returns the highest value sample gave,
// sampled every 250 ms meanwhile.
func during(d time.Duration, sample func() float64, load func(context.Context)) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); load(ctx) }()
	peak := 0.0
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			return peak
		case <-ticker.C:
			peak = max(peak, sample())
		}
	}
}

// percentiles shows the median, p99 and highest of latencies.
func percentiles(latencies []time.Duration) string {
	if len(latencies) == 0 {
		return "none"
	}
	slices.Sort(latencies)
	n := len(latencies)
	round := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("p50 %s p99 %s max %s", round(latencies[n/2]), round(latencies[n*99/100]), round(latencies[n-1]))
}

// procMemory returns a memory figure of the exporter's process in bytes,
// from /proc/PID/status: VmRSS (resident now) or VmHWM (the peak).
func procMemory(t *testing.T, e *testenv.Exporter, field string) float64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.Cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			var kB float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kB); err != nil {
				t.Fatalf("%s: %q: %v", field, line, err)
			}
			return kB * 1024
		}
	}
	t.Fatalf("no %s in /proc/PID/status", field)
	return 0
}

// resetPeakRSS starts VmHWM afresh from the current RSS (clear_refs 5).
func resetPeakRSS(t *testing.T, e *testenv.Exporter) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", e.Cmd.Process.Pid), []byte("5"), 0); err != nil {
		t.Fatal(err)
	}
}
