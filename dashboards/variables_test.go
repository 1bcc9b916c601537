package dashboards_test

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/dashboards/lint"
	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestEveryVariableFiltersOrIsDeclared changes each template variable of
// each dashboard (team, severity, window) while the others stay at their
// defaults, and evaluates every panel's queries for each value, at one
// fixed instant, against a real Prometheus scraping the real exporter on
// the bundled examples and testdata/variables (4 teams, every severity,
// incidents, repeats, learnings and items spread over the windows: values
// of each variable that give different answers), moved to today.
// A panel whose answers are the same for every value ignores the
// variable: it must say so (lint.DeclaresIgnored: "all teams", "all
// severities", "as of now", "every window"), or a forum chair reads an
// organisation-wide figure as the one they filtered to.
func TestEveryVariableFiltersOrIsDeclared(t *testing.T) {
	exporter := testenv.StartExporter(t, nil, "--source.dir="+examplesWithVariations(t))
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{exporter.Addr}})
	prom.WaitForData(t, `up{job="postmortem"} == 1`, 30*time.Second)
	prom.WaitForData(t, `postmortem_incidents`, 30*time.Second)
	var teams []string
	for _, s := range prom.WaitForData(t, `group by (team) ({job="postmortem", team!=""})`, 10*time.Second) {
		teams = append(teams, string(s.Metric["team"]))
	}
	sort.Strings(teams)
	// One instant, after the first scrape: ages do not grow between two answers.
	at := fmt.Sprintf("%.3f", float64(time.Now().UnixMilli())/1000)

	choices := map[string][]string{
		"severity": {".*", "sev1", "sev2", "sev3", "sev4"},
		"window":   dashboards.DefaultConfig().Windows,
	}
	checked := 0
	for name, d := range loadDashboards(t) {
		defaults := map[string]string{"window": "30d", "severity": ".*", "team": ".*"}
		vars := map[string][]string{}
		for _, v := range d.Templating.List {
			switch v.Name {
			case "team":
				single := v.Multi == nil || !*v.Multi
				vars["team"] = teamChoices(teams, single)
				if single {
					defaults["team"] = "payments" // with open exceptions of two severities
				}
			case "severity", "window":
				vars[v.Name] = choices[v.Name]
			}
		}
		for _, pr := range d.Panels {
			p := pr.Panel
			if p == nil {
				continue
			}
			for variable, values := range vars {
				if lint.DeclaresIgnored(variable, derefString(p.Title), derefString(p.Description)) {
					continue
				}
				answers := map[string][]string{}
				for _, value := range values {
					answer := panelAnswer(t, prom, p, at, defaults, variable, value)
					answers[answer] = append(answers[answer], value)
				}
				checked++
				if len(answers) < 2 {
					t.Errorf("%s: %q gives the same answer for every $%s (%s) and does not say it ignores it",
						name, derefString(p.Title), variable, strings.Join(values, ", "))
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d panel and variable pairs checked", checked)
	}
	t.Logf("%d panel and variable pairs checked", checked)
}

// examplesWithVariations copies the bundled examples and
// testdata/variables into a folder, every day moved as the exporter moves
// the examples it serves by default, so the windows hold them.
func examplesWithVariations(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	days := int(examples.Shift(time.Now()) / (24 * time.Hour))
	day := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	move := func(text []byte) []byte {
		return day.ReplaceAllFunc(text, func(d []byte) []byte {
			when, err := time.Parse(time.DateOnly, string(d))
			if err != nil {
				return d
			}
			return []byte(when.AddDate(0, 0, days).Format(time.DateOnly))
		})
	}
	for _, tree := range []fs.FS{examples.Postmortems(), os.DirFS("testdata/variables")} {
		err := fs.WalkDir(tree, ".", func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			text, err := fs.ReadFile(tree, path)
			if err != nil {
				return err
			}
			to := filepath.Join(dir, filepath.FromSlash(path))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return err
			}
			return os.WriteFile(to, move(text), 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// panelAnswer evaluates every query of a panel with the variables at
// their defaults but one, and writes the answers down in a canonical
// form: the series with their labels and values, sorted.
func panelAnswer(t *testing.T, prom *testenv.Prometheus, p *dashboard.Panel, at string, defaults map[string]string, variable, value string) string {
	t.Helper()
	values := map[string]string{"$job": "postmortem"}
	for k, v := range defaults {
		values["$"+k] = v
	}
	values["$"+variable] = value
	var pairs []string
	for k, v := range values {
		pairs = append(pairs, k, v)
	}
	replace := strings.NewReplacer(pairs...)
	var out []string
	for i, expr := range panelQueries(p) {
		for _, s := range queryAt(t, prom, replace.Replace(expr), at) {
			out = append(out, fmt.Sprintf("%d %v %.6g", i, s.Metric, float64(s.Value)))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// queryAt evaluates an instant query at the given Unix time.
func queryAt(t *testing.T, prom *testenv.Prometheus, expr, at string) model.Vector {
	t.Helper()
	var data struct {
		Result model.Vector `json:"result"`
	}
	if err := prom.API(t, "/api/v1/query", url.Values{"query": {expr}, "time": {at}}, &data); err != nil {
		t.Fatal(err)
	}
	return data.Result
}
