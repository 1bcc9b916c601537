package pull

import (
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestParseMappingRefuses: each mistake of a mapping file is an error
// naming the source and the key.
func TestParseMappingRefuses(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"jira:\n  severity: {P1: sev1}\n", "jira: unknown source"},
		{"pagerduty:\n  severity: {P1: sev1, p1: sev2}\n", `pagerduty.severity: "p1" given twice`},
		{"document:\n  defaults: {title: x}\n", "document.defaults.title: not a mapped field"},
		{"document:\n  fields: {Lead: moderatr}\n", `document.fields["lead"]: "moderatr" is not a record field`},
		{"document:\n  severty: {a: b}\n", "field severty not found"},
	} {
		_, err := ParseMapping([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}
}

// TestTranslate: a mapped word, a taxonomy value in another case or with
// spaces or hyphens, and an unknown word (a finding, the default written).
func TestTranslate(t *testing.T) {
	m, err := ParseMapping([]byte("pagerduty:\n  severity: {\"  High  Urgency \": sev2}\n  team: {checkout-api: payments}\n  defaults: {origin: unknown}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := translator{source: "pagerduty", mapping: m.For("pagerduty"), taxonomy: record.DefaultTaxonomy()}
	d, err := tr.desire(Incident{SourceID: "P1", Fields: map[string]any{
		"severity": "high   urgency", "team": "search-api", "detection": "Automated", "resolution": "Fix-Forward",
	}, SourceFields: map[string]string{"team": "service.summary"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, n := range d.fields {
		got[k] = n.Value
	}
	want := map[string]string{"id": "pagerduty-P1", "severity": "sev2", "detection": "automated", "resolution": "fix_forward", "origin": "unknown"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["team"]; ok {
		t.Errorf("an unmapped team was written: %q", got["team"])
	}
	var findings []string
	for _, f := range d.findings {
		findings = append(findings, f.Field+"|"+f.SourceField+"|"+f.Value+"|"+f.Reason)
	}
	wantFindings := "team|service.summary|search-api|not in the mapping file\n" +
		"origin||unknown|not provided by pagerduty: the mapping file's default, until a person completes it"
	if strings.Join(findings, "\n") != wantFindings {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(findings, "\n"), wantFindings)
	}
}
