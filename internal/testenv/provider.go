package testenv

import (
	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// FixedProvider hands the collectors one snapshot and refresh status, for
// tests that gather metrics without a refresh loop.
type FixedProvider struct {
	Snapshot *snapshot.Snapshot
	Status   collectors.RefreshStatus
}

// Current returns the fixed snapshot and status.
func (p FixedProvider) Current() (*snapshot.Snapshot, collectors.RefreshStatus) {
	return p.Snapshot, p.Status
}
