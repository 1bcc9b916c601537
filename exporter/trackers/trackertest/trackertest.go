// Package trackertest holds what the tracker clients' tests share: refs
// by key, times written as the fixtures write them, and the comparison of
// the tickets a client read with the ones worked out by hand.
package trackertest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
)

// Refs are refs naming keys.
func Refs(keys ...string) []trackers.Ref {
	refs := make([]trackers.Ref, 0, len(keys))
	for _, k := range keys {
		refs = append(refs, trackers.Ref{Key: k})
	}
	return refs
}

// At is the instant of an RFC 3339 time, in UTC.
func At(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// Day is the start of a day (2026-05-20), UTC.
func Day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Compare fails t for each ticket of got that is not want's, and for each
// key one of them has and the other has not.
func Compare(t testing.TB, got, want map[string]trackers.Ticket) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s:\n got %+v\nwant %+v", k, got[k], want[k])
		}
	}
}

// Found counts the tickets of got found with status.
func Found(got map[string]trackers.Ticket, status string) int {
	n := 0
	for _, t := range got {
		if t.Outcome == trackers.Found && t.Status == status {
			n++
		}
	}
	return n
}
