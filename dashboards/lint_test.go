package dashboards_test

// The committed dashboards and rules through the linter (package lint:
// dashboard-linter's and mixtool's rules, which cannot be installed here,
// and the readability and link rules of docs/dashboards.md, "Lint").

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/dashboards/lint"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// committedDashboards reads the committed dashboards by file name.
func committedDashboards(t *testing.T) map[string]lint.Dashboard {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(deployDir, dashboards.DashboardsDir, "*.json"))
	if err != nil || len(paths) < 4 {
		t.Fatalf("want the dashboards, found %v (%v)", paths, err)
	}
	out := map[string]lint.Dashboard{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := lint.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = d
	}
	return out
}

// TestDashboardsLint runs every rule of the linter on every committed
// dashboard, and wants every "no data" text written down in
// docs/dashboards.md.
func TestDashboardsLint(t *testing.T) {
	doc, err := os.ReadFile("../docs/dashboards.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range committedDashboards(t) {
		for _, p := range lint.Lint(d) {
			t.Errorf("%s: %s", name, p)
		}
		for _, p := range d.Panels {
			if nv := p.FieldConfig.Defaults.NoValue; nv != "" && !strings.Contains(string(doc), nv) {
				t.Errorf("%s, panel %q: no-data text %q is not in docs/dashboards.md", name, p.Title, nv)
			}
		}
	}
}

// TestTargetsParse is dashboard-linter's target-promql-rule: every panel
// expression must parse. The PromQL parser is Prometheus's own module,
// which this project does not depend on; promtool (Debian's, the same
// Prometheus the other tests run) parses every expression instead, each
// as a recording rule of a throw-away rule file.
func TestTargetsParse(t *testing.T) {
	promtool := testenv.RequireCommand(t, "promtool")
	var rules []map[string]string
	var where []string
	for _, d := range committedDashboards(t) {
		for _, e := range lint.Expressions(d) {
			rules = append(rules, map[string]string{"record": fmt.Sprintf("panel:expr_%d:parse", len(rules)), "expr": e.Expr})
			where = append(where, e.Where)
		}
	}
	if len(rules) < 40 {
		t.Fatalf("only %d panel expressions", len(rules))
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "panels", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "panels.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil {
		// promtool names the rule by its index: panel:expr_N.
		t.Errorf("[target-promql-rule] promtool check rules: %v\n%s", err, out)
		for i, w := range where {
			if strings.Contains(string(out), fmt.Sprintf("expr_%d:", i)) {
				t.Errorf("in %s", w)
			}
		}
	}
}

// TestAlertsLint runs mixtool's alert rules and the URL rule on the
// committed alerting rules.
func TestAlertsLint(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, dashboards.RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	file, err := lint.ParseRules(data)
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				alerts++
			}
		}
	}
	if alerts < 5 {
		t.Fatalf("only %d alerts", alerts)
	}
	for _, p := range lint.LintAlerts(file) {
		t.Error(p)
	}
}
