package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeTaxonomy(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "taxonomy.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCustomTaxonomy checks a taxonomy file replaces the lists it names,
// keeps the defaults of the others, and drives validation.
func TestCustomTaxonomy(t *testing.T) {
	tax, err := LoadTaxonomy(writeTaxonomy(t, "severities: [critical, major, minor]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tax.Severities, ",") != "critical,major,minor" || len(tax.Origins) != len(DefaultTaxonomy().Origins) {
		t.Fatalf("got %+v", tax)
	}
	started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Record{Path: "a.md", Line: 1, ID: "PM-1", Title: "t", Severity: "critical", Team: "a",
		StartedAt: started, DetectedAt: started, Origin: "unknown", Detection: "internal", Status: StatusDraft}
	if res := Check([]*Record{r}, nil, Rules{Taxonomy: tax, Limits: DefaultLimits(), Now: started}); len(res.Problems) != 0 {
		t.Fatalf("a custom severity was rejected: %v", res.Problems)
	}
	r.Severity = "sev1"
	if res := Check([]*Record{r}, nil, Rules{Taxonomy: tax, Limits: DefaultLimits(), Now: started}); len(res.Problems) != 1 || res.Problems[0].Code != CodeInvalidValue {
		t.Fatalf("a default severity outside the custom taxonomy was accepted: %v", res.Problems)
	}
}

func TestBadTaxonomyFiles(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"severity: [a]\n", "field severity not found"},
		{"severities: []\n", "severities: must list at least one value"},
		{"origins: [a, b, a]\n", `origins[2]: "a" listed twice`},
		{"severities: [a\n", "taxonomy"},
		{"detections: [\" pager\"]\n", `detections[0]: " pager" has blanks around it`},
		{"", "empty: give at least one of severities"},
		// A severity is a label value: one that is not UTF-8 breaks every scrape.
		{"severities: [!!binary /w==]\n", `severities[0]: "\xff" is not UTF-8`},
	} {
		_, err := LoadTaxonomy(writeTaxonomy(t, tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.text, err, tc.want)
		}
	}
}
