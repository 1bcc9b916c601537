package dashboards_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
)

// TestDaysShownAsDays: a column of days never uses Grafana's "d" unit,
// which turns 537 days into "1.47 year", and shows a value under one day
// as "less than a day" instead of a 0 that reads as not late; owner cells
// of items without an owner read "(no owner)".
func TestDaysShownAsDays(t *testing.T) {
	dayColumns, ownerColumns := 0, 0
	for name, d := range loadDashboards(t) {
		for _, pr := range d.Panels {
			p := pr.Panel
			if p == nil || p.FieldConfig == nil {
				continue
			}
			for _, o := range p.FieldConfig.Overrides {
				header, _ := o.Matcher.Options.(string)
				props, err := json.Marshal(o.Properties)
				if err != nil {
					t.Fatal(err)
				}
				text := string(props)
				at := name + ": " + derefString(p.Title) + ": " + header
				if strings.Contains(text, `"id":"unit","value":"d"`) {
					t.Errorf("%s: unit d (Grafana shows 537 days as 1.47 year)", at)
				}
				if strings.Contains(header, "Days") {
					dayColumns++
					if !strings.Contains(text, `"value":"suffix: days"`) || !strings.Contains(text, `"text":"less than a day"`) {
						t.Errorf("%s: a column of days without the unit days and the text for less than a day: %s", at, text)
					}
				}
				if header == "Owner" {
					ownerColumns++
					if !strings.Contains(text, `"text":"(no owner)"`) {
						t.Errorf("%s: an empty owner is not shown as (no owner): %s", at, text)
					}
				}
			}
		}
	}
	if dayColumns < 3 || ownerColumns < 3 {
		t.Errorf("%d columns of days and %d of owners checked, want at least 3 each (overdue items, waiting post-mortems, overdue work by owner)", dayColumns, ownerColumns)
	}
}

// TestDocsCountTheDashboards: the README and docs/dashboards.md say how
// many dashboards generate writes, in words, and the number is the one
// that ships.
func TestDocsCountTheDashboards(t *testing.T) {
	built, err := dashboards.DefaultConfig().Build()
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	if len(built) >= len(words) {
		t.Fatalf("%d dashboards: count them in words here", len(built))
	}
	n := words[len(built)]
	for file, phrase := range map[string]string{
		"../README.md":          "writes " + n + " Grafana dashboards",
		"../docs/dashboards.md": "grafana-foundation-sdk, " + n + " dashboards",
	} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(strings.Fields(string(text)), " "), phrase) {
			t.Errorf("%s does not say %q: %d dashboards ship", file, phrase, len(built))
		}
	}
}
