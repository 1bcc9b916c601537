package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
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
	"github.com/prometheus/common/model"

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
// a prometheus $datasource variable, a $job variable, a stable
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
		for _, v := range []string{"job"} {
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
	"$job", "postmortem", "$window", "30d", "$team", ".*", "$severity", ".*",
	"$__rate_interval", "1m", "$__range", "1h", "$__interval", "1m",
)

// TestEveryQueryReturnsData runs a real Prometheus scraping two real
// exporters that serve the bundled examples (two replicas under one job,
// the supported topology), with the generated rules loaded. Every panel
// query, for every team of the examples (and All), every window and
// every severity (and All), must
// return numbers, never NaN; it may return nothing only on a panel whose
// "no data" text says what that means. Each result must equal the same
// query over one replica alone: nothing is counted twice. The per-item
// alert must be active once per overdue item, with its labels, and every
// recording rule must have data.
func TestEveryQueryReturnsData(t *testing.T) {
	a, b := testenv.StartExporter(t, nil), testenv.StartExporter(t, nil)
	rules, err := filepath.Abs(filepath.Join(deployDir, dashboards.RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{a.Addr, b.Addr}, RuleFiles: []string{rules}})
	prom.WaitForData(t, `count(up{job="postmortem"} == 1) == 2`, 30*time.Second)
	prom.WaitForData(t, `count(count by (instance) (postmortem_incidents)) == 2`, 30*time.Second)

	var teams []string
	for _, s := range prom.WaitForData(t, `group by (team) ({job="postmortem", team!=""})`, 10*time.Second) {
		teams = append(teams, string(s.Metric["team"]))
	}
	sort.Strings(teams)
	if len(teams) < 4 {
		t.Fatalf("teams of the examples: %v", teams)
	}
	windows := dashboards.DefaultConfig().Windows
	severities := []string{".*", "sev1", "sev2", "sev3", "sev4"}
	oneReplica := `job=~"postmortem", instance="` + a.Addr + `"`
	evaluated := 0
	for name, d := range loadDashboards(t) {
		single := false
		for _, v := range d.Templating.List {
			single = single || (v.Name == "team" && (v.Multi == nil || !*v.Multi))
		}
		for _, pr := range d.Panels {
			p := pr.Panel
			if p == nil {
				continue
			}
			mayBeEmpty := p.FieldConfig != nil && p.FieldConfig.Defaults.NoValue != nil
			for _, expr := range panelQueries(p) {
				for _, team := range variants(expr, "$team", teamChoices(teams, single)) {
					for _, combo := range combinations(variants(expr, "$window", windows), variants(expr, "$severity", severities)) {
						window, severity := combo[0], combo[1]
						vars := strings.NewReplacer("$team", team, "$window", window, "$severity", severity)
						q := vars.Replace(strings.ReplaceAll(expr, `job=~"$job"`, `job=~"postmortem"`))
						where := fmt.Sprintf("%s: %s (team %s, window %s, severity %s): %s", name, derefString(p.Title), team, window, severity, q)
						both, err := prom.Query(t, q)
						if err != nil {
							t.Errorf("%s: %v", where, err)
							continue
						}
						evaluated++
						if len(both) == 0 && !mayBeEmpty {
							t.Errorf("%s: no data, and the panel has no text saying what that means", where)
						}
						for _, s := range both {
							if math.IsNaN(float64(s.Value)) {
								t.Errorf("%s: NaN for %v", where, s.Metric)
							}
						}
						one, err := prom.Query(t, vars.Replace(strings.ReplaceAll(expr, `job=~"$job"`, oneReplica)))
						if err != nil {
							t.Fatal(err)
						}
						if diff := compareVectors(both, one); diff != "" {
							t.Errorf("%s: two replicas differ from one: %s", where, diff)
						}
					}
				}
			}
		}
	}
	t.Logf("%d panel queries evaluated for %d teams, %d windows and %d severities", evaluated, len(teams), len(windows), len(severities)-1)

	for _, group := range dashboards.DefaultConfig().Rules().Groups {
		for _, r := range group.Rules {
			if r.Record != "" {
				prom.WaitForData(t, r.Record, 20*time.Second)
			}
		}
	}

	// Every overdue item alerts once; PM-2026-031-1 (alice, payments) is
	// one of them, with its owner, team, incident and ticket.
	items := prom.WaitForData(t, `count(postmortem_action_item_overdue_seconds{instance="`+a.Addr+`"})`, 10*time.Second)
	testenv.Eventually(t, 30*time.Second, func() error {
		var data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := prom.API(t, "/api/v1/alerts", nil, &data); err != nil {
			return err
		}
		perItem := map[string]int{}
		var found map[string]string
		for _, a := range data.Alerts {
			if a.Labels["alertname"] == "PostmortemActionItemOverdue" {
				perItem[a.Labels["id"]]++
				if a.Labels["id"] == "PM-2026-031-1" {
					found = a.Labels
				}
			}
		}
		if float64(len(perItem)) != float64(items[0].Value) {
			return fmt.Errorf("alerts for %d items, want %v", len(perItem), items[0].Value)
		}
		for id, n := range perItem {
			if n != 1 {
				return fmt.Errorf("item %s alerts %d times", id, n)
			}
		}
		if found["owner"] != "alice" || found["team"] != "payments" || found["incident"] != "PM-2026-031" ||
			found["ticket_url"] != "https://tickets.example.com/browse/PAY-812" {
			return fmt.Errorf("alert for PM-2026-031-1 with wrong labels: %v", found)
		}
		return nil
	})
}

// teamChoices are the values $team takes: each team, and All on a
// dashboard that allows several.
func teamChoices(teams []string, single bool) []string {
	if single {
		return teams
	}
	return append([]string{".*"}, teams...)
}

// variants returns the values to try for a variable: all of them when the
// expression uses it, one otherwise.
func variants(expr, variable string, values []string) []string {
	if strings.Contains(expr, variable) {
		return values
	}
	return values[:1]
}

// combinations pairs every a with every b.
func combinations(a, b []string) [][2]string {
	var out [][2]string
	for _, x := range a {
		for _, y := range b {
			out = append(out, [2]string{x, y})
		}
	}
	return out
}

// compareVectors says how two results differ, "" when they hold the same
// label sets with values equal within 0.1% (the replicas refresh a moment
// apart, and ages grow in between).
func compareVectors(got, want model.Vector) string {
	index := map[model.Fingerprint]model.SampleValue{}
	for _, s := range want {
		index[s.Metric.Fingerprint()] = s.Value
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d series, want %d: %v against %v", len(got), len(want), got, want)
	}
	for _, s := range got {
		w, ok := index[s.Metric.Fingerprint()]
		if !ok {
			return fmt.Sprintf("unexpected series %v", s.Metric)
		}
		if diff := math.Abs(float64(s.Value - w)); diff > 1e-3*math.Abs(float64(w)) && diff > 1e-9 {
			return fmt.Sprintf("%v = %v, want %v", s.Metric, s.Value, w)
		}
	}
	return ""
}
