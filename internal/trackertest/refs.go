package trackertest

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
)

// Refs are refs naming keys, for a client whose fake is asked by key.
func Refs(keys ...string) []trackers.Ref {
	refs := make([]trackers.Ref, 0, len(keys))
	for _, k := range keys {
		refs = append(refs, trackers.Ref{Key: k})
	}
	return refs
}

// Day is the start of a due day (2026-05-20), UTC.
func Day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}
