package snapshot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestTopCustomValues: each configured field keeps its top values by count
// (ties by name), the rest and any value longer than a label may be summed
// as "other"; a field not configured, or absent from a record, counts
// nothing. Five incidents: cause Deploy ×2, Config, Capacity and one
// 300-byte cause; paged true ×3; the field "note" is not configured.
func TestTopCustomValues(t *testing.T) {
	causes := []any{"Deploy", "Config", "Deploy", "Capacity", strings.Repeat("x", 300)}
	var records []*record.Record
	for i, cause := range causes {
		r := incident(fmt.Sprintf("PM-%d", i), "a", asOf.Add(-time.Hour))
		r.Custom = map[string]any{"cause": cause, "note": "n"}
		if i < 3 {
			r.Custom["paged"] = true
		}
		records = append(records, r)
	}
	records[1].Custom["score"] = json.Number("1.5")
	got := build(records, Options{CustomLabels: []string{"cause", "paged", "score", "absent"}, TopCustomValues: 2}).Windows[0].Custom
	// Deploy (2) then Capacity (1, before Config by name); Config and the
	// long value are "other".
	want := map[CustomValue]int{
		{"cause", "Deploy"}: 2, {"cause", "Capacity"}: 1, {"cause", OtherService}: 2,
		{"paged", "true"}: 3, {"score", "1.5"}: 1,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("custom = %v, want %v", got, want)
	}
}
