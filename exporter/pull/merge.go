package pull

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Conflict is a source-owned field a person edited by hand, left as the
// person wrote it.
type Conflict struct {
	File   string
	Field  string
	Reason string
}

func (c Conflict) String() string { return fmt.Sprintf("%s: %s: %s", c.File, c.Field, c.Reason) }

// merger merges what a source says into one record file, keeping what
// people wrote.
type merger struct {
	name      string
	file      *recordFile
	exists    bool
	last      *recordState // nil when the pull never wrote this record
	next      *recordState
	overwrite bool
	changed   bool
	conflicts []Conflict
	// completed are the placeholders a person filled in.
	completed map[string]bool
}

// take decides whether the source's value (canonical s) replaces the
// file's (f) at path, and remembers what is written.
func (m *merger) take(path, f, s, shownF, shownS string) bool {
	last, known := "", false
	if m.last != nil {
		last, known = m.last.Fields[path]
	}
	wasPlaceholder := m.last != nil && slices.Contains(m.last.Placeholders, path)
	switch {
	case f == s:
		m.remember(path, s)
		return false
	case !m.exists, known && f == last, !known && f == "", m.overwrite:
		m.remember(path, s)
		m.changed = true
		return true
	case wasPlaceholder && s == last:
		m.remember(path, last)
		m.completed[path] = true
		return false
	}
	m.conflicts = append(m.conflicts, Conflict{File: m.name, Field: path,
		Reason: fmt.Sprintf("edited by hand (%s); the source says %s: kept (--overwrite takes the source's)", shownF, shownS)})
	if known {
		m.remember(path, last)
	}
	return false
}

func (m *merger) remember(path, v string) { m.next.Fields[path] = v }

// shown is a value for a message: its canonical form, shortened.
func shown(c string) string {
	if c == "" {
		return "no value"
	}
	c = strings.ReplaceAll(c, "\n", " ")
	if r := []rune(c); len(r) > 60 {
		c = string(r[:60]) + "…"
	}
	return c
}

// node merges one field of a mapping (the record's front matter, or an
// item) and returns the node to keep, nil for none.
func (m *merger) node(path string, cur, want *yaml.Node) *yaml.Node {
	f, s := canon(cur), canon(want)
	if m.take(path, f, s, shown(f), shown(s)) {
		return want
	}
	return cur
}

// merge applies d to the file.
func (m *merger) merge(d *desired) {
	m.completed = map[string]bool{}
	paths := map[string]bool{}
	for p := range d.fields {
		paths[p] = true
	}
	for p := range d.placeholders {
		paths[p] = true // remembered empty, so that a person's value is seen as theirs
	}
	if m.last != nil {
		for p := range m.last.Fields {
			if !strings.HasPrefix(p, "action_items[") && p != "narrative" {
				paths[p] = true
			}
		}
	}
	custom := m.file.values["custom"]
	customBroken := custom != nil && custom.Kind != yaml.MappingNode
	if customBroken {
		m.conflicts = append(m.conflicts, Conflict{File: m.name, Field: "custom", Reason: "not a mapping: left as it is"})
	}
	for _, p := range sortedKeys(paths) {
		if name, ok := strings.CutPrefix(p, "custom."); ok {
			if customBroken {
				m.keepLast(p)
				continue
			}
			custom = setIn(custom, name, m.node(p, getIn(custom, name), d.fields[p]))
			continue
		}
		m.file.set(p, m.node(p, m.file.values[p], d.fields[p]))
	}
	if !customBroken {
		if custom != nil && len(custom.Content) == 0 {
			custom = nil
		}
		m.file.set("custom", custom)
	}
	m.items(d)
	if d.narrative != "" {
		body := strings.TrimRight(d.narrative, "\n") + "\n"
		if m.take("narrative", textHash(m.file.body), textHash(body), "the narrative", "another") {
			m.file.body = body
		}
	}
	m.findings(d)
	for p := range d.placeholders {
		m.next.Placeholders = append(m.next.Placeholders, p) // a completed one stays the person's
	}
	slices.Sort(m.next.Placeholders)
}

// findings writes the findings of the fields still unresolved.
func (m *merger) findings(d *desired) {
	var seq *yaml.Node
	for _, f := range d.findings {
		if m.completed[f.Field] {
			continue
		}
		n := &yaml.Node{}
		if err := n.Encode(f); err != nil {
			continue // a Finding of strings always encodes
		}
		if seq == nil {
			seq = &yaml.Node{Kind: yaml.SequenceNode}
		}
		seq.Content = append(seq.Content, n)
	}
	if canon(seq) != canon(m.file.values[FindingsField]) {
		m.changed = true
		m.file.set(FindingsField, seq)
	}
}

// items merges the action items by id: the source's are updated or
// added, a person's are kept, and those the source dropped are removed
// unless a person edited them.
func (m *merger) items(d *desired) {
	seq := m.file.values["action_items"]
	var current []*yaml.Node
	if seq != nil && seq.Kind == yaml.SequenceNode {
		current = seq.Content
	} else if seq != nil {
		m.conflicts = append(m.conflicts, Conflict{File: m.name, Field: "action_items", Reason: "not a list: left as it is"})
		return
	}
	byID := map[string]*yaml.Node{}
	for _, it := range current {
		if id := getIn(it, "id"); id != nil {
			byID[id.Value] = it
		}
	}
	wanted := map[string]bool{}
	var added []*yaml.Node
	for _, di := range d.items {
		wanted[di.id] = true
		prefix := "action_items[" + di.id + "]."
		it, inFile := byID[di.id]
		if !inFile && m.exists && m.lastHasPrefix(prefix) && !m.overwrite {
			m.conflicts = append(m.conflicts, Conflict{File: m.name, Field: "action_items[" + di.id + "]",
				Reason: "removed by hand: not added again (--overwrite adds it)"})
			m.keepLast(prefix)
			continue
		}
		if !inFile {
			it = &yaml.Node{Kind: yaml.MappingNode}
			added = append(added, it)
			m.changed = true
		}
		fields := map[string]bool{}
		for f := range di.fields {
			fields[f] = true
		}
		if m.last != nil {
			for p := range m.last.Fields {
				if f, ok := strings.CutPrefix(p, prefix); ok {
					fields[f] = true
				}
			}
		}
		saved := m.exists
		m.exists = m.exists && inFile
		for _, f := range sortedKeys(fields) {
			it = setIn(it, f, m.node(prefix+f, getIn(it, f), di.fields[f]))
		}
		m.exists = saved
		orderItem(it)
	}
	var kept []*yaml.Node
	for _, it := range current {
		id := getIn(it, "id")
		if id != nil && !wanted[id.Value] && m.lastHasPrefix("action_items["+id.Value+"].") {
			if m.untouched(it, "action_items["+id.Value+"].") {
				m.changed = true
				continue // the source dropped it and nobody edited it
			}
		}
		kept = append(kept, it)
	}
	all := append(kept, added...)
	if len(all) == 0 {
		m.file.set("action_items", nil)
		return
	}
	m.file.set("action_items", &yaml.Node{Kind: yaml.SequenceNode, Content: all})
}

func (m *merger) lastHasPrefix(prefix string) bool {
	if m.last == nil {
		return false
	}
	for p := range m.last.Fields {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// keepLast remembers again what was last written of the paths with
// prefix, for fields left as they are.
func (m *merger) keepLast(prefix string) {
	if m.last == nil {
		return
	}
	for p, v := range m.last.Fields {
		if strings.HasPrefix(p, prefix) {
			m.next.Fields[p] = v
		}
	}
}

// untouched reports whether every field the pull wrote of an item is as
// it wrote it.
func (m *merger) untouched(it *yaml.Node, prefix string) bool {
	for p, v := range m.last.Fields {
		if f, ok := strings.CutPrefix(p, prefix); ok && canon(getIn(it, f)) != v {
			return false
		}
	}
	return true
}

// getIn returns the value of key in mapping n, nil when absent.
func getIn(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// setIn sets key in mapping n (created when nil), removing it for a nil
// value.
func setIn(n *yaml.Node, key string, v *yaml.Node) *yaml.Node {
	if n == nil {
		if v == nil {
			return nil
		}
		n = &yaml.Node{Kind: yaml.MappingNode}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if v == nil {
				n.Content = slices.Delete(n.Content, i, i+2)
			} else {
				n.Content[i+1] = v
			}
			return n
		}
	}
	if v != nil {
		n.Content = append(n.Content, scalar(key), v)
	}
	return n
}

// orderItem puts an item's fields in ItemFieldOrder, others after.
func orderItem(it *yaml.Node) {
	type pair struct{ k, v *yaml.Node }
	var pairs []pair
	for i := 0; i+1 < len(it.Content); i += 2 {
		pairs = append(pairs, pair{it.Content[i], it.Content[i+1]})
	}
	rank := func(k string) int {
		if i := slices.Index(ItemFieldOrder, k); i >= 0 {
			return i
		}
		return len(ItemFieldOrder)
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return rank(a.k.Value) - rank(b.k.Value) })
	it.Content = it.Content[:0]
	for _, p := range pairs {
		it.Content = append(it.Content, p.k, p.v)
	}
}
