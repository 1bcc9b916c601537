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
			ws.Custom[CustomValue{key, record.CustomLabel(v)}]++
		}
	}
}

// AddCustom counts n incidents started in the window of index window
// with the value of a configured custom field, for a source that counts
// them itself (PostgreSQL).
func (b *Builder) AddCustom(window int, v CustomValue, n int) {
	b.s.Windows[window].Custom[v] += n
}

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
