package record

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAcknowledgedAt: acknowledged_at is optional, read in RFC 3339 and
// YAML's own timestamp forms, and lies between detected_at (13:10) and
// the first of mitigated_at (13:20) and resolved_at (13:30) of the base
// record; out of that order, in the future or implausibly late it makes
// the record invalid with a problem naming the field.
func TestAcknowledgedAt(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // field and code of every problem
		acked      time.Time
	}{
		{"absent", baseRecord, nil, time.Time{}},
		{"RFC 3339", baseRecord + "acknowledged_at: 2026-11-19T13:12:30Z\n", nil, time.Date(2026, 11, 19, 13, 12, 30, 0, time.UTC)},
		{"YAML form with an offset", baseRecord + "acknowledged_at: 2026-11-19 14:15:00 +01:00\n", nil, time.Date(2026, 11, 19, 13, 15, 0, 0, time.UTC)},
		{"at detection", baseRecord + "acknowledged_at: 2026-11-19T13:10:00Z\n", nil, time.Date(2026, 11, 19, 13, 10, 0, 0, time.UTC)},
		{"at mitigation", baseRecord + "acknowledged_at: 2026-11-19T13:20:00Z\n", nil, time.Date(2026, 11, 19, 13, 20, 0, 0, time.UTC)},
		{"before detection", baseRecord + "acknowledged_at: 2026-11-19T13:09:59Z\n", []string{"acknowledged_at time_order"}, time.Time{}},
		{"after mitigation", baseRecord + "acknowledged_at: 2026-11-19T13:25:00Z\n", []string{"acknowledged_at time_order"}, time.Time{}},
		{"after resolution, not mitigated", strings.Replace(baseRecord, "mitigated_at: 2026-11-19T13:20:00Z\n", "", 1) +
			"acknowledged_at: 2026-11-19T13:31:00Z\n", []string{"acknowledged_at time_order"}, time.Time{}},
		{"unparsable", baseRecord + "acknowledged_at: yesterday\n", []string{"acknowledged_at invalid_timestamp"}, time.Time{}},
		{"in the future", strings.NewReplacer("mitigated_at: 2026-11-19T13:20:00Z\n", "", "resolved_at: 2026-11-19T13:30:00Z\n", "",
			"resolution: rollback\n", "", "status: published\n", "status: draft\n", "published_at: 2026-11-20T10:00:00Z\n", "").Replace(baseRecord) +
			"acknowledged_at: 2026-11-26T00:00:00Z\n", []string{"acknowledged_at implausible_time"}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, res := checkText(t, tc.text, DefaultLimits())
			got := problemFields(modelProblems(res))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", modelProblems(res), tc.want)
			}
			if len(tc.want) > 0 {
				if len(res.Valid) != 0 || res.Problems[0].Line == 0 || res.Problems[0].Path != "pm.yaml" {
					t.Errorf("a bad acknowledged_at left the record valid or the problem unlocated: %v", res.Problems)
				}
				return
			}
			if !r.AcknowledgedAt.Equal(tc.acked) || r.Acknowledged() == tc.acked.IsZero() {
				t.Errorf("acknowledged_at = %v, want %v", r.AcknowledgedAt, tc.acked)
			}
		})
	}
}

// TestCustomFields: custom holds scalars with canonical numbers; a bad
// entry is a field_invalid finding naming custom.<key> and is left out,
// the others and the incident are kept.
func TestCustomFields(t *testing.T) {
	long := strings.Repeat("x", MaxCustomValueLength+1)
	many := "custom:\n"
	for i := range MaxCustomFields + 1 {
		many += "  k" + strings.Repeat("i", i) + ": 1\n"
	}
	for _, tc := range []struct {
		name, text string
		want       map[string]any
		problems   []string
	}{
		{"scalars", "custom:\n  Root cause type: Deploy\n  impact_score: 0x1F\n  ratio: 1.50\n  big: 1e3\n  customer facing: true\n  note: \"two\\nlines\"\n",
			map[string]any{"Root cause type": "Deploy", "impact_score": json.Number("31"), "ratio": json.Number("1.5"),
				"big": json.Number("1000"), "customer facing": true, "note": "two\nlines"}, nil},
		{"a quoted number stays a string", "custom:\n  zone: \"042\"\n", map[string]any{"zone": "042"}, nil},
		{"empty", "custom: {}\n", nil, nil},
		{"not a mapping", "custom: [a, b]\n", nil, []string{"custom malformed"}},
		{"a list value", "custom:\n  ok: 1\n  tags: [a, b]\n", map[string]any{"ok": json.Number("1")}, []string{"custom.tags invalid_value"}},
		{"a NUL in a value", "custom:\n  ok: a\n  bad: \"a\\0b\"\n", map[string]any{"ok": "a"}, []string{"custom.bad invalid_value"}},
		{"a control character in a key", "custom:\n  \"a\\x1bb\": v\n", nil, []string{`custom."a\x1bb" invalid_value`}},
		{"an over-long value", "custom:\n  long: " + long + "\n", nil, []string{"custom.long invalid_value"}},
		{"an over-long key", "custom:\n  " + strings.Repeat("k", MaxCustomKeyLength+1) + ": v\n", nil,
			[]string{"custom." + strings.Repeat("k", MaxCustomKeyLength+1) + " invalid_value"}},
		{"null", "custom:\n  ok: 1\n  none: ~\n", map[string]any{"ok": json.Number("1")}, []string{"custom.none invalid_value"}},
		{"beyond int64", "custom:\n  big: 99999999999999999999\n", map[string]any{"big": json.Number("1e+20")}, nil},
		{"infinity", "custom:\n  inf: .inf\n", nil, []string{"custom.inf invalid_value"}},
		{"too many", many, nil, []string{"custom too_many"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, res := checkText(t, baseRecord+tc.text, DefaultLimits())
			if len(res.Problems) != 0 || len(res.Valid) != 1 {
				t.Fatalf("a custom field made the record invalid: %v", res.Problems)
			}
			if got := problemFields(modelProblems(res)); !slices.Equal(got, tc.problems) {
				t.Errorf("problems %v, want %v", modelProblems(res), tc.problems)
			}
			for _, f := range modelProblems(res) {
				if f.Rule != RuleFieldInvalid || f.Line == 0 {
					t.Errorf("%v is not a located field_invalid finding", f)
				}
			}
			if !maps.Equal(r.Custom, tc.want) || (r.Custom == nil) != (tc.want == nil) {
				t.Errorf("custom = %#v, want %#v", r.Custom, tc.want)
			}
		})
	}
}

// TestCustomJSONRoundTrip: the JSON the report and the database hold
// reads back into the same values, keys sorted.
func TestCustomJSONRoundTrip(t *testing.T) {
	r := &Record{Custom: map[string]any{"b": json.Number("1.5"), "a": "x", "c": true, "d": json.Number("9007199254740993")}}
	text := r.CustomJSON()
	if want := `{"a":"x","b":1.5,"c":true,"d":9007199254740993}`; text != want {
		t.Fatalf("CustomJSON = %s, want %s", text, want)
	}
	back, err := ParseCustomJSON([]byte(text))
	if err != nil || !maps.Equal(back, r.Custom) {
		t.Fatalf("read back %#v, %v; want %#v", back, err, r.Custom)
	}
	// PostgreSQL's jsonb keeps a number's scale (1.50) and writes 1e3 as 1000.
	back, err = ParseCustomJSON([]byte(`{"b": 1.50, "e": 1e3}`))
	if err != nil || !maps.Equal(back, map[string]any{"b": json.Number("1.5"), "e": json.Number("1000")}) {
		t.Fatalf("read back %#v, %v", back, err)
	}
	for _, bad := range []string{`{"a": [1]}`, `{"a": null}`, `[1]`} {
		if _, err := ParseCustomJSON([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
