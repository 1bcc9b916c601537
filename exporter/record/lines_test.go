package record

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFieldKeys checks which field paths take a compact entry: a known
// name with at most one list index below 1024, written as the decoder
// writes it.
func TestFieldKeys(t *testing.T) {
	for _, tc := range []struct {
		field string
		ok    bool
	}{
		{"id", true}, {"impact.data_loss", true}, {"services[0]", true}, {"related[1023]", true},
		{"action_items[7]", true}, {"action_items[12].closed_at", true}, {"action_items[2].exception.approver", true},
		{"security_review.outcome", true}, {"learnings[3]", true},
		{"services[1024]", false}, {"services[01]", false}, {"services[+1]", false}, {"services[-1]", false},
		{"services[]", false}, {"services[1", false}, {"services", true}, {"nickname", false}, {"", false},
		{"action_items[1].owner[0]", false}, {"action_items[1].nickname", false}, {"impact.key", false},
	} {
		if _, ok := keyOf(tc.field); ok != tc.ok {
			t.Errorf("keyOf(%q) ok = %v, want %v", tc.field, ok, tc.ok)
		}
	}
	seen := map[fieldKey]string{}
	for _, field := range []string{"id", "services", "services[0]", "services[1]", "related[0]", "action_items[0]", "action_items[0].id", "action_items[1].id"} {
		key, _ := keyOf(field)
		if other, dup := seen[key]; dup {
			t.Errorf("%q and %q have the same key %d", field, other, key)
		}
		seen[key] = field
	}
}

// TestLinesAsAMap checks the compact table answers as the map it replaced
// (field path to line, the latest line winning), on random sequences of
// fields with and without a compact entry, lines too large for one, and
// compactions in between.
func TestLinesAsAMap(t *testing.T) {
	fields := []string{"id", "severity", "services", "impact.failed_requests", "nickname", "services[01]", "a[1].b[2]"}
	for _, i := range []int{0, 1, 2, 1023, 1024, 5000} {
		fields = append(fields, fmt.Sprintf("services[%d]", i), fmt.Sprintf("related[%d]", i),
			fmt.Sprintf("action_items[%d]", i), fmt.Sprintf("action_items[%d].owner", i))
	}
	lines := []int{0, 1, 2, 17, 65535, 65536, 1 << 40, -1}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 500 {
		r := &Record{Line: 1}
		want := map[string]int{}
		for range rng.IntN(40) {
			f, l := fields[rng.IntN(len(fields))], lines[rng.IntN(len(lines))]
			r.SetLine(f, l)
			want[f] = l
			if rng.IntN(10) == 0 {
				r.lines.compact()
			}
		}
		if rng.IntN(2) == 0 {
			r.lines.compact()
		}
		for _, f := range fields {
			l, ok := want[f]
			if got, gotOK := r.lines.get(f); got != l || gotOK != ok {
				t.Fatalf("run %d: line of %q = %d, %v; want %d, %v", run, f, got, gotOK, l, ok)
			}
		}
	}
}

// TestLineOfFallsBack checks an absent field takes its parent's line, and
// a field of nothing the record's own line.
func TestLineOfFallsBack(t *testing.T) {
	r, problems := decodeText(t, baseRecord)
	if len(problems) > 0 || r.Line != 1 {
		t.Fatalf("record on line %d, problems %v", r.Line, problems)
	}
	for field, want := range map[string]int{ // the lines of baseRecord
		"id": 1, "team": 4, "services[0]": 5, "action_items": 15, "action_items[0]": 16, "action_items[0].id": 16,
		"action_items[0].owner": 18, "action_items[0].exception": 16, "url": 1, "nickname": 1,
	} {
		if got := r.LineOf(field); got != want {
			t.Errorf("LineOf(%q) = %d, want %d", field, got, want)
		}
	}
}

// TestLongListsKeepTheirLines checks the lines of a record that holds
// thousands of list entries, and that the decoder leaves its table sorted
// for binary search: the set checks look up a line per related id, which
// a scan of the table would make quadratic.
func TestLongListsKeepTheirLines(t *testing.T) {
	const n = 3000
	var text strings.Builder
	text.WriteString(baseRecord + "related:\n")
	for i := range n {
		fmt.Fprintf(&text, "  - PM-%d\n", i+100)
	}
	r, _ := decodeText(t, text.String())
	if r.lines.unsorted {
		t.Fatal("the decoder left the line table unsorted")
	}
	first := strings.Count(baseRecord, "\n") + 2
	for _, i := range []int{0, 1, 1023, 1024, n - 1} {
		if got, want := r.LineOf(fmt.Sprintf("related[%d]", i)), first+i; got != want {
			t.Errorf("related[%d] on line %d, want %d", i, got, want)
		}
	}
}
