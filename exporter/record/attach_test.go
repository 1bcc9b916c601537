package record

import "testing"

// TestAttachFindings checks each record gets the findings of its path,
// and a finding of a path without a record none: the lists are parts of
// one, so an append to one must not overwrite the next record's.
func TestAttachFindings(t *testing.T) {
	a, b, c := &Record{Path: "a.md"}, &Record{Path: "b.md"}, &Record{Path: "d.md"}
	findings := []Problem{{Path: "a.md", Line: 1}, {Path: "a.md", Line: 2}, {Path: "b.md", Line: 3}, {Path: "c.md", Line: 4}}
	attachFindings([]*Record{a, b, c}, findings)
	if len(a.Findings) != 2 || a.Findings[1].Line != 2 || len(b.Findings) != 1 || b.Findings[0].Line != 3 || c.Findings != nil {
		t.Fatalf("a %v, b %v, d %v", a.Findings, b.Findings, c.Findings)
	}
	a.Findings = append(a.Findings, Problem{Path: "a.md", Line: 9})
	if b.Findings[0].Line != 3 || findings[2].Line != 3 {
		t.Errorf("an append to a's findings changed b's: %v", b.Findings)
	}
}
