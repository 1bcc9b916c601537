// Package document reads a post-mortem document (Markdown, or HTML: a
// Google Docs export, a Confluence page in storage format with its Page
// Properties macro) into a pull.Incident: a key/value table at the top
// gives the fields, an action-item table the items, the rest is the
// narrative. It is the reader of the confluence and gdocs sources, and
// the document source of local files (docs/pull.md).
package document

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
)

// table is a table's cells as plain text, row by row; link holds the
// first link address of each cell ("" for none).
type table struct {
	rows  [][]string
	links [][]string
}

// parsed is what a document's reader found.
type parsed struct {
	properties *table // nil when the document has no key/value table
	actions    []*table
	heading    string // the first top-level heading
	narrative  string
}

var (
	timeFields = []string{"started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "published_at"}
	listFields = []string{"services", "related", "learnings"}
)

// timeLayouts are the forms a time is read in; each has a zone: a time
// without one is a finding, never a guess.
var timeLayouts = []string{
	time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04Z07:00",
	"2006-01-02 15:04:05 Z07:00", "2006-01-02 15:04 Z07:00", "2006-01-02 15:04:05 UTC", "2006-01-02 15:04 UTC",
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	if t, ok := parseTime(s); ok {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

// incident builds the incident of a parsed document.
func (p *parsed) incident(sourceID, fallbackTitle string, sm pull.SourceMapping) pull.Incident {
	inc := pull.Incident{SourceID: sourceID, Fields: map[string]any{}, SourceFields: map[string]string{}, Narrative: p.narrative}
	if p.properties != nil {
		for _, row := range p.properties.rows {
			if len(row) != 2 || strings.TrimSpace(row[0]) == "" || strings.TrimSpace(row[1]) == "" {
				continue
			}
			key, value := strings.TrimSpace(row[0]), strings.TrimSpace(row[1])
			if isHeader(key, value) {
				continue
			}
			field, ok := sm.Field(key)
			if !ok {
				if inc.Custom == nil {
					inc.Custom = map[string]string{}
				}
				inc.Custom[key] = value
				continue
			}
			if name, isCustom := strings.CutPrefix(field, "custom."); isCustom {
				if inc.Custom == nil {
					inc.Custom = map[string]string{}
				}
				inc.Custom[name] = value
				continue
			}
			p.field(&inc, field, key, value)
		}
	}
	if _, ok := inc.Fields["title"]; !ok {
		if title := firstNonEmpty(p.heading, fallbackTitle); title != "" {
			inc.Fields["title"] = title
		}
	}
	for _, t := range p.actions {
		inc.Items = append(inc.Items, items(t, len(inc.Items), &inc)...)
	}
	return inc
}

// isHeader reports whether a key/value row is the table's header
// ("Field | Value").
func isHeader(key, value string) bool {
	switch pull.Fold(key) {
	case "field", "key", "property", "name", "attribute":
		return pull.Fold(value) == "value" || pull.Fold(value) == "details"
	}
	return false
}

// field sets one field of the key/value table, typed as the record has it.
func (p *parsed) field(inc *pull.Incident, field, key, value string) {
	source := fmt.Sprintf("table row %q", key)
	inc.SourceFields[field] = source
	switch {
	case field == "id":
		inc.ID = value
	case slices.Contains(timeFields, field):
		t, ok := parseTime(value)
		if !ok {
			inc.Findings = append(inc.Findings, pull.Finding{Field: field, SourceField: source, Value: value,
				Reason: "not a time with a zone (2026-05-20T14:02:00Z, 2026-05-20 16:02 +02:00)"})
			return
		}
		inc.Fields[field] = t
	case slices.Contains(listFields, field):
		inc.Fields[field] = splitList(value)
	case field == "security_incident":
		switch pull.Fold(value) {
		case "yes", "true", "y":
			inc.Fields[field] = true
		case "no", "false", "n":
			inc.Fields[field] = false
		default:
			inc.Findings = append(inc.Findings, pull.Finding{Field: field, SourceField: source, Value: value, Reason: "not yes or no"})
		}
	case field == "action_items", field == "impact", field == "security_review", field == "custom", field == pull.FindingsField:
		inc.Findings = append(inc.Findings, pull.Finding{Field: field, SourceField: source, Value: value, Reason: "a table row cannot give this field"})
	default:
		inc.Fields[field] = value
	}
}

// splitList splits a cell's list on commas, semicolons and line ends.
func splitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// Column names of an action-item table, compared folded.
var itemColumns = map[string][]string{
	"title":  {"action item", "action items", "action", "item", "title", "task", "description", "follow-up", "follow up", "what"},
	"owner":  {"owner", "assignee", "assigned to", "who", "responsible"},
	"due":    {"due", "due date", "deadline", "due on", "by when", "date"},
	"status": {"status", "state", "done"},
	"id":     {"id", "key", "ticket", "jira", "issue"},
	"url":    {"link", "url"},
}

// columns maps an action-item table's columns to item fields; ok is
// false when the header does not name the item, its owner and its due
// date.
func columns(header []string) (map[int]string, bool) {
	cols := map[int]string{}
	found := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSuffix(pull.Fold(h), ":")
		for field, names := range itemColumns {
			if slices.Contains(names, h) && !found[field] {
				cols[i], found[field] = field, true
			}
		}
	}
	return cols, found["title"] && found["owner"] && found["due"]
}

// isActionTable reports whether t's header names the item, its owner and
// its due date.
func isActionTable(t *table) bool {
	if len(t.rows) == 0 {
		return false
	}
	_, ok := columns(t.rows[0])
	return ok
}

// items reads an action-item table's rows; an item with no status is
// open, one with no id gets one derived from the incident's id and its
// title (pull does that).
func items(t *table, before int, inc *pull.Incident) []pull.Item {
	cols, _ := columns(t.rows[0])
	var out []pull.Item
	for r, row := range t.rows[1:] {
		it := pull.Item{Fields: map[string]any{}, SourceFields: map[string]string{}}
		for i, cell := range row {
			field, ok := cols[i]
			cell = strings.TrimSpace(cell)
			if !ok || cell == "" {
				continue
			}
			source := fmt.Sprintf("action table row %d, column %q", r+1, strings.TrimSpace(t.rows[0][i]))
			it.SourceFields[field] = source
			switch field {
			case "id":
				it.SourceID = cell
			case "due":
				day, ok := parseDay(cell)
				if !ok {
					inc.Findings = append(inc.Findings, pull.Finding{Field: fmt.Sprintf("action_items[%d].due", before+len(out)),
						SourceField: source, Value: cell, Reason: "not a date (2026-06-07)"})
					continue
				}
				it.Fields[field] = day
			default:
				it.Fields[field] = cell
			}
			if field != "url" && t.links != nil && r+1 < len(t.links) && i < len(t.links[r+1]) && t.links[r+1][i] != "" {
				if _, set := it.Fields["url"]; !set {
					it.Fields["url"] = t.links[r+1][i]
				}
			}
		}
		if title, _ := it.Fields["title"].(string); title == "" {
			continue // an empty row
		}
		if _, ok := it.Fields["status"]; !ok {
			it.Fields["status"] = "open"
		}
		out = append(out, it)
	}
	return out
}
