// Package refresh keeps the served snapshot fresh: it rebuilds it from the
// source on an interval or on demand and swaps it in atomically, keeping the
// last good one when the source cannot be read.
package refresh

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Source builds a snapshot of the post-mortem records as of an instant.
type Source interface {
	// Name is the `source` label: "files" or "postgres".
	Name() string
	// Snapshot reads the records and aggregates them. Invalid records are
	// reported inside the snapshot; an error means the source itself could
	// not be read.
	Snapshot(ctx context.Context, asOf time.Time) (*snapshot.Snapshot, error)
}

// Refresher owns the current snapshot and the refresh status.
type Refresher struct {
	source  Source
	timeout time.Duration
	logger  *slog.Logger
	now     func() time.Time

	current atomic.Pointer[snapshot.Snapshot]

	mu     sync.Mutex // guards status and logged
	status collectors.RefreshStatus
	// logged holds the problems of the last refresh, so each is logged once
	// and not again on every refresh.
	logged map[string]bool
}

// New returns a Refresher over source. Each refresh may take at most
// timeout. now is the clock (time.Now outside tests).
func New(source Source, timeout time.Duration, logger *slog.Logger, now func() time.Time) *Refresher {
	return &Refresher{
		source:  source,
		timeout: timeout,
		logger:  logger,
		now:     now,
		status:  collectors.RefreshStatus{Source: source.Name()},
		logged:  map[string]bool{},
	}
}

// Current returns the snapshot to serve (nil before the first success) and
// the refresh status.
func (r *Refresher) Current() (*snapshot.Snapshot, collectors.RefreshStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current.Load(), r.status
}

// Ready reports whether a snapshot has been built.
func (r *Refresher) Ready() bool { return r.current.Load() != nil }

// Refresh builds a new snapshot and swaps it in. On error the previous
// snapshot stays and the source is reported down.
func (r *Refresher) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	start := time.Now()
	snap, err := r.source.Snapshot(ctx, r.now())
	elapsed := time.Since(start)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.LastDuration = elapsed
	r.status.Up = err == nil
	if err != nil {
		r.status.Errors++
		r.logger.Error("refresh failed; serving the last good snapshot", "records_source", r.source.Name(), "err", err)
		return err
	}
	r.current.Store(snap)
	r.status.LastSuccess = r.now()
	r.logNewProblems(snap)
	r.logger.Debug("refreshed", "records_source", r.source.Name(), "records", snap.Records, "invalid", len(snap.Problems), "duration", elapsed)
	return nil
}

func (r *Refresher) logNewProblems(snap *snapshot.Snapshot) {
	seen := make(map[string]bool, len(snap.Problems))
	for _, p := range snap.Problems {
		key := p.String()
		seen[key] = true
		if !r.logged[key] {
			r.logger.Warn("invalid record", "path", p.Path, "line", p.Line, "field", p.Field, "reason", p.Code, "detail", p.Message)
		}
	}
	r.logged = seen
}

// Run refreshes at once, then every interval and whenever trigger fires,
// until ctx is done.
func (r *Refresher) Run(ctx context.Context, interval time.Duration, trigger <-chan struct{}) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		_ = r.Refresh(ctx) // failures are logged and counted by Refresh
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-trigger:
			r.logger.Info("refresh requested")
		}
	}
}
