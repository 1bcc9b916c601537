package record

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// lineTable holds the line each field of a record was written on, for the
// messages of its problems. A record with five action items has about 60
// fields and a folder may hold 100,000 records, so the table is compact: a
// field path made of a known field name with at most one list index below
// 1024 ("action_items[3].owner" is "action_items[].owner" at index 3),
// written on a line up to 65535, takes 4 bytes, without its text. Any other
// field (a longer list, a line further down) is kept in a map, as it is
// written.
type lineTable struct {
	entries []fieldLine
	// unsorted is set when entries are not in increasing key order, each
	// key once; compact sorts them again.
	unsorted bool
	// other holds the fields that have no key, and the lines too large for
	// an entry; nil until one comes.
	other map[string]int
}

// fieldLine is the line of the field whose key is key.
type fieldLine struct {
	key  fieldKey
	line uint16
}

// fieldKey is a known field name (its place in fieldNames, below 64,
// shifted left 10 bits) and a list index below 1024 (the low 10 bits).
type fieldKey uint16

// indexBits is the width of the list index in a fieldKey.
const indexBits = 10

// fieldNames are the field paths that take an entry, with "[]" in place of
// a list index: those the decoder sets a line for.
var fieldNames = func() []string {
	names := slices.Clone(recordFields)
	for _, f := range impactFields {
		names = append(names, "impact."+f)
	}
	for _, f := range securityReviewFields {
		names = append(names, "security_review."+f)
	}
	names = append(names, "services[]", "related[]", "learnings[]", "action_items[]")
	for _, f := range itemFields {
		names = append(names, "action_items[]."+f)
	}
	for _, f := range exceptionFields {
		names = append(names, "action_items[].exception."+f)
	}
	return names
}()

// fieldIDs is the place of each name in fieldNames that fits a key; read
// only.
var fieldIDs = func() map[string]fieldKey {
	ids := make(map[string]fieldKey, len(fieldNames))
	for i, name := range fieldNames[:min(len(fieldNames), 1<<(16-indexBits))] {
		ids[name] = fieldKey(i)
	}
	return ids
}()

// maxFieldName is the longest name in fieldNames, "[]" included.
var maxFieldName = len(slices.MaxFunc(fieldNames, func(a, b string) int { return cmp.Compare(len(a), len(b)) }))

// keyOf returns the key of a field path, and false for a path that has
// none: an unknown name, more than one list index, or an index of 1024 or
// more.
func keyOf(field string) (fieldKey, bool) {
	open := strings.IndexByte(field, '[')
	if open < 0 {
		id, ok := fieldIDs[field]
		return id << indexBits, ok
	}
	length := strings.IndexByte(field[open:], ']')
	if length < 2 || len(field)-length+1 > maxFieldName {
		return 0, false
	}
	digits, rest := field[open+1:open+length], field[open+length+1:]
	index, err := strconv.ParseUint(digits, 10, 16)
	if err != nil || index >= 1<<indexBits || strconv.FormatUint(index, 10) != digits { // "[+1]", "[01]" name other fields
		return 0, false
	}
	// The name with "[]", built on the stack: looking a []byte up as a
	// string allocates nothing.
	var buf [64]byte
	name := append(append(append(buf[:0], field[:open]...), "[]"...), rest...)
	id, ok := fieldIDs[string(name)]
	return id<<indexBits | fieldKey(index), ok
}

// set records the line of field. A later line for the same field replaces
// the earlier one.
func (t *lineTable) set(field string, line int) {
	key, ok := keyOf(field)
	if !ok || line < 0 || line > math.MaxUint16 {
		if t.other == nil {
			t.other = map[string]int{}
		}
		t.other[field] = line
		return
	}
	if t.other != nil {
		delete(t.other, field)
	}
	if n := len(t.entries); n > 0 && t.entries[n-1].key >= key {
		t.unsorted = true
	}
	t.entries = append(t.entries, fieldLine{key, uint16(line)})
}

// get returns the line of field, and whether it was set.
func (t *lineTable) get(field string) (int, bool) {
	if l, ok := t.other[field]; ok {
		return l, true
	}
	key, ok := keyOf(field)
	if !ok {
		return 0, false
	}
	if t.unsorted {
		for i := len(t.entries) - 1; i >= 0; i-- { // the latest line wins
			if t.entries[i].key == key {
				return int(t.entries[i].line), true
			}
		}
		return 0, false
	}
	i, found := slices.BinarySearchFunc(t.entries, key, func(e fieldLine, k fieldKey) int { return cmp.Compare(e.key, k) })
	if !found {
		return 0, false
	}
	return int(t.entries[i].line), true
}

// compact sorts the entries by key, keeps the latest line of each field,
// and frees the room left for more: lookups are then binary searches,
// which a record holding a list of thousands needs.
func (t *lineTable) compact() {
	if t.unsorted {
		slices.SortStableFunc(t.entries, func(a, b fieldLine) int { return cmp.Compare(a.key, b.key) })
		// Of equal keys, the stable sort leaves the latest last: keep it.
		kept := t.entries[:0]
		for i, e := range t.entries {
			if i+1 < len(t.entries) && t.entries[i+1].key == e.key {
				continue
			}
			kept = append(kept, e)
		}
		t.entries, t.unsorted = kept, false
	}
	if cap(t.entries) > len(t.entries) {
		t.entries = slices.Clone(t.entries)
	}
}

// LineOf returns the line a field was written on. For an absent field it
// falls back to its parent (an action item), then to the record's own line.
func (r *Record) LineOf(field string) int {
	for {
		if l, ok := r.lines.get(field); ok {
			return l
		}
		i := strings.LastIndexByte(field, '.')
		if i < 0 {
			return r.Line
		}
		field = field[:i]
	}
}

// SetLine records the line a field was written on.
func (r *Record) SetLine(field string, line int) { r.lines.set(field, line) }

// wrote reports whether the record has a line for field: the field was
// written, even if its value could not be read.
func (r *Record) wrote(field string) bool {
	_, ok := r.lines.get(field)
	return ok
}
