package lint

// lintTemplating applies dashboard-linter's dashboard rules:
// template-datasource-rule (one data source variable named "datasource"
// or "prometheus_datasource", labelled "Data source", of Prometheus) and
// uneditable-dashboard-rule.
func lintTemplating(d Dashboard, ps *problems) {
	ds := 0
	for _, v := range d.Templating.List {
		if v.Type != "datasource" {
			continue
		}
		ds++
		if v.Name != "datasource" && v.Name != "prometheus_datasource" {
			ps.add("template-datasource-rule", d.Title, "data source variable named %q", v.Name)
		}
		if v.Label != "Data source" && v.Label != "Prometheus data source" {
			ps.add("template-datasource-rule", d.Title, "data source variable labelled %q", v.Label)
		}
		if v.Query != "prometheus" {
			ps.add("template-datasource-rule", d.Title, "data source variable of %v, want prometheus", v.Query)
		}
	}
	if ds == 0 {
		ps.add("template-datasource-rule", d.Title, "no templated data source")
	}
	if d.Editable == nil || *d.Editable {
		ps.add("uneditable-dashboard-rule", d.Title, "editable")
	}
}
