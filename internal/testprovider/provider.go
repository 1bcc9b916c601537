// Package testprovider hands the collectors a fixed snapshot, for tests
// that gather metrics without a refresh loop.
package testprovider

import (
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Fixed hands the collectors one snapshot and refresh status.
type Fixed struct {
	Snapshot *snapshot.Snapshot
	Status   refresh.Status
}

// Current returns the fixed snapshot and status.
func (p Fixed) Current() (*snapshot.Snapshot, refresh.Status) {
	return p.Snapshot, p.Status
}
