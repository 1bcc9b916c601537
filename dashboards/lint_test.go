package dashboards_test

// Lint as tests. grafana/dashboard-linter and mixtool cannot be installed
// here, so these tests implement their rules over the committed files:
// the rule names are theirs, the checks follow their sources. Waived
// rules and the reasons are in docs/dashboards.md ("Lint").

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// rawDashboard is the part of a dashboard's JSON the linters read.
type rawDashboard struct {
	Title      string     `json:"title"`
	UID        string     `json:"uid"`
	Editable   *bool      `json:"editable"`
	Tags       []string   `json:"tags"`
	Links      []rawLink  `json:"links"`
	Panels     []rawPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Label string `json:"label"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// rawLink is a dashboard link.
type rawLink struct {
	Type        string   `json:"type"`
	Tags        []string `json:"tags"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
}

type rawPanel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
		RefID        string `json:"refId"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit       string `json:"unit"`
			NoValue    string `json:"noValue"`
			Thresholds *struct {
				Steps []struct {
					Value *float64 `json:"value"`
					Color string   `json:"color"`
				} `json:"steps"`
			} `json:"thresholds"`
		} `json:"defaults"`
		Overrides []struct {
			Matcher    struct{ Options string } `json:"matcher"`
			Properties []struct {
				ID    string `json:"id"`
				Value any    `json:"value"`
			} `json:"properties"`
		} `json:"overrides"`
	} `json:"fieldConfig"`
	Options         map[string]any `json:"options"`
	Transformations []struct {
		ID      string `json:"id"`
		Options struct {
			Rename  map[string]string `json:"renameByName"`
			Index   map[string]int    `json:"indexByName"`
			Exclude map[string]bool   `json:"excludeByName"`
		} `json:"options"`
	} `json:"transformations"`
}

// rawDashboards reads the committed dashboards by file name.
func rawDashboards(t *testing.T) map[string]rawDashboard {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(deployDir, dashboards.DashboardsDir, "*.json"))
	if err != nil || len(paths) < 4 {
		t.Fatalf("want the dashboards, found %v (%v)", paths, err)
	}
	out := map[string]rawDashboard{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var d rawDashboard
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = d
	}
	return out
}

// queryPanels are the panel types the linter reads targets from.
var queryPanels = []string{"stat", "singlestat", "graph", "table", "timeseries", "gauge", "barchart"}

// validUnits are the Grafana units the panels may use (a subset of the
// linter's list: the ones that fit this exporter's metrics).
var validUnits = []string{"s", "d", "percentunit", "short", "none"}

// TestDashboardLinterRules applies dashboard-linter's rules: template-
// datasource, panel-datasource, panel-title-description, panel-units,
// panel-no-targets, target-job, target-rate-interval, target-counter-agg
// and uneditable-dashboard. target-promql is TestTargetsParse.
func TestDashboardLinterRules(t *testing.T) {
	for name, d := range rawDashboards(t) {
		// template-datasource: one datasource variable named "datasource"
		// (or "prometheus_datasource"), labelled "Data source".
		var ds int
		for _, v := range d.Templating.List {
			if v.Type != "datasource" {
				continue
			}
			ds++
			if v.Name != "datasource" && v.Name != "prometheus_datasource" {
				t.Errorf("[template-datasource-rule] %s: data source variable named %q", name, v.Name)
			}
			if v.Label != "Data source" && v.Label != "Prometheus data source" {
				t.Errorf("[template-datasource-rule] %s: data source variable labelled %q", name, v.Label)
			}
			if v.Query != "prometheus" {
				t.Errorf("[template-datasource-rule] %s: data source variable of %v, want prometheus", name, v.Query)
			}
		}
		if ds == 0 {
			t.Errorf("[template-datasource-rule] %s: no templated data source", name)
		}
		// uneditable-dashboard.
		if d.Editable == nil || *d.Editable {
			t.Errorf("[uneditable-dashboard-rule] %s: editable", name)
		}
		for _, p := range d.Panels {
			if !slices.Contains(queryPanels, p.Type) {
				continue
			}
			where := fmt.Sprintf("%s, panel %q", name, p.Title)
			if p.Datasource == nil || (p.Datasource.UID != "$datasource" && p.Datasource.UID != "${datasource}") {
				t.Errorf("[panel-datasource-rule] %s: does not use the templated data source", where)
			}
			if p.Title == "" || p.Description == "" {
				t.Errorf("[panel-title-description-rule] %s: missing title or description", where)
			}
			if !slices.Contains(validUnits, p.FieldConfig.Defaults.Unit) {
				t.Errorf("[panel-units-rule] %s: no or invalid unit %q", where, p.FieldConfig.Defaults.Unit)
			}
			if len(p.Targets) == 0 {
				t.Errorf("[panel-no-targets-rule] %s: no targets", where)
			}
			for _, target := range p.Targets {
				for _, err := range lintSelectors(target.Expr) {
					t.Errorf("%s, target %s: %v", where, target.RefID, err)
				}
			}
		}
	}
}

// lintSelectors applies target-job (every selector matches job=~"$job"),
// target-rate-interval (a range in rate or irate is $__rate_interval) and
// target-counter-agg (a _total counter is only read through rate, irate
// or increase over a range) to one expression.
func lintSelectors(expr string) []error {
	var errs []error
	for _, s := range selectors(expr) {
		if !slices.Contains(s.matchers, `job=~"$job"`) {
			errs = append(errs, fmt.Errorf("[target-job-rule] selector %s%v has no job=~\"$job\" matcher", s.name, s.matchers))
		}
		if strings.HasSuffix(s.name, "_total") && (s.rangeOf == "" || !slices.Contains([]string{"rate", "irate", "increase"}, s.function)) {
			errs = append(errs, fmt.Errorf("[target-counter-agg-rule] counter %s is not aggregated with rate, irate or increase", s.name))
		}
		if s.rangeOf != "" && (s.function == "rate" || s.function == "irate") && s.rangeOf != "$__rate_interval" {
			errs = append(errs, fmt.Errorf("[target-rate-interval-rule] %s(%s[%s]) should use $__rate_interval", s.function, s.name, s.rangeOf))
		}
	}
	return errs
}

// vectorSelector is one selector of an expression: the metric name, its
// matchers as written, its range if any, and the function it is an
// argument of.
type vectorSelector struct {
	name     string
	matchers []string
	rangeOf  string
	function string
}

// promqlWords are the PromQL keywords that look like metric names.
var promqlWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"}

// aggregations may take a label list before their parenthesis.
var aggregations = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"}

// labelListWords are followed by a list of label names, not selectors.
var labelListWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}

var (
	identRE   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`)
	matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*,?`)
	numberRE  = regexp.MustCompile(`^[0-9][0-9.eE+-]*`)
)

// selectors lists the vector selectors of a PromQL expression. It is a
// lexer, not a parser: enough for the expressions this package writes,
// which TestTargetsParse has promtool parse.
func selectors(expr string) []vectorSelector {
	var out []vectorSelector
	var calls []string // the function or aggregation of each open parenthesis
	pending := ""      // an identifier followed by "(" opens a call
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t' || c == ',' || c == ')':
			if c == ')' && len(calls) > 0 {
				calls = calls[:len(calls)-1]
			}
			i++
		case c == '"':
			end := strings.IndexByte(expr[i+1:], '"')
			i += end + 2
		case c == '(':
			calls = append(calls, pending)
			pending = ""
			i++
		case c >= '0' && c <= '9':
			i += len(numberRE.FindString(expr[i:]))
		case c == '{' || identRE.MatchString(expr[i:]):
			name := identRE.FindString(expr[i:])
			i += len(name)
			rest := strings.TrimLeft(expr[i:], " ")
			if name != "" && slices.Contains(labelListWords, name) {
				// Skip the label list.
				if strings.HasPrefix(rest, "(") {
					i = len(expr) - len(rest) + strings.IndexByte(rest, ')') + 1
				}
				continue
			}
			if name != "" && (slices.Contains(promqlWords, strings.ToLower(name)) || slices.Contains(aggregations, name) || strings.HasPrefix(rest, "(")) {
				pending = name
				continue
			}
			s := vectorSelector{name: name}
			if strings.HasPrefix(rest, "{") {
				i = len(expr) - len(rest) + 1
				for {
					mm := matcherRE.FindStringSubmatch(expr[i:])
					if mm == nil {
						break
					}
					s.matchers = append(s.matchers, mm[1]+mm[2]+mm[3])
					i += len(mm[0])
				}
				i += strings.IndexByte(expr[i:], '}') + 1
				rest = strings.TrimLeft(expr[i:], " ")
			}
			if strings.HasPrefix(rest, "[") {
				end := strings.IndexByte(rest, ']')
				s.rangeOf = rest[1:end]
				i = len(expr) - len(rest) + end + 1
			}
			if len(calls) > 0 {
				s.function = calls[len(calls)-1]
			}
			out = append(out, s)
		default:
			i++
		}
	}
	return out
}

// TestSelectorLexer shows the lexer finds what the rules need, and that
// each rule can fail.
func TestSelectorLexer(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string // the rules that must fail
	}{
		{`sum by (team) (max by (team, status) (postmortem_action_items{job=~"$job", team=~"$team"}))`, nil},
		{`sum(x{job=~"$job", a="by (b)"}) / ignoring (a) group_left (b) (y{job=~"$job"} > 0) or vector(0)`, nil},
		{`sum(x{job="postmortem"})`, []string{"target-job-rule"}},
		{`sum(x) by (job)`, []string{"target-job-rule"}},
		{`rate(errors_total{job=~"$job"}[5m])`, []string{"target-rate-interval-rule"}},
		{`errors_total{job=~"$job"}`, []string{"target-counter-agg-rule"}},
		{`sum(rate(errors_total{job=~"$job"}[$__rate_interval]))`, nil},
		{`histogram_quantile(0.9, sum by (le) (x_bucket{job=~"$job"})) and sum(y{job=~"$job"}) > 0`, nil},
	} {
		var got []string
		for _, err := range lintSelectors(tc.expr) {
			rule := strings.TrimPrefix(strings.SplitN(err.Error(), "]", 2)[0], "[")
			got = append(got, rule)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: rules failed %v, want %v", tc.expr, got, tc.want)
		}
	}
	if s := selectors(`sum(max by (a) (m{job=~"$job", b="c"}))`); len(s) != 1 || s[0].name != "m" || len(s[0].matchers) != 2 || s[0].function != "max" {
		t.Errorf("selectors: %+v", s)
	}
}

// grafanaValues replace the template variables the way dashboard-linter
// does before parsing: a value of the right kind for each.
var grafanaValues = strings.NewReplacer(
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h",
	"$job", "postmortem", "$window", "30d", "$team", ".*", "$severity", ".*",
)

// TestTargetsParse is dashboard-linter's target-promql-rule: every panel
// expression must parse. The PromQL parser is Prometheus's own module,
// which this project does not depend on; promtool (Debian's, the same
// Prometheus the other tests run) parses every expression instead, each
// as a recording rule of a throw-away rule file.
func TestTargetsParse(t *testing.T) {
	promtool := testenv.RequireCommand(t, "promtool")
	var rules []map[string]string
	var where []string
	for name, d := range rawDashboards(t) {
		for _, p := range d.Panels {
			for _, target := range p.Targets {
				rules = append(rules, map[string]string{"record": fmt.Sprintf("panel:expr_%d:parse", len(rules)), "expr": grafanaValues.Replace(target.Expr)})
				where = append(where, name+": "+p.Title)
			}
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

// TestAlertsFollowMixinGuidelines applies mixtool lint's rules for
// alerts: alert-name-camelcase, alert-severity-rule, alert-description-
// missing-rule, alert-description-templating, alert-summary-missing-rule,
// alert-summary-templating and alert-summary-style; and the runbook_url
// the mixin guidelines ask for.
func TestAlertsFollowMixinGuidelines(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, dashboards.RulesFile))
	if err != nil {
		t.Fatal(err)
	}
	var file dashboards.RuleFile
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	camel := regexp.MustCompile(`^([A-Z]+[a-z0-9]+)+$`)
	template := regexp.MustCompile(`\{\{.+}\}`)
	sentence := regexp.MustCompile(`^[A-Z].+\.$`)
	alerts := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !camel.MatchString(r.Alert) {
				t.Errorf("[alert-name-camelcase] %s", r.Alert)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("[alert-severity-rule] %s: severity %q", r.Alert, s)
			}
			desc, ok := r.Annotations["description"]
			if !ok {
				t.Errorf("[alert-description-missing-rule] %s", r.Alert)
			} else if !template.MatchString(desc) {
				t.Errorf("[alert-description-templating] %s: %q", r.Alert, desc)
			}
			summary, ok := r.Annotations["summary"]
			switch {
			case !ok:
				t.Errorf("[alert-summary-missing-rule] %s", r.Alert)
			case template.MatchString(summary):
				t.Errorf("[alert-summary-templating] %s: %q", r.Alert, summary)
			case !sentence.MatchString(summary):
				t.Errorf("[alert-summary-style] %s: %q", r.Alert, summary)
			}
			if !strings.HasPrefix(r.Annotations["runbook_url"], "https://") {
				t.Errorf("%s: no runbook_url", r.Alert)
			}
		}
	}
	if alerts < 5 {
		t.Fatalf("only %d alerts", alerts)
	}
}

// TestDashboardsLinkToEachOther checks that each dashboard carries the
// pack's tag and a links menu of the dashboards with that tag, keeping
// the variables and the time range.
func TestDashboardsLinkToEachOther(t *testing.T) {
	for name, d := range rawDashboards(t) {
		if !slices.Contains(d.Tags, "postmortem") {
			t.Errorf("%s: no postmortem tag", name)
		}
		linked := slices.ContainsFunc(d.Links, func(l rawLink) bool {
			return l.Type == "dashboards" && slices.Contains(l.Tags, "postmortem") && l.IncludeVars && l.KeepTime
		})
		if !linked {
			t.Errorf("%s: no link to the other dashboards keeping variables and time: %+v", name, d.Links)
		}
	}
}

// TestLayoutFitsTheGrid checks that every panel lies inside the 24
// columns and that no two panels (rows included) overlap.
func TestLayoutFitsTheGrid(t *testing.T) {
	for name, d := range rawDashboards(t) {
		type cell struct{ x, y int }
		owner := map[cell]string{}
		for _, p := range d.Panels {
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("%s: panel %q at x=%d, width %d does not fit the 24 columns", name, p.Title, g.X, g.W)
				continue
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, taken := owner[cell{x, y}]; taken {
						t.Errorf("%s: panels %q and %q overlap at x=%d, y=%d", name, other, p.Title, x, y)
						goto next
					}
					owner[cell{x, y}] = p.Title
				}
			}
		next:
		}
	}
}

// variablePhrases are what a panel says when it does not follow a
// variable of its dashboard (see the constants in overview.go).
var variablePhrases = map[string][]string{
	"team":     {"all teams"},
	"severity": {"all severities"},
	"window":   {"as of now", "every window"},
}

// TestPanelsReadable checks what a forum reader needs from each panel:
// legends on with a name per series and a tooltip listing all series on
// time series, the last non-null value on stats, thresholds chosen for
// the unit (never Grafana's default red from 80), renamed and sorted
// table columns with links on URL columns, every variable of the
// dashboard used by each panel or the panel saying it is not, and every
// "no data" text written down in docs/dashboards.md.
func TestPanelsReadable(t *testing.T) {
	doc, err := os.ReadFile("../docs/dashboards.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range rawDashboards(t) {
		for _, p := range d.Panels {
			if p.Type == "row" {
				continue
			}
			where := fmt.Sprintf("%s, panel %q", name, p.Title)
			switch p.Type {
			case "timeseries", "barchart":
				legend, _ := p.Options["legend"].(map[string]any)
				tooltip, _ := p.Options["tooltip"].(map[string]any)
				if legend == nil || legend["showLegend"] != true {
					t.Errorf("%s: legend off", where)
				}
				if tooltip == nil || tooltip["mode"] != "multi" {
					t.Errorf("%s: tooltip mode %v, want multi", where, tooltip["mode"])
				}
			case "stat":
				reduce, _ := p.Options["reduceOptions"].(map[string]any)
				if calcs, _ := reduce["calcs"].([]any); len(calcs) != 1 || calcs[0] != "lastNotNull" {
					t.Errorf("%s: reduction %v, want lastNotNull", where, reduce["calcs"])
				}
			case "table":
				lintTable(t, where, p)
			}
			if p.Type != "table" {
				for _, target := range p.Targets {
					if target.LegendFormat == "" || target.LegendFormat == "__auto" {
						t.Errorf("%s, target %s: no legend", where, target.RefID)
					}
				}
			}
			lintThresholds(t, where, p)
			text := strings.ToLower(p.Title + " " + p.Description)
			for _, v := range d.Templating.List {
				phrases, ok := variablePhrases[v.Name]
				if !ok {
					continue
				}
				used := false
				for _, target := range p.Targets {
					used = used || strings.Contains(target.Expr, "$"+v.Name)
				}
				said := slices.ContainsFunc(phrases, func(s string) bool { return strings.Contains(text, s) })
				if !used && !said {
					t.Errorf("%s: ignores $%s without saying %q", where, v.Name, phrases)
				}
			}
			if nv := p.FieldConfig.Defaults.NoValue; nv != "" && !strings.Contains(string(doc), nv) {
				t.Errorf("%s: no-data text %q is not in docs/dashboards.md", where, nv)
			}
		}
	}
}

// lintThresholds wants explicit thresholds whose steps fit the unit: a
// share between 0 and 1, a duration of at least a minute, a count of at
// least one; and no red base with a step at 80 (Grafana's default).
func lintThresholds(t *testing.T, where string, p rawPanel) {
	th := p.FieldConfig.Defaults.Thresholds
	if th == nil || len(th.Steps) == 0 {
		t.Errorf("%s: no thresholds (Grafana's default is red from 80)", where)
		return
	}
	for _, s := range th.Steps[1:] {
		if s.Value == nil {
			t.Errorf("%s: threshold step without a value", where)
			continue
		}
		v := *s.Value
		switch p.FieldConfig.Defaults.Unit {
		case "percentunit":
			if v <= 0 || v > 1 {
				t.Errorf("%s: share threshold %g outside (0, 1]", where, v)
			}
		case "s":
			if v < 60 {
				t.Errorf("%s: duration threshold %g s", where, v)
			}
		default:
			if v < 1 || v == 80 {
				t.Errorf("%s: count threshold %g", where, v)
			}
		}
	}
}

// lintTable wants a sorted table without the "Value" header, and links
// on the ticket, post-mortem and team columns.
func lintTable(t *testing.T, where string, p rawPanel) {
	sortBy, _ := p.Options["sortBy"].([]any)
	if len(sortBy) == 0 {
		t.Errorf("%s: not sorted", where)
	}
	var rename map[string]string
	var excluded map[string]bool
	for _, tr := range p.Transformations {
		if tr.ID == "organize" {
			rename, excluded = tr.Options.Rename, tr.Options.Exclude
			if len(tr.Options.Index) != len(rename) {
				t.Errorf("%s: column order not set", where)
			}
		}
	}
	if _, ok := rename["Value"]; !ok && !excluded["Value"] && len(p.Targets) == 1 {
		t.Errorf("%s: the value column keeps the header \"Value\"", where)
	}
	links := map[string]bool{}
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if prop.ID == "links" {
				links[o.Matcher.Options] = true
			}
		}
	}
	for field, header := range rename {
		if (field == "team" || strings.HasSuffix(field, "_url")) && !links[header] {
			t.Errorf("%s: column %q has no link", where, header)
		}
	}
}
