package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// deployDir is where the generated files are committed.
const deployDir = "../deploy"

func generated(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := dashboards.DefaultConfig().Files()
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestGeneratedFilesAreCommitted fails when the committed dashboards or
// rules differ from what the code generates: run
// `go run ./cmd/postmortem-exporter generate` and commit the result.
func TestGeneratedFilesAreCommitted(t *testing.T) {
	for name, want := range generated(t) {
		got, err := os.ReadFile(filepath.Join(deployDir, name))
		if err != nil {
			t.Errorf("%s: %v (run `go run ./cmd/postmortem-exporter generate`)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("deploy/%s differs from what the code generates: run `go run ./cmd/postmortem-exporter generate`", name)
		}
	}
}

// loadDashboards decodes the committed dashboards with the SDK's own types.
func loadDashboards(t *testing.T) map[string]dashboard.Dashboard {
	t.Helper()
	plugins.RegisterDefaultPlugins()
	paths, err := filepath.Glob(filepath.Join(deployDir, dashboards.DashboardsDir, "*.json"))
	if err != nil || len(paths) < 3 {
		t.Fatalf("want at least 3 dashboards, found %v (%v)", paths, err)
	}
	out := map[string]dashboard.Dashboard{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard.Dashboard
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s does not decode into the SDK's Dashboard: %v", p, err)
		}
		out[filepath.Base(p)] = d
	}
	return out
}

// panelQueries returns every PromQL expression of a panel.
func panelQueries(p *dashboard.Panel) []string {
	var exprs []string
	for _, target := range p.Targets {
		if q, ok := target.(*prometheus.Dataquery); ok {
			exprs = append(exprs, q.Expr)
		}
	}
	return exprs
}

// TestDashboardStructure checks what Grafana needs and reviewers expect:
// a prometheus $datasource variable, team and severity variables, a stable
// unique uid, unique panel ids, and on every panel a query, a unit and the
// $datasource.
func TestDashboardStructure(t *testing.T) {
	uids := map[string]string{}
	for name, d := range loadDashboards(t) {
		if d.Uid == nil || *d.Uid == "" {
			t.Errorf("%s: no uid", name)
		} else if other, dup := uids[*d.Uid]; dup {
			t.Errorf("%s and %s share uid %s", name, other, *d.Uid)
		} else {
			uids[*d.Uid] = name
		}
		vars := map[string]dashboard.VariableModel{}
		for _, v := range d.Templating.List {
			vars[v.Name] = v
		}
		if ds, ok := vars["datasource"]; !ok || ds.Type != "datasource" || ds.Query == nil || ds.Query.String == nil || *ds.Query.String != "prometheus" {
			t.Errorf("%s: no $datasource variable of type prometheus: %+v", name, vars["datasource"])
		}
		for _, v := range []string{"team", "severity", "window"} {
			if _, ok := vars[v]; !ok {
				t.Errorf("%s: no $%s variable", name, v)
			}
		}
		ids := map[uint32]bool{}
		for _, pr := range d.Panels {
			if pr.RowPanel != nil {
				ids[pr.RowPanel.Id] = true
				continue
			}
			p := pr.Panel
			title := name + ": " + derefString(p.Title)
			if p.Id == nil || ids[*p.Id] {
				t.Errorf("%s: missing or repeated panel id", title)
			} else {
				ids[*p.Id] = true
			}
			if p.Datasource == nil || p.Datasource.Uid == nil || *p.Datasource.Uid != "${datasource}" {
				t.Errorf("%s: datasource is not $datasource", title)
			}
			if p.FieldConfig == nil || p.FieldConfig.Defaults.Unit == nil || *p.FieldConfig.Defaults.Unit == "" {
				t.Errorf("%s: no unit", title)
			}
			exprs := panelQueries(p)
			if len(exprs) == 0 || len(exprs) != len(p.Targets) {
				t.Errorf("%s: %d targets, %d PromQL queries", title, len(p.Targets), len(exprs))
			}
			for _, e := range exprs {
				if strings.TrimSpace(e) == "" {
					t.Errorf("%s: empty query", title)
				}
			}
		}
	}
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestRulesWithPromtool checks the generated rules and runs their unit
// tests (deploy/prometheus/rules_test.yml) with Prometheus's promtool.
func TestRulesWithPromtool(t *testing.T) {
	promtool := testenv.RequireCommand(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "rules.yml"},
		{"test", "rules", "rules_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Join(deployDir, "prometheus")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// templateValues replace the dashboards' variables the way Grafana would
// with "All" selected.
var templateValues = strings.NewReplacer(
	"$window", "30d", "$team", ".*", "$severity", ".*",
	"$__rate_interval", "1m", "$__range", "1h", "$__interval", "1m",
)

// TestEveryQueryReturnsData runs a real Prometheus scraping the real exporter
// on the bundled examples with the generated rules loaded: every panel
// query and every recording rule must return data, and the per-item alert
// must be active for a known overdue example item.
func TestEveryQueryReturnsData(t *testing.T) {
	exporter := testenv.StartExporter(t, nil)
	rules, err := filepath.Abs(filepath.Join(deployDir, dashboards.RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{exporter.Addr}, RuleFiles: []string{rules}})
	prom.WaitForData(t, `up{job="postmortem"} == 1`, 30*time.Second)

	var exprs []string
	for name, d := range loadDashboards(t) {
		for _, pr := range d.Panels {
			if pr.Panel != nil {
				for _, e := range panelQueries(pr.Panel) {
					exprs = append(exprs, name+"\x00"+e)
				}
			}
		}
	}
	for _, group := range dashboards.DefaultConfig().Rules().Groups {
		for _, r := range group.Rules {
			if r.Record != "" {
				exprs = append(exprs, "recording rule\x00"+r.Record)
			}
		}
	}
	sort.Strings(exprs)
	for _, entry := range exprs {
		where, expr, _ := strings.Cut(entry, "\x00")
		// "or vector(0)" shows 0 instead of "no data" in Grafana; the test
		// wants the metric itself to have data.
		expr = strings.TrimSuffix(expr, " or vector(0)")
		prom.WaitForData(t, templateValues.Replace(expr), 20*time.Second)
		t.Logf("%s: %s returns data", where, expr)
	}

	// PM-2026-031-1 (alice, payments) is past due in the examples.
	testenv.Eventually(t, 30*time.Second, func() error {
		var data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		}
		if err := prom.API(t, "/api/v1/alerts", nil, &data); err != nil {
			return err
		}
		for _, a := range data.Alerts {
			l := a.Labels
			if l["alertname"] == "PostmortemActionItemOverdue" && l["id"] == "PM-2026-031-1" {
				if l["owner"] != "alice" || l["team"] != "payments" || l["incident"] != "PM-2026-031" ||
					l["ticket_url"] != "https://tickets.example.com/browse/PAY-812" {
					return fmt.Errorf("alert with wrong labels: %v", l)
				}
				return nil
			}
		}
		return fmt.Errorf("no PostmortemActionItemOverdue alert for PM-2026-031-1 among %d alerts", len(data.Alerts))
	})
}
