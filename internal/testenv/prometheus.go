package testenv

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// PrometheusConfig is what a test Prometheus scrapes and evaluates.
type PrometheusConfig struct {
	Targets      []string // host:port of exporters to scrape
	RuleFiles    []string // absolute paths of rule files to load
	Alertmanager string   // host:port of an Alertmanager, optional
	// TLS, when set, scrapes the targets over https, trusting this
	// certificate.
	TLS *Certificate
	// Username and Password, when set, are sent as basic auth on every
	// scrape; the password goes through a file, as it would in production.
	Username, Password string
}

// Prometheus is a real Prometheus server running for a test.
type Prometheus struct {
	*Process
	URL string
}

// StartPrometheus runs Debian's prometheus on loopback, scraping and
// evaluating every second, and waits until it is ready.
func StartPrometheus(t testing.TB, cfg PrometheusConfig) *Prometheus {
	t.Helper()
	bin := RequireCommand(t, "prometheus")
	dir := t.TempDir()
	var conf strings.Builder
	conf.WriteString("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
	if len(cfg.RuleFiles) > 0 {
		conf.WriteString("rule_files:\n")
		for _, f := range cfg.RuleFiles {
			fmt.Fprintf(&conf, "  - %q\n", f)
		}
	}
	if cfg.Alertmanager != "" {
		fmt.Fprintf(&conf, "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%q]\n", cfg.Alertmanager)
	}
	conf.WriteString("scrape_configs:\n  - job_name: postmortem\n")
	if cfg.TLS != nil {
		fmt.Fprintf(&conf, "    scheme: https\n    tls_config:\n      ca_file: %q\n", cfg.TLS.CertFile)
	}
	if cfg.Username != "" {
		passwordFile := filepath.Join(dir, "scrape-password")
		if err := os.WriteFile(passwordFile, []byte(cfg.Password), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "    basic_auth:\n      username: %q\n      password_file: %q\n", cfg.Username, passwordFile)
	}
	conf.WriteString("    static_configs:\n      - targets: [")
	for i, target := range cfg.Targets {
		if i > 0 {
			conf.WriteString(", ")
		}
		fmt.Fprintf(&conf, "%q", target)
	}
	conf.WriteString("]\n")
	confPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := &Prometheus{
		Process: Start(t, nil, bin,
			"--config.file="+confPath,
			"--storage.tsdb.path="+filepath.Join(dir, "data"),
			"--web.listen-address="+addr,
		),
		URL: "http://" + addr,
	}
	WaitHTTP(t, p.URL+"/-/ready", 60*time.Second)
	return p
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status string          `json:"status"`
	Error  string          `json:"error"`
	Data   json.RawMessage `json:"data"`
}

// API calls a Prometheus HTTP API path and decodes its data into out.
func (p *Prometheus) API(t testing.TB, path string, params url.Values, out any) error {
	t.Helper()
	body := Get(t, p.URL+path+"?"+params.Encode())
	var resp apiResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	if resp.Status != "success" {
		return fmt.Errorf("%s: %s", path, resp.Error)
	}
	return json.Unmarshal(resp.Data, out)
}

// Query evaluates an instant PromQL query now.
func (p *Prometheus) Query(t testing.TB, expr string) (model.Vector, error) {
	t.Helper()
	var data struct {
		ResultType string       `json:"resultType"`
		Result     model.Vector `json:"result"`
	}
	if err := p.API(t, "/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %s, want vector", expr, data.ResultType)
	}
	return data.Result, nil
}

// WaitForData waits until expr returns at least one sample and returns it.
func (p *Prometheus) WaitForData(t testing.TB, expr string, timeout time.Duration) model.Vector {
	t.Helper()
	var result model.Vector
	Eventually(t, timeout, func() error {
		v, err := p.Query(t, expr)
		if err != nil {
			return err
		}
		if len(v) == 0 {
			return fmt.Errorf("query %q returned no data", expr)
		}
		result = v
		return nil
	})
	return result
}
