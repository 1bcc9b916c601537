package record

import "testing"

// TestVerdicts checks each record gets the findings of its path and the
// items they leave out, and a finding of a path without a record none:
// the lists are parts of one, so an append to one must not overwrite the
// next record's.
func TestVerdicts(t *testing.T) {
	a, b, c := &Record{Path: "a.md"}, &Record{Path: "b.md"}, &Record{Path: "d.md"}
	findings := []Problem{
		{Path: "a.md", Line: 1, Rule: RuleActionItemSize, item: 1}, {Path: "a.md", Line: 2},
		{Path: "b.md", Line: 3, Rule: RuleFieldInvalid, item: 2}, {Path: "c.md", Line: 4},
	}
	got := verdicts([]*Record{a, b, c}, findings)
	va, vb, vc := got[a], got[b], got[c]
	if len(va.Findings) != 2 || va.Findings[1].Line != 2 || len(vb.Findings) != 1 || vb.Findings[0].Line != 3 || vc.Findings != nil {
		t.Fatalf("a %v, b %v, d %v", va.Findings, vb.Findings, vc.Findings)
	}
	// Only a field_invalid finding leaves its item out; b's is its second.
	if !va.ItemCounts(0) || !vb.ItemCounts(0) || vb.ItemCounts(1) {
		t.Errorf("items out: a %v, b %v", va.itemsOut, vb.itemsOut)
	}
	va.Findings = append(va.Findings, Problem{Path: "a.md", Line: 9})
	if vb.Findings[0].Line != 3 || findings[2].Line != 3 {
		t.Errorf("an append to a's findings changed b's: %v", vb.Findings)
	}
}
