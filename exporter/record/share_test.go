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
		Moderator: "mo", BarRaiser: "bea", Learnings: []string{"a lesson"}, SecurityReview: &SecurityReview{By: "sec", Outcome: "no_breach"},
		ActionItems: []ActionItem{{ID: "PM-1-1", Title: "a", Owner: "alice", Team: "payments", Status: "done", ExceptionApprover: "lead"}},
	}
	var seen []string
	r.ShareStrings(func(s string) string {
		seen = append(seen, s)
		return "<" + s + ">"
	})
	slices.Sort(seen)
	want := []string{"alice", "automated", "bea", "checkout", "code_change", "done", "lead", "ledger", "mo", "no_breach", "payments", "payments", "published", "rollback", "sec", "sev2"}
	if !slices.Equal(seen, want) {
		t.Errorf("canonical saw %q, want %q", seen, want)
	}
	a := r.ActionItems[0]
	if r.Team != "<payments>" || r.Services[1] != "<ledger>" || a.Owner != "<alice>" || a.Status != "<done>" || r.SecurityReview.By != "<sec>" || r.ID != "PM-1" || a.Title != "a" || r.Learnings[0] != "a lesson" {
		t.Errorf("after ShareStrings: %+v", r)
	}
}
