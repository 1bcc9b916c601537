// Package lint checks Grafana dashboards and Prometheus alerting rules
// against the rules of grafana/dashboard-linter and mixtool lint, which
// cannot be installed here, and the readability and link rules of
// docs/dashboards.md ("Lint"). It reads the files as Grafana and
// Prometheus do, independently of the code that generates them.
package lint

import (
	"encoding/json"
	"fmt"
)

// Problem is one rule a dashboard or an alert breaks.
type Problem struct {
	Rule  string // the linter's rule name, e.g. panel-units-rule
	Where string // the dashboard and panel, or the alert
	What  string
}

func (p Problem) String() string { return fmt.Sprintf("[%s] %s: %s", p.Rule, p.Where, p.What) }

// problems collects the problems of one dashboard or rule file.
type problems []Problem

func (ps *problems) add(rule, where, format string, args ...any) {
	*ps = append(*ps, Problem{Rule: rule, Where: where, What: fmt.Sprintf(format, args...)})
}

// Dashboard is the part of a dashboard's JSON the rules read.
type Dashboard struct {
	Title      string   `json:"title"`
	UID        string   `json:"uid"`
	Editable   *bool    `json:"editable"`
	Tags       []string `json:"tags"`
	Links      []Link   `json:"links"`
	Panels     []Panel  `json:"panels"`
	Templating struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Variable is a template variable.
type Variable struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Type  string `json:"type"`
	Query any    `json:"query"`
}

// Link is a dashboard link: a menu of dashboards by tag, or a URL.
type Link struct {
	Title       string   `json:"title"`
	Type        string   `json:"type"`
	URL         string   `json:"url"`
	Tags        []string `json:"tags"`
	IncludeVars bool     `json:"includeVars"`
	KeepTime    bool     `json:"keepTime"`
}

// Panel is a panel or a row.
type Panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos     struct{ X, Y, W, H int } `json:"gridPos"`
	Targets     []Target                 `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit       string     `json:"unit"`
			NoValue    string     `json:"noValue"`
			Links      []DataLink `json:"links"`
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
				ID    string          `json:"id"`
				Value json.RawMessage `json:"value"`
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

// Target is a panel's query.
type Target struct {
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	RefID        string `json:"refId"`
}

// DataLink is a link on a panel's values.
type DataLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Parse reads a dashboard's JSON.
func Parse(data []byte) (Dashboard, error) {
	var d Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return Dashboard{}, fmt.Errorf("dashboard: %w", err)
	}
	return d, nil
}

// Lint applies every dashboard rule to d. A panel whose data links
// cannot be read is reported, not skipped.
func Lint(d Dashboard) []Problem {
	var ps problems
	for _, rule := range []func(Dashboard, *problems){
		lintTemplating, lintPanels, lintTargets, lintLayout, lintReadable, lintNavigation, lintLinkEncoding,
	} {
		rule(d, &ps)
	}
	return ps
}

// where names a panel of a dashboard in a problem.
func where(d Dashboard, p Panel) string { return fmt.Sprintf("%s, panel %q", d.Title, p.Title) }
