package lint

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// goodDashboard breaks no rule: a data source variable, a team variable,
// a time series, a stat and a table with an encoded team link and a raw
// ticket link, side by side on the grid.
const goodDashboard = `{
  "title": "Good", "uid": "good", "editable": false, "tags": ["postmortem"],
  "links": [{"title": "Post-mortems", "type": "dashboards", "tags": ["postmortem"], "includeVars": true, "keepTime": true}],
  "templating": {"list": [
    {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus"},
    {"name": "team", "label": "Team", "type": "query"}]},
  "panels": [
    {"id": 1, "type": "timeseries", "title": "MTTR", "description": "Mean time to recover.",
     "datasource": {"type": "prometheus", "uid": "${datasource}"}, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "legendFormat": "{{team}}", "expr": "sum by (team) (rate(x_total{job=~\"$job\", team=~\"$team\"}[$__rate_interval]))"}],
     "fieldConfig": {"defaults": {"unit": "s", "thresholds": {"steps": [{"value": null, "color": "green"}, {"value": 3600, "color": "red"}]}}},
     "options": {"legend": {"showLegend": true}, "tooltip": {"mode": "multi"}}},
    {"id": 2, "type": "stat", "title": "Open", "description": "Open incidents of all teams.",
     "datasource": {"type": "prometheus", "uid": "$datasource"}, "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8},
     "targets": [{"refId": "A", "legendFormat": "open", "expr": "sum(y{job=~\"$job\"})"}],
     "fieldConfig": {"defaults": {"unit": "short", "thresholds": {"steps": [{"value": null, "color": "green"}, {"value": 5, "color": "red"}]}}},
     "options": {"reduceOptions": {"calcs": ["lastNotNull"]}}},
    {"id": 3, "type": "table", "title": "Items", "description": "Overdue items.",
     "datasource": {"type": "prometheus", "uid": "${datasource}"}, "gridPos": {"x": 0, "y": 8, "w": 24, "h": 10},
     "targets": [{"refId": "A", "expr": "max by (team, ticket_url) (z{job=~\"$job\", team=~\"$team\"})"}],
     "fieldConfig": {"defaults": {"unit": "d", "thresholds": {"steps": [{"value": null, "color": "green"}]}},
       "overrides": [
         {"matcher": {"options": "Team"}, "properties": [{"id": "links", "value": [{"title": "Team", "url": "/d/team?var-team=${__value.raw:percentencode}&${job:queryparam}&${__url_time_range}"}]}]},
         {"matcher": {"options": "Ticket"}, "properties": [{"id": "links", "value": [{"title": "Ticket", "url": "${__value.raw:raw}"}]}]}]},
     "options": {"sortBy": [{"displayName": "Days", "desc": true}]},
     "transformations": [{"id": "organize", "options": {
       "renameByName": {"team": "Team", "ticket_url": "Ticket", "Value": "Days"},
       "indexByName": {"team": 0, "ticket_url": 1, "Value": 2}}}]}
  ]
}`

// dashboardWith returns goodDashboard changed by edit, which works on its
// decoded JSON.
func dashboardWith(t *testing.T, edit func(d map[string]any)) Dashboard {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(goodDashboard), &raw); err != nil {
		t.Fatal(err)
	}
	edit(raw)
	data, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// panel returns the i-th panel of a decoded dashboard.
func panel(d map[string]any, i int) map[string]any { return d["panels"].([]any)[i].(map[string]any) }

func defaults(d map[string]any, i int) map[string]any {
	return panel(d, i)["fieldConfig"].(map[string]any)["defaults"].(map[string]any)
}

func target(d map[string]any, i int) map[string]any {
	return panel(d, i)["targets"].([]any)[0].(map[string]any)
}

// tableLink sets the URL of the table's team link.
func tableLink(url string) func(d map[string]any) {
	return func(d map[string]any) {
		o := panel(d, 2)["fieldConfig"].(map[string]any)["overrides"].([]any)[0].(map[string]any)
		o["properties"].([]any)[0].(map[string]any)["value"] = []any{map[string]any{"title": "Team", "url": url}}
	}
}

func rules(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(out, p.Rule) {
			out = append(out, p.Rule)
		}
	}
	return out
}

// TestEachRuleTrips checks the good dashboard passes and that each rule
// fails on a dashboard that breaks it, and only that rule.
func TestEachRuleTrips(t *testing.T) {
	if ps := Lint(dashboardWith(t, func(map[string]any) {})); len(ps) > 0 {
		t.Fatalf("the good dashboard breaks %v", ps)
	}
	for _, c := range []struct {
		rule string
		edit func(d map[string]any)
	}{
		{"template-datasource-rule", func(d map[string]any) { d["templating"] = map[string]any{"list": []any{}} }},
		{"uneditable-dashboard-rule", func(d map[string]any) { d["editable"] = true }},
		{"panel-datasource-rule", func(d map[string]any) { panel(d, 1)["datasource"] = map[string]any{"uid": "prom-1"} }},
		{"panel-title-description-rule", func(d map[string]any) { panel(d, 0)["description"] = "" }},
		{"panel-units-rule", func(d map[string]any) { defaults(d, 1)["unit"] = "bytes" }},
		{"panel-no-targets-rule", func(d map[string]any) { panel(d, 1)["targets"] = []any{} }},
		{"target-job-rule", func(d map[string]any) { target(d, 1)["expr"] = `sum(y{job="postmortem"})` }},
		{"target-rate-interval-rule", func(d map[string]any) {
			target(d, 0)["expr"] = `sum by (team) (rate(x_total{job=~"$job", team=~"$team"}[5m]))`
		}},
		{"target-counter-agg-rule", func(d map[string]any) { target(d, 1)["expr"] = `sum(y_total{job=~"$job"})` }},
		{"grid-layout", func(d map[string]any) { panel(d, 1)["gridPos"] = map[string]any{"x": 6, "y": 0, "w": 12, "h": 8} }},
		{"panel-legend", func(d map[string]any) { panel(d, 0)["options"] = map[string]any{} }},
		{"stat-reduce", func(d map[string]any) {
			panel(d, 1)["options"] = map[string]any{"reduceOptions": map[string]any{"calcs": []any{"mean"}}}
		}},
		{"panel-thresholds", func(d map[string]any) { delete(defaults(d, 0), "thresholds") }},
		{"table-columns", func(d map[string]any) { panel(d, 2)["options"] = map[string]any{} }},
		{"panel-variables", func(d map[string]any) { panel(d, 1)["description"] = "Open incidents." }},
		{"dashboard-links", func(d map[string]any) { d["links"] = []any{} }},
		{"link-url-encoding", tableLink("/d/team?var-team=${__value.raw}&${job:queryparam}")},
		{"link-url-encoding", tableLink("/d/team?var-team=$team")},
		{"link-url-encoding", tableLink("${__value.raw}")},
	} {
		got := rules(Lint(dashboardWith(t, c.edit)))
		if !slices.Equal(got, []string{c.rule}) {
			t.Errorf("%s: rules broken %v", c.rule, got)
		}
	}
}

// TestSelectorLexer shows the lexer finds what the target rules need.
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
		var ps problems
		lintExpr("test", tc.expr, &ps)
		if got := rules(ps); !slices.Equal(got, tc.want) {
			t.Errorf("%s: rules failed %v, want %v", tc.expr, got, tc.want)
		}
	}
	if s := selectors(`sum(max by (a) (m{job=~"$job", b="c"}))`); len(s) != 1 || s[0].name != "m" || len(s[0].matchers) != 2 || s[0].function != "max" {
		t.Errorf("selectors: %+v", s)
	}
}

// goodRules break no alert rule.
const goodRules = `groups:
  - name: alerts
    rules:
      - alert: TeamTooManyItems
        expr: x > 5
        labels: {severity: warning}
        annotations:
          summary: A team has too many items.
          description: 'Team {{ $labels.team }} has {{ $value }} items.'
          runbook_url: https://example.com/runbooks.md#teamtoomanyitems
          dashboard_url: 'https://grafana.example.com/d/team?var-team={{ $labels.team | urlquery }}'
`

// TestEachAlertRuleTrips checks the good rules pass and each alert rule
// fails on a rule that breaks it.
func TestEachAlertRuleTrips(t *testing.T) {
	for _, c := range []struct {
		rule     string
		old, new string
	}{
		{"", "", ""},
		{"alert-name-camelcase", "alert: TeamTooManyItems", "alert: team_too_many_items"},
		{"alert-severity-rule", "severity: warning", "severity: page"},
		{"alert-description-missing-rule", "description:", "details:"},
		{"alert-description-templating", "'Team {{ $labels.team }} has {{ $value }} items.'", "A team has items."},
		{"alert-summary-missing-rule", "summary:", "headline:"},
		{"alert-summary-templating", "summary: A team has too many items.", "summary: '{{ $labels.team }} has too many items.'"},
		{"alert-summary-style", "summary: A team has too many items.", "summary: a team has too many items"},
		{"alert-runbook-url", "runbook_url:", "playbook:"},
		{"alert-url-encoding", "{{ $labels.team | urlquery }}", "{{ $labels.team }}"},
	} {
		f, err := ParseRules([]byte(strings.Replace(goodRules, c.old, c.new, 1)))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{c.rule}
		if c.rule == "" {
			want = nil
		}
		if got := rules(LintAlerts(f)); !slices.Equal(got, want) {
			t.Errorf("%q: rules broken %v, want %v", c.rule, got, want)
		}
	}
}
