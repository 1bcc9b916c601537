package lint

import "slices"

// queryPanels are the panel types dashboard-linter reads targets from.
var queryPanels = []string{"stat", "singlestat", "graph", "table", "timeseries", "gauge", "barchart"}

// validUnits are the Grafana units the panels may use (a subset of the
// linter's list: the ones that fit this exporter's metrics).
var validUnits = []string{"s", "d", "percentunit", "short", "none"}

// lintPanels applies dashboard-linter's panel rules to the query panels:
// panel-datasource-rule, panel-title-description-rule, panel-units-rule
// and panel-no-targets-rule.
func lintPanels(d Dashboard, ps *problems) {
	for _, p := range d.Panels {
		if !slices.Contains(queryPanels, p.Type) {
			continue
		}
		at := where(d, p)
		if p.Datasource == nil || (p.Datasource.UID != "$datasource" && p.Datasource.UID != "${datasource}") {
			ps.add("panel-datasource-rule", at, "does not use the templated data source")
		}
		if p.Title == "" || p.Description == "" {
			ps.add("panel-title-description-rule", at, "missing title or description")
		}
		if !slices.Contains(validUnits, p.FieldConfig.Defaults.Unit) {
			ps.add("panel-units-rule", at, "no or invalid unit %q", p.FieldConfig.Defaults.Unit)
		}
		if len(p.Targets) == 0 {
			ps.add("panel-no-targets-rule", at, "no targets")
		}
	}
}
