package pull

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// desired is what the source says a record should hold, once mapped.
type desired struct {
	id     string
	fields map[string]*yaml.Node // top-level fields, custom.NAME for custom ones
	items  []desiredItem
	// narrative is the source's body, "" when it has none.
	narrative string
	findings  []Finding
	// placeholders are the fields whose value came with a finding.
	placeholders map[string]bool
}

type desiredItem struct {
	id     string
	fields map[string]*yaml.Node
}

// translator maps one source's incidents with the mapping file.
type translator struct {
	source   string
	mapping  SourceMapping
	taxonomy record.Taxonomy
}

// allowed are the values a mapped field may take, nil for any (team).
func (t translator) allowed(field string) []string {
	switch field {
	case "severity":
		return t.taxonomy.Severities
	case "origin":
		return t.taxonomy.Origins
	case "detection":
		return t.taxonomy.Detections
	case "resolution":
		return t.taxonomy.Resolutions
	case "status":
		return record.ReviewStatuses
	}
	return nil
}

// word maps a source's word for field: the mapping's value, else the
// taxonomy's value it names; ok is false when neither knows it.
func (t translator) word(field, w string) (string, bool) {
	if v, ok := t.mapping.translate(field, w); ok {
		return v, true
	}
	if field == "team" {
		if len(t.mapping.Values["team"]) > 0 {
			return "", false
		}
		return record.NormalName(w), true
	}
	key := strings.NewReplacer(" ", "_", "-", "_").Replace(Fold(w))
	for _, v := range t.allowed(field) {
		if strings.EqualFold(v, key) {
			return v, true
		}
	}
	return "", false
}

// itemStatus maps an action item's status: open, done, wont_do, or the
// words trackers use for them.
func itemStatus(w string) (string, bool) {
	switch strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(Fold(w)) {
	case "open", "todo", "to_do", "in_progress", "outstanding", "pending", "not_started":
		return record.ItemOpen, true
	case "done", "closed", "completed", "complete", "resolved", "fixed":
		return record.ItemDone, true
	case "wont_do", "wontdo", "wont_fix", "cancelled", "canceled", "not_doing", "declined":
		return record.ItemWontDo, true
	}
	return "", false
}

// desire maps an incident into the record it should be.
func (t translator) desire(inc Incident) (*desired, error) {
	d := &desired{id: inc.ID, fields: map[string]*yaml.Node{}, placeholders: map[string]bool{}, narrative: inc.Narrative}
	if d.id == "" {
		d.id = t.source + "-" + sanitizeID(inc.SourceID)
	}
	d.fields["id"] = scalar(d.id)
	d.findings = slices.Clone(inc.Findings)
	for _, f := range inc.Findings {
		if slices.Contains(FieldOrder, f.Field) {
			d.placeholders[f.Field] = true // the pull could not fill it: a person's value is kept
		}
	}
	set := func(field string, v any) error {
		n, err := toNode(v)
		if err != nil {
			return fmt.Errorf("incident %s: %s: %w", inc.SourceID, field, err)
		}
		if n != nil {
			d.fields[field] = n
		}
		return nil
	}
	for _, field := range sortedKeys(inc.Fields) {
		v := inc.Fields[field]
		if field == "title" {
			if s, ok := v.(string); ok {
				v = oneLine(s)
			}
		}
		if w, ok := v.(string); ok && slices.Contains(MappedFields, field) {
			value, known := t.word(field, w)
			if !known {
				d.findings = append(d.findings, Finding{Field: field, SourceField: inc.SourceFields[field], Value: w, Reason: "not in the mapping file"})
				d.placeholders[field] = true
				value = t.mapping.Defaults[field]
			}
			v = value
		}
		if err := set(field, v); err != nil {
			return nil, err
		}
	}
	for _, field := range sortedKeys(t.mapping.Defaults) {
		if _, given := inc.Fields[field]; !given {
			d.findings = append(d.findings, Finding{Field: field, Value: t.mapping.Defaults[field],
				Reason: fmt.Sprintf("not provided by %s: the mapping file's default, until a person completes it", t.source)})
			d.placeholders[field] = true
			d.fields[field] = scalar(t.mapping.Defaults[field])
		}
	}
	if inc.URL != "" {
		if _, ok := d.fields["url"]; !ok {
			d.fields["url"] = scalar(inc.URL)
		}
	}
	for _, name := range sortedKeys(inc.Custom) {
		if inc.Custom[name] != "" {
			d.fields["custom."+name] = scalar(inc.Custom[name])
		}
	}
	ids := map[string]int{}
	for i, it := range inc.Items {
		di, err := t.item(d, i, it)
		if err != nil {
			return nil, fmt.Errorf("incident %s: action item %d: %w", inc.SourceID, i+1, err)
		}
		if ids[di.id]++; ids[di.id] > 1 {
			di.id = fmt.Sprintf("%s-%d", di.id, ids[di.id])
		}
		di.fields["id"] = scalar(di.id)
		d.items = append(d.items, di)
	}
	return d, nil
}

// item maps one action item; its id is the source's, or derived from
// the record's id and the item's source id or title, so re-pulling never
// renumbers items.
func (t translator) item(d *desired, i int, it Item) (desiredItem, error) {
	di := desiredItem{fields: map[string]*yaml.Node{}}
	for _, field := range sortedKeys(it.Fields) {
		v := it.Fields[field]
		switch field {
		case "title":
			if s, ok := v.(string); ok {
				v = oneLine(s)
			}
		case "status":
			if w, ok := v.(string); ok {
				s, known := itemStatus(w)
				if !known {
					d.findings = append(d.findings, Finding{Field: fmt.Sprintf("action_items[%d].status", i), SourceField: it.SourceFields[field], Value: w, Reason: "not an action item status (open, done, wont_do)"})
				}
				v = s
			}
		case "owner":
			if s, ok := v.(string); ok {
				v = record.NormalName(s)
			}
		case "due":
			if day, ok := v.(time.Time); ok && !day.IsZero() {
				di.fields[field] = dateNode(day)
				continue
			}
		}
		n, err := toNode(v)
		if err != nil {
			return di, fmt.Errorf("%s: %w", field, err)
		}
		if n != nil {
			di.fields[field] = n
		}
	}
	if id, ok := it.Fields["id"].(string); ok && id != "" {
		di.id = id
		return di, nil
	}
	basis := it.SourceID
	if basis == "" {
		title, _ := it.Fields["title"].(string)
		basis = Fold(title)
	}
	sum := sha256.Sum256([]byte(basis))
	di.id = d.id + "-" + hex.EncodeToString(sum[:])[:8]
	return di, nil
}

var notInID = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// sanitizeID keeps what an id or a file name may hold.
func sanitizeID(s string) string {
	return strings.Trim(notInID.ReplaceAllString(s, "-"), "-.")
}

// oneLine joins a title's lines and runs of spaces into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
