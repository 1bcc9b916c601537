package files

import (
	"regexp"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

const fields = `id: PM-1
title: t
severity: sev2
team: a
started_at: 2026-01-01T00:00:00Z
detected_at: 2026-01-01T00:10:00Z
origin: unknown
detection: internal
status: draft
`

// TestParseForms checks the file forms users write: front matter with CRLF
// line ends or a byte-order mark, a front matter closing the file, plain
// YAML and JSON.
func TestParseForms(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"unix.md", "---\n" + fields + "---\n# Narrative\n"},
		{"windows.md", "\ufeff---\r\n" + fields + "---\r\nnarrative\r\n"},
		{"closing-at-end.md", "---\n" + fields + "---"},
		{"plain.yaml", fields},
		{"plain.json", `{"id": "PM-1", "title": "t", "severity": "sev2", "team": "a",
	"started_at": "2026-01-01T00:00:00Z", "detected_at": "2026-01-01T00:10:00Z",
	"origin": "unknown", "detection": "internal", "status": "draft"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, problems := Parse(tc.name, []byte(tc.text))
			if len(problems) > 0 || r == nil || r.ID != "PM-1" || r.Team != "a" {
				t.Fatalf("got record %+v, problems %v", r, problems)
			}
		})
	}
}

// TestParseProblems checks what a broken file reports: its line, field and
// reason.
func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       record.Problem
	}{
		{"unclosed.md", "---\n" + fields,
			record.Problem{Line: 1, Field: "front_matter", Code: record.CodeMalformed}},
		{"empty.md", "---\n---\n",
			record.Problem{Line: 2, Field: "front_matter", Code: record.CodeMalformed}},
		{"syntax.md", "---\nid: PM-1\ntitle: a: b\n---\n",
			record.Problem{Line: 3, Field: "front_matter", Code: record.CodeMalformed}},
		{"two-docs.yaml", fields + "---\n" + fields,
			record.Problem{Line: 10, Field: "document", Code: record.CodeMalformed}},
		{"list.json", `[1, 2]`,
			record.Problem{Line: 1, Field: "document", Code: record.CodeMalformed}},
		{"typo.yaml", fields + "mitigatd_at: 2026-01-01T00:20:00Z\n",
			record.Problem{Line: 10, Field: "mitigatd_at", Code: record.CodeUnknownField}},
		{"impact.yaml", fields + "impact:\n  customers_affected: -3\n",
			record.Problem{Line: 11, Field: "impact.customers_affected", Code: record.CodeInvalidValue}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := Parse(tc.name, []byte(tc.text))
			if len(problems) != 1 {
				t.Fatalf("want one problem, got %v", problems)
			}
			got := problems[0]
			if got.Path != tc.name || got.Line != tc.want.Line || got.Field != tc.want.Field || got.Code != tc.want.Code || got.Message == "" {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestConflictMarker checks the scan for a merge conflict finds what the
// regular expression it replaced, (?m)^<<<<<<<( |\r?$), finds: on every
// text of up to five pieces of the marker, a '<' too few or too many, blanks
// and line ends.
func TestConflictMarker(t *testing.T) {
	want := regexp.MustCompile(`(?m)^<<<<<<<( |\r?$)`)
	pieces := []string{"<<<<<<<", "<<<<<<", "<", " ", "\r", "\n", "x"}
	var texts func(prefix string, n int)
	checked := 0
	texts = func(prefix string, n int) {
		at := -1
		if loc := want.FindStringIndex(prefix); loc != nil {
			at = loc[0]
		}
		if got := conflictMarker([]byte(prefix)); got != at {
			t.Fatalf("conflictMarker(%q) = %d, want %d", prefix, got, at)
		}
		checked++
		if n == 0 {
			return
		}
		for _, p := range pieces {
			texts(prefix+p, n-1)
		}
	}
	texts("", 5)
	if checked < 10000 {
		t.Fatalf("only %d texts checked", checked)
	}
}
