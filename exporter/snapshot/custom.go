package snapshot

import (
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// CustomValue is a value of a configured custom field: the key and value
// labels of postmortem_incidents_by_custom.
type CustomValue struct {
	Key, Value string
}

// countCustom counts r under the value of each configured custom field
// it has; the other fields never reach a label.
func (b *Builder) countCustom(ws *WindowStats, r *record.Record) {
	for _, key := range b.opts.CustomLabels {
		if v, ok := r.Custom[key]; ok {
			b.AddCustom(ws, key, record.CustomLabel(v), 1)
		}
	}
}

// AddCustom counts n incidents started in the window ws with the value
// of a configured custom field; a value longer than a label may be is
// counted under OtherService. A source that counts them itself
// (PostgreSQL) calls it.
func (b *Builder) AddCustom(ws *WindowStats, key, value string, n int) {
	if len(value) > b.opts.labelLimit() {
		value = OtherService
	}
	ws.Custom[CustomValue{key, value}] += n
}

// Window returns the aggregates of the window of index i.
func (b *Builder) Window(i int) *WindowStats { return &b.s.Windows[i] }

// topCustom keeps, for each field, the n values with most incidents and
// sums the rest under OtherService.
func topCustom(counts map[CustomValue]int, n int) map[CustomValue]int {
	byKey := map[string]map[string]int{}
	for k, c := range counts {
		if byKey[k.Key] == nil {
			byKey[k.Key] = map[string]int{}
		}
		byKey[k.Key][k.Value] += c
	}
	out := make(map[CustomValue]int, len(counts))
	for key, values := range byKey {
		for value, c := range topN(values, n) {
			out[CustomValue{key, value}] = c
		}
	}
	return out
}
