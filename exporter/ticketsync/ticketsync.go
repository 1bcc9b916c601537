// Package ticketsync keeps the last known state of the tickets the action
// items name: a loop of its own reads them from the trackers of the
// trackers file, and every refresh merges them into the items it checked
// (Syncer.Merge), with a tracker_drift finding where record and ticket
// disagree. A tracker that fails keeps its last known states.
package ticketsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// StaleAfter is how many syncs of its tracker an item's ticket may go
// unread before it counts as stale (postmortem_tracker_items_stale).
const StaleAfter = 3

// Constructor makes the client of one tracker: a vendor package's New.
type Constructor func(t trackers.Tracker, token string, api apiclient.Config) (trackers.Client, error)

// Config is what a Syncer runs with.
type Config struct {
	// Path is the trackers file, read again by Reload.
	Path string
	// Lookup reads the variables token_env names.
	Lookup func(string) (string, bool)
	// Clients makes the client of each kind of tracker.
	Clients map[string]Constructor
	// API are the HTTP settings of every tracker's client; Observe is set
	// per tracker, to count its requests.
	API    apiclient.Config
	Logger *slog.Logger
	// Now is the clock (time.Now outside tests).
	Now func() time.Time
}

// Syncer holds the trackers of the file and the last known ticket states.
type Syncer struct {
	cfg Config

	syncing sync.Mutex // one sync at a time
	changed chan struct{}

	mu       sync.Mutex // guards the fields below
	trackers *trackerSet
	// states holds the last state read of each item url's ticket.
	states map[string]state
	// wanted are the item urls of trackers seen by the last Merge.
	wanted map[string]bool
	// health holds each tracker's health by its url: kept across reloads,
	// so that its counters never go down.
	health map[string]*health
}

// trackerSet is one trackers file and its clients, replaced whole by a
// reload.
type trackerSet struct {
	file    trackers.File
	clients []trackers.Client
}

// state is a ticket as last read, with the sync of its tracker that read
// it.
type state struct {
	ticket  trackers.Ticket
	tracker string // the tracker's url
	readAt  int
	// readTime is when it was read: by this syncer, or by the run that
	// stored it (Restore).
	readTime time.Time
}

// health is how one tracker stands.
type health struct {
	up          bool
	lastSuccess time.Time
	syncs       int // syncs that had tickets to read, answered or not
	// until is when the API asked to be called again (a Retry-After
	// beyond what one sync waits): no request is sent before it.
	until    time.Time
	requests map[string]*atomic.Uint64
}

// New reads the trackers file and makes a client per tracker.
func New(cfg Config) (*Syncer, error) {
	s := &Syncer{cfg: cfg, changed: make(chan struct{}, 1), states: map[string]state{}, wanted: map[string]bool{}, health: map[string]*health{}}
	set, err := s.load()
	if err != nil {
		return nil, err
	}
	s.trackers = set
	return s, nil
}

// load reads the trackers file and makes its clients.
func (s *Syncer) load() (*trackerSet, error) {
	file, err := trackers.Load(s.cfg.Path, s.cfg.Lookup)
	if err != nil {
		return nil, err
	}
	set := &trackerSet{file: file}
	var errs []error
	for i, t := range file.Trackers {
		newClient, ok := s.cfg.Clients[t.Kind]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: trackers[%d].kind: %s: this build has no client for it", s.cfg.Path, i, t.Kind))
			continue
		}
		api := s.cfg.API
		api.Observe = s.counter(t.URL)
		c, err := newClient(t, file.Token(i), api)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: trackers[%d] (%s): %w", s.cfg.Path, i, t.URL, err))
			continue
		}
		set.clients = append(set.clients, c)
	}
	return set, errors.Join(errs...)
}

// counter returns the function that counts a request outcome of the
// tracker at url.
func (s *Syncer) counter(url string) func(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.healthOf(url)
	return func(outcome string) {
		if c, ok := h.requests[outcome]; ok {
			c.Add(1)
		}
	}
}

// healthOf returns the health of the tracker at url, made on first use;
// s.mu is held.
func (s *Syncer) healthOf(url string) *health {
	h, ok := s.health[url]
	if !ok {
		h = &health{requests: map[string]*atomic.Uint64{}}
		for _, o := range apiclient.Outcomes {
			h.requests[o] = new(atomic.Uint64)
		}
		s.health[url] = h
	}
	return h
}

// Reload reads the trackers file again: when it or a client fails, the
// error names the file and the current trackers are kept. The next sync
// runs at once.
func (s *Syncer) Reload() error {
	set, err := s.load()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.trackers = set
	s.mu.Unlock()
	s.signal()
	return nil
}

func (s *Syncer) signal() {
	select {
	case s.changed <- struct{}{}:
	default: // a sync is already pending
	}
}

// Merge puts the last known state of each valid record's items' tickets
// into the items (a copy of the record: see record.Result.Amend), with a
// tracker_drift finding for each disagreement, and remembers the item
// urls to sync; new ones start a sync. An item whose url names no ticket
// of a tracker, or whose ticket was never read, keeps the record's state.
func (s *Syncer) Merge(res *record.Result, rules record.Rules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := s.trackers
	wanted := make(map[string]bool, len(s.wanted))
	var amendments []record.Amendment
	for i, r := range res.Valid {
		var a record.Amendment
		for j, item := range r.ActionItems {
			t, ok := set.file.Match(item.URL)
			if item.URL == "" || !ok {
				continue
			}
			if _, ok := set.clients[t].Ref(item.URL); !ok {
				continue // of the tracker's site, but no ticket (a wiki page)
			}
			wanted[item.URL] = true
			st, ok := s.states[item.URL]
			if !ok || st.tracker != set.file.Trackers[t].URL {
				continue
			}
			if a.Record == nil {
				a = record.Amendment{Index: i, Record: r.Clone()}
			}
			merged, drifts := set.file.Apply(item, st.ticket, t)
			a.Record.ActionItems[j] = merged
			for _, d := range drifts {
				a.Findings = append(a.Findings, r.ItemFinding(j, record.RuleTrackerDrift, d.Field, "%s", d.Message))
			}
		}
		if a.Record != nil {
			amendments = append(amendments, a)
		}
	}
	res.Amend(amendments, rules.Quality, rules.CountFindings)
	grew := false
	for url := range wanted {
		if !s.wanted[url] {
			grew = true
			break
		}
	}
	s.wanted = wanted
	if grew {
		s.signal()
	}
}

// Sync reads the tickets of every item url the last Merge saw, each
// tracker at once with the others, and keeps what each answers. A tracker
// that fails keeps its last known states; one that asked to be left alone
// for longer than its client waits (Retry-After, X-RateLimit-Reset) is not
// called before then. The error names every tracker that failed.
func (s *Syncer) Sync(ctx context.Context) error {
	s.syncing.Lock()
	defer s.syncing.Unlock()
	s.mu.Lock()
	set := s.trackers
	refs := make([][]trackers.Ref, len(set.clients))
	for _, url := range sortedKeys(s.wanted) {
		t, ok := set.file.Match(url)
		if !ok {
			continue
		}
		if ref, ok := set.clients[t].Ref(url); ok {
			refs[t] = append(refs[t], ref)
		}
	}
	errs := make([]error, len(refs))
	now := s.cfg.Now()
	for t, tr := range set.file.Trackers {
		if until := s.healthOf(tr.URL).until; now.Before(until) {
			errs[t] = fmt.Errorf("backing off: the API asked for no request before %s", until.UTC().Format(time.RFC3339))
		}
	}
	s.mu.Unlock()

	answers := make([]map[string]trackers.Ticket, len(refs))
	var wg sync.WaitGroup
	for t := range refs {
		if len(refs[t]) == 0 || errs[t] != nil {
			continue
		}
		wg.Go(func() { answers[t], errs[t] = set.clients[t].Tickets(ctx, uniqueKeys(refs[t])) })
	}
	wg.Wait()
	return s.keep(set, refs, answers, errs)
}

// keep stores what one sync read and how each tracker stood.
func (s *Syncer) keep(set *trackerSet, refs [][]trackers.Ref, answers []map[string]trackers.Ticket, errs []error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	var failed []error
	for t, tr := range set.file.Trackers {
		h := s.healthOf(tr.URL)
		if len(refs[t]) == 0 {
			h.up = true // nothing to read, nothing failed
			continue
		}
		h.syncs++
		if errs[t] != nil {
			h.up = false
			var refused *apiclient.StatusError
			if errors.As(errs[t], &refused) && refused.RetryAfter > 0 {
				h.until = now.Add(refused.RetryAfter)
			}
			failed = append(failed, fmt.Errorf("tracker %s: %w", tr.URL, errs[t]))
			s.cfg.Logger.Error("tracker sync failed; serving the last known ticket states", "tracker", tr.URL, "err", errs[t])
			continue
		}
		h.up, h.lastSuccess = true, now
		missing := 0
		for _, ref := range refs[t] {
			ticket, ok := answers[t][ref.Key]
			if !ok {
				missing++
				continue
			}
			s.states[ref.URL] = state{ticket: ticket, tracker: tr.URL, readAt: h.syncs, readTime: now}
		}
		if missing > 0 {
			s.cfg.Logger.Warn("tracker answered without some tickets; keeping their last known states", "tracker", tr.URL, "missing", missing)
		}
	}
	for url := range s.states {
		if !s.wanted[url] {
			delete(s.states, url) // no item names it any more
		}
	}
	return errors.Join(failed...)
}

// Known is the last known state of the ticket an item url names: what
// a store keeps between runs (exporter/postgres/store's tracker_tickets).
type Known struct {
	URL     string // the item's url
	Tracker string // the url of the tracker that read it
	Ticket  trackers.Ticket
	ReadAt  time.Time
}

// Known returns the last known state of every ticket the last Merge's
// items name, sorted by url.
func (s *Syncer) Known() []Known {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Known, 0, len(s.states))
	for _, url := range sortedKeys(s.wanted) {
		if st, ok := s.states[url]; ok {
			out = append(out, Known{URL: url, Tracker: st.tracker, Ticket: st.ticket, ReadAt: st.readTime})
		}
	}
	return out
}

// Restore takes the states a store kept for the item urls the last Merge
// saw that no sync of this syncer has read (its tracker did not answer,
// or left the ticket out), so that the next Merge uses them. A state of
// another tracker than the one the url belongs to now is not taken.
func (s *Syncer) Restore(known []Known) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range known {
		if _, read := s.states[k.URL]; read || !s.wanted[k.URL] {
			continue
		}
		s.states[k.URL] = state{ticket: k.Ticket, tracker: k.Tracker, readTime: k.ReadAt}
	}
}

// Run syncs every interval, at once when a Merge finds item urls not
// synced yet or a Reload changed the trackers, until ctx is done; after
// each sync it calls synced (to refresh the snapshot).
func (s *Syncer) Run(ctx context.Context, interval time.Duration, synced func()) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-s.changed:
		}
		// A sync may take at most the interval: a tracker slower than that
		// counts as down for this round.
		sctx, cancel := context.WithTimeout(ctx, interval)
		_ = s.Sync(sctx) // failures are logged and kept in the health
		cancel()
		synced()
	}
}

// Status is how one tracker stands, published as metrics.
type Status struct {
	Tracker, Kind string
	Up            bool
	LastSuccess   time.Time // zero before the first success
	// Requests counts its requests by outcome (apiclient.Outcomes).
	Requests map[string]uint64
	// Items counts the item urls of its tickets; Stale those whose
	// ticket was not read in its last StaleAfter syncs.
	Items, Stale int
}

// Statuses returns the status of each tracker of the file, in its order.
func (s *Syncer) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	file := s.trackers.file
	out := make([]Status, len(file.Trackers))
	for t, tr := range file.Trackers {
		h := s.healthOf(tr.URL)
		st := Status{Tracker: tr.URL, Kind: tr.Kind, Up: h.up, LastSuccess: h.lastSuccess, Requests: map[string]uint64{}}
		for o, c := range h.requests {
			st.Requests[o] = c.Load()
		}
		for url := range s.wanted {
			if i, ok := file.Match(url); !ok || i != t {
				continue
			}
			st.Items++
			if read, ok := s.states[url]; h.syncs >= StaleAfter && (!ok || h.syncs-read.readAt >= StaleAfter) {
				st.Stale++
			}
		}
		out[t] = st
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// uniqueKeys returns refs with one Ref per ticket key: several items may
// name one ticket.
func uniqueKeys(refs []trackers.Ref) []trackers.Ref {
	out := slices.Clone(refs)
	slices.SortStableFunc(out, func(a, b trackers.Ref) int { return strings.Compare(a.Key, b.Key) })
	return slices.CompactFunc(out, func(a, b trackers.Ref) bool { return a.Key == b.Key })
}
