package lint

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// RuleFile is the part of a Prometheus rule file the alert rules read.
type RuleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ParseRules reads a Prometheus rule file.
func ParseRules(data []byte) (RuleFile, error) {
	var f RuleFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return RuleFile{}, fmt.Errorf("rules: %w", err)
	}
	return f, nil
}

var (
	camelCase = regexp.MustCompile(`^([A-Z]+[a-z0-9]+)+$`)
	templated = regexp.MustCompile(`\{\{.+}\}`)
	sentence  = regexp.MustCompile(`^[A-Z].+\.$`)
	action    = regexp.MustCompile(`\{\{[^}]*\}\}`)
)

// LintAlerts applies mixtool lint's alert rules: alert-name-camelcase,
// alert-severity-rule, alert-description-missing-rule,
// alert-description-templating, alert-summary-missing-rule,
// alert-summary-templating and alert-summary-style; the runbook_url the
// mixin guidelines ask for (alert-runbook-url); and alert-url-encoding:
// in an annotation that is a URL (its name ends in _url), every template
// action that reads a label pipes it through urlquery, so that a team
// "a&b c/d" stays one query value.
func LintAlerts(f RuleFile) []Problem {
	var ps problems
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			at := r.Alert
			if !camelCase.MatchString(r.Alert) {
				ps.add("alert-name-camelcase", at, "not CamelCase")
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				ps.add("alert-severity-rule", at, "severity %q", s)
			}
			desc, ok := r.Annotations["description"]
			if !ok {
				ps.add("alert-description-missing-rule", at, "no description")
			} else if !templated.MatchString(desc) {
				ps.add("alert-description-templating", at, "%q", desc)
			}
			summary, ok := r.Annotations["summary"]
			switch {
			case !ok:
				ps.add("alert-summary-missing-rule", at, "no summary")
			case templated.MatchString(summary):
				ps.add("alert-summary-templating", at, "%q", summary)
			case !sentence.MatchString(summary):
				ps.add("alert-summary-style", at, "%q", summary)
			}
			if !strings.HasPrefix(r.Annotations["runbook_url"], "https://") {
				ps.add("alert-runbook-url", at, "no runbook_url")
			}
			for name, value := range r.Annotations {
				if !strings.HasSuffix(name, "_url") {
					continue
				}
				for _, a := range action.FindAllString(value, -1) {
					if strings.Contains(a, "$labels") && !strings.Contains(a, "urlquery") {
						ps.add("alert-url-encoding", at, "%s: %s puts a label into the URL unencoded: pipe it through urlquery", name, a)
					}
				}
			}
		}
	}
	return ps
}
