package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// writeIncident writes a valid record that started ago before now and
// took recover to resolve.
func writeIncident(t *testing.T, dir, id, severity, team string, ago, recover time.Duration) {
	t.Helper()
	testenv.WriteIncident(t, dir, testenv.Incident{ID: id, Severity: severity, Team: team, StartedAgo: ago, Recover: recover})
}

// scrapeValue returns the value of the one sample of name whose labels
// include want, parsing the exporter's real output.
func scrapeValue(t *testing.T, e *testenv.Exporter, name string, want map[string]string) (float64, bool) {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(e.Scrape(t)))
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	mf, ok := families[name]
	if !ok {
		return 0, false
	}
metrics:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue metrics
			}
		}
		return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
	}
	return 0, false
}

// TestPromtoolCheckMetrics runs promtool's linter on the real output of the
// binary serving the bundled examples.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := testenv.RequireCommand(t, "promtool")
	e := testenv.StartExporter(t, nil)
	body := e.Scrape(t)
	if !strings.Contains(body, collectors.MetricMTTR+"{") {
		t.Fatalf("the bundled examples gave no %s series:\n%s", collectors.MetricMTTR, body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	// The series bound (docs/metrics.md, "Label cardinality") derives the
	// exporter's own series from their descriptors and counts those of the
	// Go runtime, process and build info collectors as at most
	// collectors.RuntimeSeries.
	runtime := 0
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "postmortem_") || strings.HasPrefix(line, collectors.MetricBuildInfo) {
			runtime++
		}
	}
	if runtime > collectors.RuntimeSeries {
		t.Errorf("the Go runtime, process and build info series are %d, more than the %d the series bound counts", runtime, collectors.RuntimeSeries)
	}
}

// TestPrometheusScrapesMTTR has a real Prometheus scrape the binary and
// checks MTTR by severity through PromQL, as a forum dashboard would.
func TestPrometheusScrapesMTTR(t *testing.T) {
	dir := t.TempDir()
	// sev1: 1h and 3h to recover, mean 2h; sev2: 30m.
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-2", "sev1", "search", 72*time.Hour, 3*time.Hour)
	writeIncident(t, dir, "PM-3", "sev2", "search", 96*time.Hour, 30*time.Minute)
	e := testenv.StartExporter(t, nil, "--source.dir="+dir)
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{e.Addr}})

	up := prom.WaitForData(t, `up{job="postmortem"} == 1`, 30*time.Second)
	if len(up) != 1 {
		t.Fatalf("up: %v", up)
	}
	want := map[string]float64{"sev1": 7200, "sev2": 1800}
	for _, expr := range []string{
		collectors.MetricMTTR + `{window="30d"}`,
		fmt.Sprintf(`sum by (severity) (%[1]s_sum{window="30d"}) / sum by (severity) (%[1]s_count{window="30d"})`, collectors.MetricTimeToRecover),
	} {
		got := prom.WaitForData(t, expr, 30*time.Second)
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want one sample per severity %v", expr, got, want)
		}
		for _, s := range got {
			sev := string(s.Metric[model.LabelName(collectors.LabelSeverity)])
			if float64(s.Value) != want[sev] {
				t.Errorf("%s{severity=%q} = %v, want %v", expr, sev, s.Value, want[sev])
			}
		}
	}
}

// TestRefresh edits, adds and removes record files under a running exporter
// and checks each change is served after SIGHUP, then removes the folder.
func TestRefresh(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	e := testenv.StartExporter(t, nil, "--source.dir="+dir, "--refresh.interval=1h")
	mttr := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricMTTR, map[string]string{"window": "30d", "severity": "sev1"})
	}
	hup := func() {
		t.Helper()
		if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitValue(t, "mttr", 3600, mttr)

	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, 2*time.Hour) // edited
	hup()
	waitValue(t, "mttr after edit", 7200, mttr)

	writeIncident(t, dir, "PM-2", "sev1", "payments", 24*time.Hour, 4*time.Hour) // added
	hup()
	waitValue(t, "mttr after add", 10800, mttr)

	if err := os.Remove(filepath.Join(dir, "PM-1.md")); err != nil { // removed
		t.Fatal(err)
	}
	hup()
	waitValue(t, "mttr after remove", 14400, mttr)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	hup()
	sourceUp := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricSourceUp, map[string]string{"source": "files"})
	}
	waitValue(t, "source_up after the folder disappeared", 0, sourceUp)
	if got, ok := mttr(); !ok || got != 14400 {
		t.Fatalf("the last good snapshot is not served: mttr %v (present %v), want 14400", got, ok)
	}
	if got, _ := scrapeValue(t, e, collectors.MetricRefreshErrors, nil); got < 1 {
		t.Fatalf("refresh errors = %v, want at least 1", got)
	}
}

// TestRefreshInterval checks a change shows up on the next interval without
// any signal.
func TestRefreshInterval(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev2", "search", 48*time.Hour, time.Hour)
	e := testenv.StartExporter(t, nil, "--source.dir="+dir, "--refresh.interval=1s")
	writeIncident(t, dir, "PM-2", "sev2", "search", 24*time.Hour, 3*time.Hour)
	testenv.Eventually(t, 10*time.Second, func() error {
		got, _ := scrapeValue(t, e, collectors.MetricIncidents, map[string]string{"window": "30d", "severity": "sev2", "team": "search"})
		if got != 2 {
			return fmt.Errorf("incidents = %v, want 2", got)
		}
		return nil
	})
}

// startUnready starts the exporter on a source it cannot read yet, waits
// until it is healthy, checks it is not ready, and returns its base URL.
func startUnready(t *testing.T, args ...string) string {
	t.Helper()
	addr := testenv.FreeAddr(t)
	testenv.Start(t, nil, testenv.BuildExporter(t), append([]string{"--web.listen-address=" + addr}, args...)...)
	base := "http://" + addr
	testenv.WaitHTTP(t, base+"/-/healthy", 30*time.Second)
	resp, err := http.Get(base + "/-/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/-/ready = %d before any successful refresh, want 503", resp.StatusCode)
	}
	return base
}

// TestNotReadyUntilTheSourceCanBeRead starts the exporter on a folder that
// does not exist yet: it stays healthy but not ready, serves source_up 0,
// and becomes ready once the folder appears.
func TestNotReadyUntilTheSourceCanBeRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "later")
	base := startUnready(t, "--source.dir="+dir, "--refresh.interval=1s")
	if body := testenv.Get(t, base+"/metrics"); !strings.Contains(body, collectors.MetricSourceUp+`{source="files"} 0`) {
		t.Fatalf("metrics before the first refresh lack source_up 0:\n%s", body)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeIncident(t, dir, "PM-1", "sev1", "payments", time.Hour, time.Minute)
	testenv.WaitHTTP(t, base+"/-/ready", 30*time.Second)
	if body := testenv.Get(t, base+"/"); !strings.Contains(body, "/metrics") {
		t.Fatalf("the landing page does not link the metrics:\n%s", body)
	}
}
