package lint

import (
	"fmt"
	"slices"
	"strings"
)

// lintTargets applies dashboard-linter's target rules to every query of
// the query panels: target-job-rule (every selector matches
// job=~"$job"), target-rate-interval-rule (a range in rate or irate is
// $__rate_interval) and target-counter-agg-rule (a _total counter is
// only read through rate, irate or increase over a range).
// target-promql-rule needs a PromQL parser: see Expressions.
func lintTargets(d Dashboard, ps *problems) {
	for _, p := range d.Panels {
		if !slices.Contains(queryPanels, p.Type) {
			continue
		}
		for _, t := range p.Targets {
			lintExpr(fmt.Sprintf("%s, target %s", where(d, p), t.RefID), t.Expr, ps)
		}
	}
}

// lintExpr applies the target rules to one expression.
func lintExpr(at, expr string, ps *problems) {
	for _, s := range selectors(expr) {
		if !slices.Contains(s.matchers, `job=~"$job"`) {
			ps.add("target-job-rule", at, "selector %s%v has no job=~\"$job\" matcher", s.name, s.matchers)
		}
		if strings.HasSuffix(s.name, "_total") && (s.rangeOf == "" || !slices.Contains([]string{"rate", "irate", "increase"}, s.function)) {
			ps.add("target-counter-agg-rule", at, "counter %s is not aggregated with rate, irate or increase", s.name)
		}
		if s.rangeOf != "" && (s.function == "rate" || s.function == "irate") && s.rangeOf != "$__rate_interval" {
			ps.add("target-rate-interval-rule", at, "%s(%s[%s]) should use $__rate_interval", s.function, s.name, s.rangeOf)
		}
	}
}

// Expression is a panel query with its variables replaced by values of
// their kind, as dashboard-linter does before parsing: what its
// target-promql-rule hands a PromQL parser.
type Expression struct {
	Where, Expr string
}

// grafanaValues replace the template variables the way dashboard-linter
// does before parsing: a value of the right kind for each.
var grafanaValues = strings.NewReplacer(
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h",
	"$job", "postmortem", "$window", "30d", "$team", ".*", "$severity", ".*",
)

// Expressions lists every panel query of d, ready to parse.
func Expressions(d Dashboard) []Expression {
	var out []Expression
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out = append(out, Expression{Where: where(d, p), Expr: grafanaValues.Replace(t.Expr)})
		}
	}
	return out
}
