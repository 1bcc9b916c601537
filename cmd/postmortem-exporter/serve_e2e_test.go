package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// parseMetrics parses a scraped page.
func parseMetrics(t testing.TB, body string) map[string]*dto.MetricFamily {
	t.Helper()
	families, err := parsePage(body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return families
}

// parsePage parses a scraped page, for goroutines that cannot fail a test.
func parsePage(body string) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(strings.NewReader(body))
}

// sum adds up the samples of name whose labels include match: gauges,
// counters, and the count of histograms.
func sum(families map[string]*dto.MetricFamily, name string, match map[string]string) float64 {
	total := 0.0
	mf := families[name]
metrics:
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if v, ok := match[l.GetName()]; ok && v != l.GetValue() {
				continue metrics
			}
		}
		total += m.GetGauge().GetValue() + m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount()) + float64(m.GetSummary().GetSampleCount())
	}
	return total
}

// TestSecuredEndpoint serves over TLS with basic auth (--web.config.file):
// only the right credentials get an answer, on every path, health and
// readiness included, and a real Prometheus scrapes with them.
func TestSecuredEndpoint(t *testing.T) {
	const user, password = "prometheus", "correct-horse-battery-staple"
	cert := testenv.SelfSignedCertificate(t)
	webConfig := testenv.WriteWebConfig(t, cert, map[string]string{user: password})
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{
		Args:     []string{"--source.dir=" + dir, "--web.config.file=" + webConfig},
		ReadyURL: func(addr string) string { return "https://" + addr + "/-/ready" },
		Client:   cert.Client(user, password),
	})
	base := "https://" + e.Addr
	for _, c := range []struct {
		name   string
		client *http.Client
		path   string
		want   int
	}{
		{"anonymous scrape", cert.Client("", ""), "/metrics", http.StatusUnauthorized},
		{"wrong password", cert.Client(user, "wrong"), "/metrics", http.StatusUnauthorized},
		{"unknown user", cert.Client("grafana", password), "/metrics", http.StatusUnauthorized},
		{"right credentials", cert.Client(user, password), "/metrics", http.StatusOK},
		{"anonymous health check", cert.Client("", ""), "/-/healthy", http.StatusUnauthorized},
		{"anonymous readiness check", cert.Client("", ""), "/-/ready", http.StatusUnauthorized},
		{"anonymous landing page", cert.Client("", ""), "/", http.StatusUnauthorized},
		{"health check with credentials", cert.Client(user, password), "/-/healthy", http.StatusOK},
		{"readiness check with credentials", cert.Client(user, password), "/-/ready", http.StatusOK},
		{"anonymous report", cert.Client("", ""), "/report", http.StatusUnauthorized},
		{"report with credentials", cert.Client(user, password), "/report", http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := testenv.Fetch(t, c.client, base+c.path)
			if code != c.want {
				t.Fatalf("GET %s: %d, want %d: %s", c.path, code, c.want, body)
			}
			if c.want == http.StatusOK && c.path == "/metrics" && !strings.Contains(body, collectors.MetricRecordsValid) {
				t.Fatalf("the metrics page lacks %s:\n%s", collectors.MetricRecordsValid, body)
			}
		})
	}
	t.Run("plain http", func(t *testing.T) {
		code, _ := testenv.Fetch(t, http.DefaultClient, "http://"+e.Addr+"/metrics")
		if code != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS port: %d, want 400", code)
		}
	})
	t.Run("prometheus", func(t *testing.T) {
		prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{e.Addr}, TLS: &cert, Username: user, Password: password})
		v := prom.WaitForData(t, `up{job="postmortem"} == 1 and on () `+collectors.MetricRecordsValid+` == 1`, 30*time.Second)
		if len(v) != 1 {
			t.Fatalf("got %v", v)
		}
	})
	if strings.Contains(e.Output(), password) {
		t.Fatalf("the exporter printed the password:\n%s", e.Output())
	}
}

// TestSIGTERMDrainsScrapes sends SIGTERM while two scrapes are in flight:
// the exporter stops accepting connections, waits for them, answers in
// full the one whose client keeps reading, closes the one whose client
// has stalled once the drain time is over, and exits 0 within 5 s.
func TestSIGTERMDrainsScrapes(t *testing.T) {
	dir := t.TempDir()
	// 500 records with 40 overdue items each: 20,000 series of
	// postmortem_action_item_overdue_seconds and as many of its info
	// metric, a page of about 6 MB, more than the sockets buffer when the
	// client does not read (Linux grows a send buffer up to tcp_wmem's
	// 4 MiB by default, and the client's receive buffer is made tiny).
	for i := range 500 {
		writeBusyIncident(t, dir, fmt.Sprintf("PM-%03d", i), "payments", 40, 48*time.Hour)
	}
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Args: []string{"--source.dir=" + dir, "--overdue-items.limit=20000"}})
	reading, readingBody := startSlowScrape(t, e.Addr)
	stalled, _ := startSlowScrape(t, e.Addr)
	defer reading.Close()
	defer stalled.Close()

	signalled := time.Now()
	if err := e.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutdown has begun once the listener refuses new connections.
	testenv.Eventually(t, 3*time.Second, func() error {
		c, err := net.Dial("tcp", e.Addr)
		if err == nil {
			c.Close()
			return fmt.Errorf("%s still accepts connections", e.Addr)
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	if code := e.ExitCode(); code != -2 || strings.Contains(e.Output(), `msg="shut down"`) {
		t.Fatalf("the exporter shut down (exit code %d) with scrapes in flight:\n%s", code, e.Output())
	}
	rest, err := io.ReadAll(readingBody)
	if err != nil {
		t.Fatalf("the scrape in flight was cut after %d bytes: %v", len(rest), err)
	}
	page := string(rest)
	if n := strings.Count(page, "\n"+collectors.MetricActionItemOverdue+"{"); n != 20000 {
		t.Errorf("the drained scrape has %d overdue items, want 20000", n)
	}
	if !strings.Contains(page, "\n"+collectors.MetricRecordsValid+`{source="files"} 500`+"\n") {
		t.Errorf("the drained scrape does not say 500 valid records")
	}
	code := e.WaitExit(t, 5*time.Second)
	if elapsed := time.Since(signalled); code != 0 || elapsed > 5*time.Second {
		t.Fatalf("exit code %d after %s, want 0 within 5s:\n%s", code, elapsed, e.Output())
	}
	if !strings.Contains(e.Output(), "closing their connections") {
		t.Errorf("the stalled scrape's connection closed without a word:\n%s", e.Output())
	}
	t.Logf("page of %d bytes; exited %s after SIGTERM", len(page), time.Since(signalled).Round(time.Millisecond))
}

// startSlowScrape starts a scrape through a connection with a tiny receive
// buffer and reads only the headers and the first kilobyte: the handler is
// still writing the rest, and waits while the client does not read. It
// returns the connection and the body, from that first kilobyte on.
func startSlowScrape(t *testing.T, addr string) (net.Conn, io.Reader) {
	t.Helper()
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) }); cerr != nil {
			return cerr
		}
		return err
	}}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: exporter\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %v %v", resp, err)
	}
	first := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	return conn, io.MultiReader(bytes.NewReader(first), resp.Body)
}

// TestSIGHUPReloadsTheTaxonomy replaces the taxonomy file under a running
// exporter: a bad file is rejected, logged and counted and the old
// taxonomy kept; a good one applies at once. The logs are JSON, each line
// with every key once.
func TestSIGHUPReloadsTheTaxonomy(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-0", "sev0", "payments", 24*time.Hour, time.Hour) // outside the default taxonomy
	taxonomy := filepath.Join(t.TempDir(), "taxonomy.yaml")
	writeFile := func(text string) {
		t.Helper()
		if err := os.WriteFile(taxonomy, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("severities: [sev1, sev2, sev3, sev4]\n")
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true, Args: []string{
		"--source.dir=" + dir, "--taxonomy.file=" + taxonomy, "--refresh.interval=1h", "--log.format=json",
	}})
	type state struct{ valid, invalid, reloadOK, reloadErrors float64 }
	current := func() state {
		f := parseMetrics(t, e.Scrape(t))
		return state{
			valid:        sum(f, collectors.MetricRecordsValid, nil),
			invalid:      sum(f, collectors.MetricRecordsInvalid, map[string]string{"reason": "invalid_value"}),
			reloadOK:     sum(f, collectors.MetricConfigReloadSuccess, nil),
			reloadErrors: sum(f, collectors.MetricConfigReloadErrors, nil),
		}
	}
	waitState := func(what string, want state) {
		t.Helper()
		testenv.Eventually(t, 20*time.Second, func() error {
			if got := current(); got != want {
				return fmt.Errorf("%s: %+v, want %+v", what, got, want)
			}
			return nil
		})
	}
	hup := func() {
		t.Helper()
		if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitState("at start", state{valid: 1, invalid: 1, reloadOK: 1})

	writeFile("severities: [sev0, sev1, sev1]\n") // sev1 twice
	hup()
	waitState("after a bad taxonomy", state{valid: 1, invalid: 1, reloadOK: 0, reloadErrors: 1})
	if !strings.Contains(e.Output(), `listed twice`) {
		t.Errorf("the rejected taxonomy is not logged:\n%s", e.Output())
	}

	writeFile("severities: [sev0, sev1, sev2, sev3, sev4]\n")
	hup()
	waitState("after a good taxonomy", state{valid: 2, invalid: 0, reloadOK: 1, reloadErrors: 1})
	if share := sum(parseMetrics(t, e.Scrape(t)), collectors.MetricSeverityShare, map[string]string{"window": "30d", "severity": "sev0"}); share != 0.5 {
		t.Errorf("sev0 share = %v, want 1 of 2 incidents = 0.5", share)
	}

	lines := strings.Split(strings.TrimSpace(e.Output()), "\n")
	invalidLogged := false
	for _, line := range lines {
		if !strings.HasPrefix(line, "{") {
			continue // the race detector's own output, if any, fails the test on its own
		}
		dup, err := testenv.DuplicateJSONKeys(line)
		if err != nil || len(dup) > 0 {
			t.Errorf("log line with keys given twice %v (%v): %s", dup, err, line)
		}
		invalidLogged = invalidLogged || strings.Contains(line, `"msg":"invalid record"`) && strings.Contains(line, `"detail":`)
	}
	if !invalidLogged {
		t.Errorf("no JSON line logs the invalid record with its detail:\n%s", e.Output())
	}
}

// writeLatePostmortem writes a published sev3 record (action_item_count
// does not apply) with a bar raiser, published lateDays after its
// resolution: its only possible finding is published_late, when that
// rule's limit is under lateDays.
func writeLatePostmortem(t *testing.T, dir, id string, lateDays int) {
	t.Helper()
	ago, recover := 30*24*time.Hour, time.Hour
	published := time.Now().Add(-ago + recover + time.Duration(lateDays)*24*time.Hour).UTC().Format(time.RFC3339)
	testenv.WriteIncident(t, dir, testenv.Incident{ID: id, Severity: "sev3", Team: "payments", StartedAgo: ago, Recover: recover,
		Extra: "status: published\nbar_raiser: bob\npublished_at: " + published + "\n"})
}

// writeConfig writes a configuration file of the exporter.
func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reloadState is what a scrape says of the published_late findings and
// of the last reload.
type reloadState struct{ valid, late, reloadOK, reloadErrors float64 }

func scrapeReloadState(t *testing.T, e *testenv.Exporter) reloadState {
	t.Helper()
	f := parseMetrics(t, e.Scrape(t))
	return reloadState{
		valid:        sum(f, collectors.MetricRecordsValid, nil),
		late:         sum(f, collectors.MetricQualityFindings, map[string]string{"rule": "published_late"}), // of payments, the one team
		reloadOK:     sum(f, collectors.MetricConfigReloadSuccess, nil),
		reloadErrors: sum(f, collectors.MetricConfigReloadErrors, nil),
	}
}

// hupUntil sends SIGHUP to the exporter and waits for want.
func hupUntil(t *testing.T, e *testenv.Exporter, what string, want reloadState) {
	t.Helper()
	if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, func() error {
		if got := scrapeReloadState(t, e); got != want {
			return fmt.Errorf("%s: %+v, want %+v", what, got, want)
		}
		return nil
	})
}

// TestSIGHUPReloadsTheQualityRules edits the quality rules file (and the
// taxonomy) under a running exporter: a new limit applies on SIGHUP, and
// the two files are one configuration: while either is invalid neither
// applies, the reload is counted as rejected and the log names the file
// and the reason.
func TestSIGHUPReloadsTheQualityRules(t *testing.T) {
	dir := t.TempDir()
	writeLatePostmortem(t, dir, "PM-1", 5)
	writeIncident(t, dir, "PM-0", "sev0", "payments", 24*time.Hour, time.Hour) // in review; outside the default taxonomy
	config := t.TempDir()
	taxonomy, quality := filepath.Join(config, "taxonomy.yaml"), filepath.Join(config, "quality.yaml")
	writeConfig(t, taxonomy, "severities: [sev1, sev2, sev3, sev4]\n")
	writeConfig(t, quality, "published_late: {max_days: 10}\n")
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true, Args: []string{
		"--source.dir=" + dir, "--taxonomy.file=" + taxonomy, "--quality.file=" + quality, "--refresh.interval=1h",
	}})
	if got, want := scrapeReloadState(t, e), (reloadState{valid: 1, late: 0, reloadOK: 1}); got != want {
		t.Fatalf("at start: %+v, want %+v", got, want)
	}

	writeConfig(t, quality, "published_late: {max_days: 3}\n") // 5 days late is now too late
	hupUntil(t, e, "after lowering published_late's limit", reloadState{valid: 1, late: 1, reloadOK: 1})

	// A good taxonomy with a bad quality file: neither applies (PM-0 stays
	// invalid, the finding stays).
	writeConfig(t, taxonomy, "severities: [sev0, sev1, sev2, sev3, sev4]\n")
	writeConfig(t, quality, "published_late: {max_days: 0}\n")
	hupUntil(t, e, "after a bad quality file", reloadState{valid: 1, late: 1, reloadOK: 0, reloadErrors: 1})
	if out := e.Output(); !strings.Contains(out, quality) || !strings.Contains(out, "max_days must be at least 1") {
		t.Errorf("the rejected quality file is not logged with its path and reason:\n%s", out)
	}

	// A good quality file with a bad taxonomy: neither applies either.
	writeConfig(t, quality, "published_late: {severity: off}\n")
	writeConfig(t, taxonomy, "severities: [sev0, sev1, sev1]\n")
	hupUntil(t, e, "after a bad taxonomy", reloadState{valid: 1, late: 1, reloadOK: 0, reloadErrors: 2})
	if out := e.Output(); !strings.Contains(out, taxonomy) || !strings.Contains(out, "listed twice") {
		t.Errorf("the rejected taxonomy is not logged with its path and reason:\n%s", out)
	}

	writeConfig(t, taxonomy, "severities: [sev0, sev1, sev2, sev3, sev4]\n")
	hupUntil(t, e, "after both are fixed", reloadState{valid: 2, late: 0, reloadOK: 1, reloadErrors: 2})
}

// TestSIGHUPQualityRulesWithPostgres: with PostgreSQL the findings are
// those import computed with its own quality rules and stored. serve's
// quality file, reloaded on SIGHUP, only leaves out the rules it turns
// off; its limits change nothing (docs/quality.md).
func TestSIGHUPQualityRulesWithPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dir := t.TempDir()
	writeLatePostmortem(t, dir, "PM-1", 12) // late by import's default limit, 10 days
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	quality := filepath.Join(t.TempDir(), "quality.yaml")
	writeConfig(t, quality, "published_late: {max_days: 30}\n") // would find nothing, were it applied
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true,
		Env:  []string{"POSTMORTEM_DATABASE_URL_FILE=" + writeSecret(t, pg.URL)},
		Args: []string{"--quality.file=" + quality, "--refresh.interval=1h"},
	})
	if got, want := scrapeReloadState(t, e), (reloadState{valid: 1, late: 1, reloadOK: 1}); got != want {
		t.Fatalf("at start (import's finding, whatever serve's limit): %+v, want %+v", got, want)
	}

	writeConfig(t, quality, "published_late: {severity: off}\n")
	hupUntil(t, e, "after turning published_late off", reloadState{valid: 1, late: 0, reloadOK: 1})

	writeConfig(t, quality, "published_late: {max_days: 30}\n")
	hupUntil(t, e, "after turning it on again", reloadState{valid: 1, late: 1, reloadOK: 1})
}
