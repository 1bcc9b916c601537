package pull

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourcePlaceholderIsThePersons: a field a source fills with an honest
// placeholder and a finding of its own (PagerDuty's origin: unknown and
// status: draft) is the person's to complete, as a mapping default is: the
// completed value is kept without a conflict and its finding goes.
func TestSourcePlaceholderIsThePersons(t *testing.T) {
	dir := t.TempDir()
	inc := sampleIncident()
	inc.Fields["origin"], inc.Fields["status"] = "unknown", "draft"
	delete(inc.Fields, "published_at")
	inc.Findings = []Finding{
		{Field: "origin", Value: "unknown", Reason: "not provided by pagerduty: unknown until a person sets it"},
		{Field: "status", Value: "draft", Reason: "pagerduty holds no post-mortem: a draft for the team to complete"},
	}
	src := &listSource{incidents: []Incident{inc}}
	pullInto(t, dir, src, false)
	path := filepath.Join(dir, "PM-2026-001.md")
	first := readFile(t, path)
	for _, want := range []string{"origin: unknown\n", "status: draft\n", "  - field: origin\n", "  - field: status\n"} {
		if !strings.Contains(first, want) {
			t.Fatalf("first pull lacks %q:\n%s", want, first)
		}
	}
	edited := strings.Replace(first, "origin: unknown\n", "origin: code_change\n", 1)
	edited = strings.Replace(edited, "status: draft\n", "status: in_review\n", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := pullInto(t, dir, src, false)
	got := readFile(t, path)
	if len(sum.Conflicts) != 0 {
		t.Errorf("conflicts %v, want none: the placeholders were the person's to complete", sum.Conflicts)
	}
	for _, want := range []string{"origin: code_change\n", "status: in_review\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("after re-pull the file lacks %q:\n%s", want, got)
		}
	}
	for _, gone := range []string{"  - field: origin\n", "  - field: status\n"} {
		if strings.Contains(got, gone) {
			t.Errorf("the completed field's finding %q is still there:\n%s", gone, got)
		}
	}
}
