package record

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// testNow is the clock of these tests: after every time the records hold.
var testNow = time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC)

// baseRecord is a valid record whose fields the tests replace one by one
// (replaceField): every timestamp field is present, each on its own line.
const baseRecord = `id: PM-1
title: t
severity: sev2
team: payments
services: [checkout]
started_at: 2026-11-19T13:00:00Z
detected_at: 2026-11-19T13:10:00Z
mitigated_at: 2026-11-19T13:20:00Z
resolved_at: 2026-11-19T13:30:00Z
origin: code_change
resolution: rollback
detection: automated
status: published
published_at: 2026-11-20T10:00:00Z
action_items:
  - id: PM-1-1
    title: a
    owner: alice
    created_at: 2026-11-20T10:00:00Z
    due: 2026-11-30
    status: done
    closed_at: 2026-11-21T10:00:00Z
`

// replaceField replaces the value of the one line that sets field.
func replaceField(t *testing.T, text, field, value string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	n := 0
	for i, l := range lines {
		if key, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && key == field {
			indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
			lines[i] = indent + field + ": " + value
			n++
		}
	}
	if n != 1 {
		t.Fatalf("field %s is on %d lines of the record", field, n)
	}
	return strings.Join(lines, "\n")
}

// decodeText decodes a YAML or JSON record from pm.yaml.
func decodeText(t *testing.T, text string) (*Record, []Problem) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("%v in\n%s", err, text)
	}
	return Decode(&doc, "pm.yaml", 0)
}

// checkText decodes a record and checks it with the given limits as of
// testNow.
func checkText(t *testing.T, text string, lim Limits) (*Record, Result) {
	t.Helper()
	r, problems := decodeText(t, text)
	return r, Check([]*Record{r}, problems, Rules{Taxonomy: DefaultTaxonomy(), Limits: lim, Now: testNow})
}

// TestYAMLTimestampForms writes each form of timestamp YAML allows in
// every timestamp field: the record stays valid and the field holds the
// instant it names.
func TestYAMLTimestampForms(t *testing.T) {
	if _, res := checkText(t, baseRecord, DefaultLimits()); len(res.Problems) != 0 {
		t.Fatalf("the base record is invalid: %v", res.Problems)
	}
	// Every form below names 2026-11-19 13:53 UTC (plus the fraction).
	forms := []struct {
		text string
		want time.Time
	}{
		{"2026-11-19T13:53:00Z", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},
		{"2026-11-19 13:53:00Z", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},
		{"2026-11-19 13:53:00 Z", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},
		{"2026-11-19t13:53:00z", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},
		{"2026-11-19\t13:53:00Z", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},
		{"2026-11-19 14:53:00 +01:00", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},                      // 14:53 at +1 is 13:53 UTC
		{"2026-11-19 14:53:00+01:00", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},                       // the same, no blank
		{"2026-11-19 8:53:00 -5", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},                           // 8:53 at −5 is 13:53 UTC
		{"2026-11-19 08:23:00 -05:30", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},                      // 8:23 + 5:30
		{"2026-11-19T13:53:00.25Z", time.Date(2026, 11, 19, 13, 53, 0, 250_000_000, time.UTC)},               // .25 s
		{"2026-11-19 13:53:00. Z", time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},                          // YAML allows an empty fraction
		{"2026-11-19 13:53:00.1234567891 +00:00", time.Date(2026, 11, 19, 13, 53, 0, 123_456_789, time.UTC)}, // beyond ns dropped
		{"2026-11-9T13:53:00Z", time.Date(2026, 11, 9, 13, 53, 0, 0, time.UTC)},                              // one-digit day (YAML 1.1)
		{`"2026-11-19 13:53:00Z"`, time.Date(2026, 11, 19, 13, 53, 0, 0, time.UTC)},                          // quoted
	}
	fields := []string{"started_at", "detected_at", "mitigated_at", "resolved_at", "published_at", "created_at", "closed_at"}
	for _, form := range forms {
		for _, field := range fields {
			// Keep the times in order: move the others to the same instant.
			text := baseRecord
			for _, other := range fields {
				text = replaceField(t, text, other, form.want.Format(time.RFC3339Nano))
			}
			text = replaceField(t, text, field, form.text)
			r, res := checkText(t, text, DefaultLimits())
			if len(res.Problems) != 0 {
				t.Errorf("%s: %s: %v", field, form.text, res.Problems)
				continue
			}
			got := map[string]time.Time{
				"started_at": r.StartedAt, "detected_at": r.DetectedAt, "mitigated_at": r.MitigatedAt, "resolved_at": r.ResolvedAt,
				"published_at": r.PublishedAt, "created_at": r.ActionItems[0].CreatedAt, "closed_at": r.ActionItems[0].ClosedAt,
			}[field]
			if !got.Equal(form.want) {
				t.Errorf("%s: %s: got %s, want %s", field, form.text, got.Format(time.RFC3339Nano), form.want.Format(time.RFC3339Nano))
			}
		}
	}
}

// TestDueTimestampForms: a due day may be a date or any accepted
// timestamp, whose UTC day is taken.
func TestDueTimestampForms(t *testing.T) {
	for _, tc := range []struct {
		text string
		want time.Time
	}{
		{"2026-11-30", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"2026-11-30T10:00:00Z", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"2026-11-30 10:00:00Z", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"2026-11-30 23:00:00 -05:00", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, // 04:00 UTC the next day
	} {
		r, res := checkText(t, replaceField(t, baseRecord, "due", tc.text), DefaultLimits())
		if len(res.Problems) != 0 || !r.ActionItems[0].Due.Equal(tc.want) {
			t.Errorf("due %s: got %s, problems %v; want %s", tc.text, r.ActionItems[0].Due, res.Problems, tc.want.Format(time.DateOnly))
		}
	}
}

// TestJSONTimestampForms: a JSON record's strings are read the same way.
func TestJSONTimestampForms(t *testing.T) {
	text := `{"id": "PM-1", "title": "t", "severity": "sev2", "team": "payments",
	  "started_at": "2026-11-19 14:53:00 +01:00", "detected_at": "2026-11-19t13:55:00z",
	  "origin": "code_change", "detection": "automated", "status": "draft"}`
	r, res := checkText(t, text, DefaultLimits())
	if len(res.Problems) != 0 {
		t.Fatal(res.Problems)
	}
	// 14:53 at +01:00 is 13:53 UTC: detected two minutes later.
	if r.TimeToDetect() != 120 {
		t.Errorf("time to detect = %gs, want 120s", r.TimeToDetect())
	}
}

// TestRejectedTimestamps: what is not a timestamp with a zone is an error
// naming the field, and one without a zone says how to add it.
func TestRejectedTimestamps(t *testing.T) {
	for _, tc := range []struct{ field, text, want string }{
		{"started_at", "2026-11-19 13:00:00", `has no time zone, so its instant is unknown: add Z for UTC or the offset it was written in, e.g. 2026-11-19 13:00:00+02:00 or 2026-11-19 13:00:00Z`},
		{"resolved_at", "2026-11-19T13:30:00", "has no time zone"},
		{"closed_at", "2026-11-21 10:00:00.5", "has no time zone"},
		{"started_at", "2026-11-19", "is a date without a time of day"},
		{"resolved_at", "2026-11-19 13:30:00 -0500", "is not a timestamp"}, // YAML's offsets have a colon or hours only
		{"resolved_at", "2026-02-30T13:30:00Z", "day 30 out of range for 2026-02"},
		{"resolved_at", "2026-13-01T13:30:00Z", "month 13 out of range"},
		{"resolved_at", "2026-11-19T24:00:00Z", "hour 24 out of range"},
		{"resolved_at", "2026-11-19T13:60:00Z", "minute 60 out of range"},
		{"resolved_at", "2026-11-19T13:30:60Z", "second 60 out of range"},
		{"resolved_at", "2026-11-19T13:30:00+24:00", "time zone +24:00 out of range"},
		{"resolved_at", "19/11/2026 13:30", "is not a timestamp"},
		{"resolved_at", "[2026-11-19T13:30:00Z]", "expected a timestamp"},
		{"due", "2026-11-30 10:00:00", "expected a date like 2026-05-31 or a timestamp with a time zone"},
		{"due", "30.11.2026", "expected a date"},
	} {
		_, res := checkText(t, replaceField(t, baseRecord, tc.field, tc.text), DefaultLimits())
		field := tc.field
		if field == "closed_at" || field == "due" {
			field = "action_items[0]." + field
		}
		all := modelProblems(res)
		if len(all) != 1 || all[0].Field != field || all[0].Code != CodeInvalidTimestamp ||
			!strings.Contains(all[0].Message, tc.want) {
			t.Errorf("%s: %s: got %v, want one invalid_timestamp problem saying %q", tc.field, tc.text, all, tc.want)
		}
	}
}
