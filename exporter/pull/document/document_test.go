package document

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

var update = flag.Bool("update", false, "rewrite testdata/expected from the pull (then read every change)")

const mappingYAML = `
document:
  severity: {Critical: sev1}
  origin: {Code change: code_change}
  fields:
    Root cause: origin
    Incident lead: moderator
    Incident ID: id
    Customer impact: custom.customer_impact
`

var documents = []string{"testdata/checkout-outage.md", "testdata/gdocs-export.html", "testdata/confluence-storage.xhtml"}

// TestPullDocuments pulls the three kinds of document into records and
// compares them with testdata/expected, whose values were checked by
// hand against the documents: times in UTC (16:02 +02:00 is 14:02Z);
// an item id is the record id and the first 8 hex digits of the sha256
// of the item's folded title, or of its ticket key (printf 'ID-12' |
// sha256sum: 6d427266); "Done" is done and an empty status open; the
// Google Docs "Detected at" has no zone, so it is a finding, not a
// guess; the "Field | Value" header is no field; the escaped pipe stays
// in the custom value; the tables are out of the narrative, the
// timeline table (no owner or due column) in it.
func TestPullDocuments(t *testing.T) {
	m, err := pull.ParseMapping([]byte(mappingYAML))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := &Files{Paths: documents, Mapping: m.For("document")}
	sum, err := pull.Run(context.Background(), src, pull.Options{Dir: dir, Mapping: m.For("document"), Taxonomy: record.DefaultTaxonomy()})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Written != 3 || len(sum.Conflicts) != 0 {
		t.Fatalf("summary %s %v", sum, sum.Conflicts)
	}
	for _, name := range []string{"PM-2026-017.md", "PM-2026-020.md", "document-confluence-storage.md"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "expected", name)
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n%s\nwant:\n%s", name, got, want)
		}
	}
	// Re-pulling changes no byte.
	if sum, err := pull.Run(context.Background(), src, pull.Options{Dir: dir, Mapping: m.For("document"), Taxonomy: record.DefaultTaxonomy()}); err != nil || sum.Unchanged != 3 {
		t.Errorf("re-pull: %v %v", sum, err)
	}
}
