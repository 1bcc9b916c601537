package snapshot

import (
	"fmt"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestRepeatsAfterTheFix: a repeat of an incident whose items were all
// closed when it started counts as after the fix; one with an item still
// open is the plain repeat; an earlier incident without items, or whose
// item is left out as invalid, is no repeat at all.
func TestRepeatsAfterTheFix(t *testing.T) {
	start := asOf.Add(-20 * time.Hour)
	done := record.ActionItem{ID: "d", Status: record.ItemDone, CreatedAt: start, ClosedAt: start.Add(time.Hour)}
	open := record.ActionItem{ID: "o", Status: record.ItemOpen, CreatedAt: start}
	broken := record.ActionItem{ID: "b", Status: "finished", CreatedAt: start} // an unknown status: field_invalid
	for _, tc := range []struct {
		name            string
		items           []record.ActionItem
		repeat, fixDone int
		list            string
	}{
		{"all closed", []record.ActionItem{done}, 0, 1, "[L>E done]"},
		{"one open", []record.ActionItem{done, open}, 1, 0, "[L>E open]"},
		{"no items", nil, 0, 0, "[]"},
		{"only an invalid item", []record.ActionItem{broken}, 0, 0, "[]"},
	} {
		earlier := incident("E", "a", start, tc.items...)
		later := incident("L", "b", start.Add(5*time.Hour))
		later.Related = []string{"E"}
		earlier.Path, later.Path = "e.md", "l.md"
		s := buildChecked([]*record.Record{earlier, later}, asOf, Options{})
		var list []string
		for _, rp := range s.Repeats {
			list = append(list, fmt.Sprintf("%s>%s %s", rp.Incident, rp.Earlier, map[bool]string{true: "done", false: "open"}[rp.FixDone]))
		}
		if got := s.Windows[0].Incidents[SeverityTeam{"sev2", "b"}].Repeat; got != tc.repeat || s.RepeatsAfterFix[0]["b"] != tc.fixDone || fmt.Sprint(list) != tc.list {
			t.Errorf("%s: repeat %d, after the fix %d, list %v; want %d, %d, %s", tc.name, got, s.RepeatsAfterFix[0]["b"], list, tc.repeat, tc.fixDone, tc.list)
		}
	}
}

// TestRepeatsLimit: the list keeps the latest repeats and counts the rest.
func TestRepeatsLimit(t *testing.T) {
	start := asOf.Add(-23 * time.Hour)
	records := []*record.Record{incident("E", "a", start, record.ActionItem{ID: "o", Status: record.ItemOpen, CreatedAt: start})}
	for i := 1; i <= 4; i++ {
		r := incident(fmt.Sprintf("L%d", i), "a", start.Add(time.Duration(i)*time.Hour))
		r.Related = []string{"E"}
		records = append(records, r)
	}
	s := build(records, Options{RepeatsLimit: 2})
	if len(s.Repeats) != 2 || s.Repeats[0].Incident != "L4" || s.Repeats[1].Incident != "L3" || s.RepeatsDropped != 2 {
		t.Fatalf("listed %+v, dropped %d; want L4 and L3, 2 dropped", s.Repeats, s.RepeatsDropped)
	}
}
