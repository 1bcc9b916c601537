package lint

import (
	"slices"
	"strings"
)

// variablePhrases are what a panel says when it does not follow a
// variable of its dashboard: its declaration that the variable is
// ignored, in words a reader sees (see DeclaresIgnored).
var variablePhrases = map[string][]string{
	"team":     {"all teams"},
	"severity": {"all severities"},
	"window":   {"as of now", "every window", "whatever the window"},
}

// lintReadable applies what a forum reader needs from each panel: legends
// on with a name per series and a tooltip listing all series on time
// series (panel-legend), the last non-null value on stats (stat-reduce),
// thresholds chosen for the unit (panel-thresholds), renamed and sorted
// table columns with links on URL and team columns (table-columns), and
// every variable of the dashboard used by each panel or the panel saying
// it is not (panel-variables).
func lintReadable(d Dashboard, ps *problems) {
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		at := where(d, p)
		switch p.Type {
		case "timeseries", "barchart":
			legend, _ := p.Options["legend"].(map[string]any)
			tooltip, _ := p.Options["tooltip"].(map[string]any)
			if legend == nil || legend["showLegend"] != true {
				ps.add("panel-legend", at, "legend off")
			}
			if tooltip == nil || tooltip["mode"] != "multi" {
				ps.add("panel-legend", at, "tooltip mode %v, want multi", tooltip["mode"])
			}
		case "stat":
			reduce, _ := p.Options["reduceOptions"].(map[string]any)
			if calcs, _ := reduce["calcs"].([]any); len(calcs) != 1 || calcs[0] != "lastNotNull" {
				ps.add("stat-reduce", at, "reduction %v, want lastNotNull", reduce["calcs"])
			}
		case "table":
			lintTable(at, p, ps)
		}
		if p.Type != "table" {
			for _, t := range p.Targets {
				if t.LegendFormat == "" || t.LegendFormat == "__auto" {
					ps.add("panel-legend", at, "target %s has no legend", t.RefID)
				}
			}
		}
		lintThresholds(at, p, ps)
		lintVariables(d, at, p, ps)
	}
}

// DeclaresIgnored reports whether a panel's title or description says
// that the panel does not follow the variable (team, severity, window):
// "all teams", "all severities", "as of now", "every window" or "whatever
// the window" (a panel of calendar periods). It is the
// one declaration a panel makes, for readers and for the tests that
// change each variable and expect the panel to change.
func DeclaresIgnored(variable, title, description string) bool {
	text := strings.ToLower(title + " " + description)
	return slices.ContainsFunc(variablePhrases[variable], func(s string) bool { return strings.Contains(text, s) })
}

// lintVariables wants each variable of the dashboard used by the panel's
// queries, or the panel's title or description saying it is not.
func lintVariables(d Dashboard, at string, p Panel, ps *problems) {
	for _, v := range d.Templating.List {
		phrases, ok := variablePhrases[v.Name]
		if !ok {
			continue
		}
		used := slices.ContainsFunc(p.Targets, func(t Target) bool { return strings.Contains(t.Expr, "$"+v.Name) })
		if !used && !DeclaresIgnored(v.Name, p.Title, p.Description) {
			ps.add("panel-variables", at, "ignores $%s without saying %q", v.Name, phrases)
		}
	}
}

// lintThresholds wants explicit thresholds whose steps fit the unit: a
// share between 0 and 1, a duration of at least a minute, a count of at
// least one; and no step at 80 (Grafana's default red).
func lintThresholds(at string, p Panel, ps *problems) {
	th := p.FieldConfig.Defaults.Thresholds
	if th == nil || len(th.Steps) == 0 {
		ps.add("panel-thresholds", at, "no thresholds (Grafana's default is red from 80)")
		return
	}
	for _, s := range th.Steps[1:] {
		if s.Value == nil {
			ps.add("panel-thresholds", at, "threshold step without a value")
			continue
		}
		v := *s.Value
		switch p.FieldConfig.Defaults.Unit {
		case "percentunit":
			if v <= 0 || v > 1 {
				ps.add("panel-thresholds", at, "share threshold %g outside (0, 1]", v)
			}
		case "s":
			if v < 60 {
				ps.add("panel-thresholds", at, "duration threshold %g s", v)
			}
		default:
			if v < 1 || v == 80 {
				ps.add("panel-thresholds", at, "count threshold %g", v)
			}
		}
	}
}

// lintTable wants a sorted table without the "Value" header, its column
// order set, and links on the ticket, post-mortem and team columns.
func lintTable(at string, p Panel, ps *problems) {
	if sortBy, _ := p.Options["sortBy"].([]any); len(sortBy) == 0 {
		ps.add("table-columns", at, "not sorted")
	}
	var rename map[string]string
	var excluded map[string]bool
	for _, tr := range p.Transformations {
		if tr.ID == "organize" {
			rename, excluded = tr.Options.Rename, tr.Options.Exclude
			if len(tr.Options.Index) != len(rename) {
				ps.add("table-columns", at, "column order not set")
			}
		}
	}
	if _, ok := rename["Value"]; !ok && !excluded["Value"] && len(p.Targets) == 1 {
		ps.add("table-columns", at, "the value column keeps the header \"Value\"")
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
			ps.add("table-columns", at, "column %q has no link", header)
		}
	}
}
