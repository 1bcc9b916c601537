// Package refresh keeps the served snapshot fresh: it rebuilds it from the
// source on an interval or on demand and swaps it in atomically, keeping the
// last good one when the source cannot be read. It also holds the
// configuration the records are checked against (the taxonomy and the
// quality rules), which a reload (SIGHUP) replaces as one.
package refresh

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Source builds a snapshot of the post-mortem records as of an instant.
type Source interface {
	// Name is the `source` label: "files" or "postgres".
	Name() string
	// Snapshot reads the records, checks them against cfg's taxonomy and
	// quality rules and aggregates them. Invalid records are reported
	// inside the snapshot; an error means the source itself could not be
	// read.
	Snapshot(ctx context.Context, asOf time.Time, cfg record.Config) (*snapshot.Snapshot, error)
}

// Status is how the refresh loop stands, published as self-metrics.
type Status struct {
	Source       string
	Up           bool          // the last refresh read the source
	LastDuration time.Duration // of the last refresh, successful or not
	LastSuccess  time.Time     // zero before the first success
	Errors       uint64        // failed refreshes since start
	ReloadFailed bool          // the last reload (SIGHUP) was rejected
	ReloadErrors uint64        // rejected reloads since start
}

// Config is what a Refresher runs with.
type Config struct {
	Source Source
	// Rules are the taxonomy and quality rules until the first reload.
	Rules record.Config
	// Load reads the taxonomy and quality rules again on a reload, both
	// checked: an error leaves Rules as they are. nil when there is
	// nothing to reload.
	Load func() (record.Config, error)
	// Timeout bounds each refresh.
	Timeout time.Duration
	// Wake, when set, asks Run for a refresh before the interval ends
	// (after the trackers' tickets were synced).
	Wake   <-chan struct{}
	Logger *slog.Logger
	// Now is the clock (time.Now outside tests).
	Now func() time.Time
}

// Refresher owns the current snapshot, the records' configuration and the
// refresh status.
type Refresher struct {
	cfg Config

	current atomic.Pointer[snapshot.Snapshot]

	mu     sync.Mutex // guards the fields below
	rules  record.Config
	status Status
	// logged holds the problems of the last refresh, so each is logged once
	// and not again on every refresh.
	logged map[string]bool
}

// New returns a Refresher; nothing is read before the first Refresh.
func New(cfg Config) *Refresher {
	return &Refresher{
		cfg:    cfg,
		rules:  cfg.Rules,
		status: Status{Source: cfg.Source.Name()},
		logged: map[string]bool{},
	}
}

// Current returns the snapshot to serve (nil before the first success) and
// the refresh status.
func (r *Refresher) Current() (*snapshot.Snapshot, Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current.Load(), r.status
}

// Ready reports whether a snapshot has been built.
func (r *Refresher) Ready() bool { return r.current.Load() != nil }

// Refresh builds a new snapshot and swaps it in. On error the previous
// snapshot stays and the source is reported down. A snapshot whose
// aggregates cannot be published (see snapshot.CheckHistograms) is an
// error too: a bug or a corrupt rollup must not reach a scrape.
func (r *Refresher) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	r.mu.Lock()
	rules := r.rules
	r.mu.Unlock()
	start := time.Now()
	snap, err := r.cfg.Source.Snapshot(ctx, r.cfg.Now(), rules)
	if err == nil {
		if err = snap.CheckHistograms(); err != nil {
			err = fmt.Errorf("the new snapshot is inconsistent: %w", err)
		}
	}
	elapsed := time.Since(start)

	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.LastDuration = elapsed
	r.status.Up = err == nil
	if err != nil {
		r.status.Errors++
		r.cfg.Logger.Error("refresh failed; serving the last good snapshot", "records_source", r.cfg.Source.Name(), "err", err)
		return err
	}
	previous := r.current.Swap(snap)
	r.status.LastSuccess = r.cfg.Now()
	r.logNewProblems(snap)
	r.logPeriodTeams(previous, snap)
	r.cfg.Logger.Debug("refreshed", "records_source", r.cfg.Source.Name(), "records", snap.Records, "invalid", len(snap.Problems), "duration", elapsed)
	return nil
}

func (r *Refresher) logNewProblems(snap *snapshot.Snapshot) {
	seen := make(map[string]bool, len(snap.Problems))
	for _, p := range snap.Problems {
		key := p.String()
		seen[key] = true
		if !r.logged[key] {
			r.cfg.Logger.Warn("invalid record", "path", p.Path, "line", p.Line, "field", p.Field, "reason", p.Code, "detail", p.Message)
		}
	}
	r.logged = seen
}

// logPeriodTeams says, on the first snapshot with calendar periods and
// whenever it changes, whether the period metrics carry the team: with
// --periods.by-team=auto it changes when the number of teams crosses the
// limit that keeps the series within the budget.
func (r *Refresher) logPeriodTeams(previous, snap *snapshot.Snapshot) {
	if len(snap.Periods) == 0 || previous != nil && len(previous.Periods) > 0 && previous.PeriodsByTeam == snap.PeriodsByTeam {
		return
	}
	msg := "period metrics by team: the trend dashboard narrows by team"
	if !snap.PeriodsByTeam {
		msg = "period metrics summed over the teams: the trend dashboard shows all teams only"
	}
	r.cfg.Logger.Info(msg, "teams", snap.Teams, "auto_teams_limit", snap.PeriodTeamsLimit)
}

// Reload reads the taxonomy and the quality rules again, as one: when
// either does not load, the reload is rejected (the error, which names the
// file, is logged and counted) and both current ones are kept. New ones
// apply from the next refresh.
func (r *Refresher) Reload() error {
	if r.cfg.Load == nil {
		return nil
	}
	rules, err := r.cfg.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status.ReloadFailed = err != nil
	if err != nil {
		r.status.ReloadErrors++
		r.cfg.Logger.Error("reload failed; keeping the current taxonomy, quality rules and trackers", "err", err)
		return err
	}
	r.rules = rules
	tax := rules.Taxonomy
	r.cfg.Logger.Info("taxonomy and quality rules reloaded", "severities", len(tax.Severities), "origins", len(tax.Origins),
		"resolutions", len(tax.Resolutions), "detections", len(tax.Detections), "quality_rules_off", rulesOff(rules.Quality))
	return nil
}

// rulesOff lists the quality rules configured off, for the log.
func rulesOff(q record.Quality) []string {
	var off []string
	for _, name := range record.RuleNames() {
		if q.SeverityOf(name) == record.SeverityOff {
			off = append(off, name)
		}
	}
	return off
}

// Run refreshes at once, then every interval and whenever Config.Wake
// fires, until ctx is done. When
// reload fires (SIGHUP) it reloads the taxonomy and quality rules and
// refreshes at once.
func (r *Refresher) Run(ctx context.Context, interval time.Duration, reload <-chan struct{}) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		_ = r.Refresh(ctx) // failures are logged and counted by Refresh
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-r.cfg.Wake:
		case <-reload:
			r.cfg.Logger.Info("reload requested")
			_ = r.Reload() // failures are logged and counted by Reload
		}
	}
}
