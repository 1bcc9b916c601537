package forumorg_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// panelDefault is the choice for a variable an expression does not use:
// All, and any window.
var panelDefault = map[string][]string{"$team": {""}, "$severity": {""}, "$window": {"365d"}}

// choice is one setting of the dashboards' variables; an empty team or
// severity is All.
type choice struct{ team, severity, window string }

// The chosen set of team × severity × window: a big team, the smallest
// one, and all teams; SEV1 and all severities; the shortest and the
// longest window.
var (
	panelTeams      = []string{"payments", "support-tools", ""}
	panelSeverities = []string{"sev1", ""}
	panelWindows    = []string{"30d", "365d"}
)

// expected is what one target (column) of a panel must return for a
// choice: each series told apart by the values of its labels named by,
// and its value.
// A nil map is a target this test does not compare.
type expected struct {
	by   []string
	want map[string]float64
	// zeroIsNone: a series at 0 is the same as none (the exporter keeps
	// some label sets at 0 once seen, which a bar chart shows as nothing).
	zeroIsNone bool
}

// panelExpectation works out the series of one target of a panel, named
// by the column it fills (see targetColumn).
type panelExpectation func(f *figures.Figures, c choice, column string) expected

// dashboardPanel is a panel of a committed dashboard: its title and the
// PromQL of its targets.
type dashboardPanel struct {
	dashboard, title string
	exprs, columns   []string // each target's PromQL and column
	singleTeam       bool     // the dashboard's $team takes one team, never All
}

// loadPanels reads every panel of the committed dashboards, the files
// Grafana loads.
func loadPanels(t *testing.T) []dashboardPanel {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(testenv.ModuleRoot(t), "deploy", "grafana", "dashboards", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no committed dashboards: %v", err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr, RefID, LegendFormat string
		} `json:"targets"`
		Transformations []struct {
			Options struct {
				RenameByName map[string]string `json:"renameByName"`
			} `json:"options"`
		} `json:"transformations"`
		Panels []panel `json:"panels"`
	}
	var out []dashboardPanel
	var walk func(name string, ps []panel)
	walk = func(name string, ps []panel) {
		for _, p := range ps {
			walk(name, p.Panels)
			if len(p.Targets) == 0 {
				continue
			}
			dp := dashboardPanel{dashboard: name, title: p.Title}
			renamed := map[string]string{}
			for _, tr := range p.Transformations {
				maps.Copy(renamed, tr.Options.RenameByName)
			}
			for _, target := range p.Targets {
				dp.exprs = append(dp.exprs, target.Expr)
				dp.columns = append(dp.columns, targetColumn(renamed["Value #"+target.RefID], target.LegendFormat))
			}
			out = append(out, dp)
		}
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels     []panel `json:"panels"`
			Templating struct {
				List []struct {
					Name  string `json:"name"`
					Multi bool   `json:"multi"`
				} `json:"list"`
			} `json:"templating"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		first := len(out)
		walk(strings.TrimSuffix(filepath.Base(path), ".json"), d.Panels)
		for _, v := range d.Templating.List {
			for i := first; i < len(out) && v.Name == "team"; i++ {
				out[i].singleTeam = !v.Multi
			}
		}
	}
	return out
}

// targetColumn names a target as the forum reads it: the table column it
// is renamed to, else its legend without the label templates ("MTTR
// {{severity}}" is "MTTR").
func targetColumn(renamed, legend string) string {
	if renamed != "" {
		return renamed
	}
	return strings.TrimSpace(legendTemplate.ReplaceAllString(legend, ""))
}

var legendTemplate = regexp.MustCompile(`\{\{[^}]*\}\}`)

// checkPanels evaluates every target of every panel of the dashboards for
// the chosen team × severity × window against a real Prometheus scraping
// the exporter, and compares each target that has an expectation with the
// expected figures.
func checkPanels(t *testing.T, s servedOrganisation) {
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{Targets: []string{s.exporter.Addr}})
	prom.WaitForData(t, `count(postmortem_incidents)`, 30*time.Second)
	compared, skipped := 0, map[string]bool{}
	for _, p := range loadPanels(t) {
		name := p.dashboard + ": " + p.title
		expect := panelExpectations[name]
		for i, expr := range p.exprs {
			for _, c := range choices(expr, p.singleTeam) {
				var e expected
				if expect != nil {
					e = expect(s.want, c, p.columns[i])
				}
				if e.want == nil {
					what := fmt.Sprintf("%s [%s]", name, p.columns[i])
					if expect != nil {
						what += fmt.Sprintf(" (severity %q)", c.severity)
					}
					skipped[what] = true
					continue
				}
				q := promQL(expr, c)
				got, err := prom.Query(t, q)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				compared++
				if diff := compareSeries(got, e); diff != "" {
					t.Errorf("%s [%s] (team %q, severity %q, window %s): %s\n  query: %s", name, p.columns[i], c.team, c.severity, c.window, diff, q)
				}
			}
		}
	}
	var notCompared []string
	for k := range skipped {
		notCompared = append(notCompared, k)
	}
	sort.Strings(notCompared)
	t.Logf("%d panel queries compared; targets not compared: %s", compared, strings.Join(notCompared, "; "))
}

// choices are the settings to try for an expression: every chosen value
// of each variable it uses, one otherwise; All is no choice of a
// single-team dashboard.
func choices(expr string, singleTeam bool) []choice {
	teams := panelTeams
	if singleTeam {
		teams = slices.DeleteFunc(slices.Clone(teams), func(team string) bool { return team == "" })
	}
	pick := func(variable string, values []string) []string {
		if strings.Contains(expr, variable) {
			return values
		}
		return panelDefault[variable]
	}
	var out []choice
	for _, team := range pick("$team", teams) {
		for _, sev := range pick("$severity", panelSeverities) {
			for _, w := range pick("$window", panelWindows) {
				out = append(out, choice{team, sev, w})
			}
		}
	}
	return out
}

// promQL replaces the variables as Grafana does.
func promQL(expr string, c choice) string {
	team, sev := c.team, c.severity
	if team == "" {
		team = ".*"
	}
	if sev == "" {
		sev = ".*"
	}
	return strings.NewReplacer("$job", "postmortem", "$team", team, "$severity", sev, "$window", c.window,
		"$__rate_interval", "1m", "$__range", "1h", "$__interval", "1m").Replace(expr)
}

// compareSeries says how a result differs from what is expected, "" when
// it holds the same series with values equal to 1e-9 relative.
func compareSeries(got model.Vector, e expected) string {
	var problems []string
	seen := map[string]bool{}
	for _, s := range got {
		var parts []string
		for _, l := range e.by {
			parts = append(parts, string(s.Metric[model.LabelName(l)]))
		}
		key := strings.Join(parts, ",")
		seen[key] = true
		want, ok := e.want[key]
		switch {
		case !ok && e.zeroIsNone && s.Value == 0:
		case !ok:
			problems = append(problems, fmt.Sprintf("unexpected series %s = %v", s.Metric, s.Value))
		case math.Abs(float64(s.Value)-want) > 1e-9*math.Max(1, math.Abs(want)):
			problems = append(problems, fmt.Sprintf("%s = %v, want %v", key, s.Value, want))
		}
	}
	for key, want := range e.want {
		if !seen[key] && (want != 0 || !e.zeroIsNone) {
			problems = append(problems, fmt.Sprintf("no series %s, want %v", key, want))
		}
	}
	sort.Strings(problems)
	return strings.Join(problems, "; ")
}

// one is the expectation of a single series.
func one(v float64) expected { return expected{want: map[string]float64{"": v}} }

// by is the expectation of series told apart by one label.
func by(label string, want map[string]float64) expected {
	return expected{by: []string{label}, want: want}
}

// teamsIn returns the teams a choice selects that have any incident or
// item (those the exporter has series for).
func teamsIn(f *figures.Figures, c choice) []string {
	var out []string
	for _, team := range teamsOf(f) {
		if c.team == "" || c.team == team {
			out = append(out, team)
		}
	}
	for k := range f.Incidents {
		if k.Team != "" && (c.team == "" || c.team == k.Team) && !slices.Contains(out, k.Team) {
			out = append(out, k.Team)
		}
	}
	return out
}

// perTeam builds a team-labelled expectation from value, skipping the
// teams for which it gives false.
func perTeam(f *figures.Figures, c choice, value func(team string) (float64, bool)) expected {
	want := map[string]float64{}
	for _, team := range teamsIn(f, c) {
		if v, ok := value(team); ok {
			want[team] = v
		}
	}
	return by("team", want)
}

// share returns part ÷ all, false when all is 0.
func share(part, all int) (float64, bool) {
	if all == 0 {
		return 0, false
	}
	return float64(part) / float64(all), true
}

// single turns a value that may be absent into the expectation of one
// series or of none.
func single(v float64, ok bool) expected {
	if !ok {
		return expected{want: map[string]float64{}}
	}
	return one(v)
}

// overdueDays are the overdue items a choice selects, in days, by id and
// owner.
func overdueDays(f *figures.Figures, c choice) expected {
	want := map[string]float64{}
	for _, it := range f.Overdue {
		if (c.team == "" || c.team == it.Team) && (c.severity == "" || c.severity == it.Severity) {
			want[it.ID+","+it.Owner] = it.Overdue.Seconds() / 86400
		}
	}
	return expected{by: []string{"id", "owner"}, want: want}
}

// windowKey is the key of the choice's window, team and severity.
func windowKey(c choice) figures.Key {
	return figures.Key{Window: c.window, Team: c.team, Severity: c.severity}
}

// itemCount sums the items of the teams a choice selects by status.
func itemCount(f *figures.Figures, c choice, status string) int {
	n := 0
	for k, v := range f.Items {
		if (c.team == "" || c.team == k[0]) && k[1] == status {
			n += v
		}
	}
	return n
}
