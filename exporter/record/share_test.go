package record

import (
	"slices"
	"testing"
)

// TestShareStrings checks every value from a small set goes through
// canonical and takes its answer, and values of one record (ids, titles)
// do not.
func TestShareStrings(t *testing.T) {
	r := &Record{
		ID: "PM-1", Title: "t", Severity: "sev2", Team: "payments", Services: []string{"checkout", "ledger"},
		Origin: "code_change", Resolution: "rollback", Detection: "automated", Status: "published",
		ActionItems: []ActionItem{{ID: "PM-1-1", Title: "a", Owner: "alice", Team: "payments", Status: "done"}},
	}
	var seen []string
	r.ShareStrings(func(s string) string {
		seen = append(seen, s)
		return "<" + s + ">"
	})
	slices.Sort(seen)
	want := []string{"alice", "automated", "checkout", "code_change", "done", "ledger", "payments", "payments", "published", "rollback", "sev2"}
	if !slices.Equal(seen, want) {
		t.Errorf("canonical saw %q, want %q", seen, want)
	}
	a := r.ActionItems[0]
	if r.Team != "<payments>" || r.Services[1] != "<ledger>" || a.Owner != "<alice>" || a.Status != "<done>" || r.ID != "PM-1" || a.Title != "a" {
		t.Errorf("after ShareStrings: %+v", r)
	}
}
