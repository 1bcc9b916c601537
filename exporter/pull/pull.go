// Package pull converts incidents and post-mortem documents from where
// they are written (incident tools, wikis, exported documents) into record
// files: what a source answers (Source, one package per source under this
// one), the mapping file that turns a source's words into the taxonomy's,
// and the writer that keeps the files byte-stable, keeps what people added
// by hand and never deletes.
package pull

import (
	"context"
	"time"
)

// Source lists the incidents of one incident tool or document store. A
// source package gives one with a constructor of its own settings (base
// URL, token, scope) over an internal/apiclient.Config.
type Source interface {
	// Name is the source's name in the state file, findings and
	// messages: incidentio, pagerduty, confluence, gdocs, document.
	Name() string
	// Pull calls emit for every incident changed since cursor ("" for a
	// full pull), and returns the cursor the next pull starts from. An
	// error means the pull failed and the cursor is not to be advanced;
	// an error emit returns ends the pull with it.
	Pull(ctx context.Context, cursor string, emit func(Incident) error) (next string, err error)
}

// Incident is one incident as its source tells it, before the mapping
// file turns the source's words into the taxonomy's.
type Incident struct {
	// SourceID is the source's own stable id of the incident (or page,
	// or document).
	SourceID string
	// ID is the record id when the source gives one (an "ID" row of a
	// page's properties); empty: derived from SourceID, stably.
	ID string
	// URL is where the incident or its document is shown.
	URL       string
	UpdatedAt time.Time
	// Fields are the record fields the source owns, keyed by the
	// record's field names: times as time.Time, text as string, lists as
	// []string, booleans as bool. A field the mapping translates
	// (severity, team, origin, detection, resolution, status) holds the
	// source's own word.
	Fields map[string]any
	// SourceFields names, for a key of Fields, the source field its value
	// came from ("severity.name", "custom_fields[Root cause type]"), so a
	// finding about it names it.
	SourceFields map[string]string
	// Custom are the source's other fields worth keeping, by their names.
	Custom map[string]string
	// Items are the incident's action items (follow-ups, an action-item
	// table, linked tickets).
	Items []Item
	// Narrative is the post-mortem's body as Markdown; empty when the
	// source has none (the record then starts as a draft).
	Narrative string
	// Skipped, when not empty, says why the incident is not pulled (a
	// test or tutorial incident).
	Skipped string
	// Gone, when not empty, says how the incident left the source
	// (deleted, merged into another): reported, its record is kept.
	Gone string
	// Findings are what the source could not read (a table row with no
	// title, a date it could not parse): written on the record with the
	// mapping's, never dropped. A finding about a field the source fills
	// anyway (PagerDuty's origin: unknown) makes that value a placeholder,
	// the person's to complete without a conflict.
	Findings []Finding
}

// Finding is a value a pull could not turn into a record field: written
// in the record's pull_findings list, which validate reports (rule
// pull_finding) until a person sets the field and removes the entry.
type Finding struct {
	// Field is the record field it is about ("severity",
	// "action_items[2].due").
	Field string `yaml:"field"`
	// SourceField names the source's field ("severity.name", "table row
	// 'Root cause type'"), empty when the source has none.
	SourceField string `yaml:"source_field,omitempty"`
	// Value is the source's value, as it was given.
	Value string `yaml:"value,omitempty"`
	// Reason says what is wrong, in a few words ("not in the mapping
	// file", "not provided by pagerduty").
	Reason string `yaml:"reason"`
}

// Item is one action item as its source tells it.
type Item struct {
	// SourceID is the source's own id of the item (a follow-up's id, a
	// ticket key); empty when it has none (a table row), and then the
	// item's id is derived from the incident's id and its title.
	SourceID string
	// Fields are the item's fields the source owns, keyed by the
	// record's names (title, owner, due, status, closed_at, url), as in
	// Incident.Fields.
	Fields       map[string]any
	SourceFields map[string]string
}
