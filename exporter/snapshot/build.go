package snapshot

import (
	"cmp"
	"container/heap"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Options shape a snapshot.
type Options struct {
	Windows           []Window
	Severities        []string
	TopServices       int // services beyond this many are summed as "other"
	OverdueItemsLimit int // overdue items beyond this many are only counted
}

// FromRecords aggregates checked records as of an instant. Every figure is
// computed as it stood at asOf, so a past instant gives the history.
func FromRecords(source string, res record.Result, asOf time.Time, opts Options) *Snapshot {
	byID := make(map[string]*record.Record, len(res.Valid))
	for _, r := range res.Valid {
		byID[r.ID] = r
	}
	b := NewBuilder(source, asOf, opts)
	for _, r := range res.Valid {
		b.Add(r, IsRepeat(r, byID))
	}
	for _, r := range res.Invalid {
		b.AddInvalid(r)
	}
	b.AddProblems(res.Problems...)
	return b.Snapshot()
}

// Builder aggregates records one at a time, so a source can stream them
// instead of holding them all.
type Builder struct {
	s        *Snapshot
	opts     Options
	overdue  overdueHeap
	dropped  int
	services []map[string]int // per window
}

// NewBuilder starts an empty snapshot as of asOf.
func NewBuilder(source string, asOf time.Time, opts Options) *Builder {
	b := &Builder{
		opts: opts,
		s: &Snapshot{
			Source:         source,
			AsOf:           asOf,
			Severities:     opts.Severities,
			OpenIncidents:  map[SeverityTeam]int{},
			ActionItems:    map[TeamStatus]int{},
			OverdueByTeam:  map[string]int{},
			UnownedByTeam:  map[string]int{},
			Exceptions:     map[TeamStatus]int{},
			ReviewsPending: map[TeamStatus]PendingReviews{},
			Invalid:        map[record.Code]int{},
		},
	}
	for _, w := range opts.Windows {
		b.s.Windows = append(b.s.Windows, newWindowStats(w))
		b.services = append(b.services, map[string]int{})
	}
	return b
}

// Add counts a valid record; repeat tells whether it repeats an earlier
// incident (see IsRepeat).
func (b *Builder) Add(r *record.Record, repeat bool) {
	b.s.Records++
	for i := range b.s.Windows {
		b.s.Windows[i].add(r, b.s.AsOf, repeat, b.services[i])
	}
	if r.StartedAt.After(b.s.AsOf) {
		return
	}
	b.s.addIncidentState(r)
	for _, it := range b.s.addActionItems(r) {
		b.keepOverdue(it)
	}
}

// keepOverdue keeps the limit most overdue items seen so far and counts
// the rest, so memory stays bounded by the limit.
func (b *Builder) keepOverdue(it OverdueItem) {
	switch {
	case len(b.overdue) < b.opts.OverdueItemsLimit:
		heap.Push(&b.overdue, it)
		return
	case len(b.overdue) > 0 && moreOverdue(it, b.overdue[0]):
		b.overdue[0] = it
		heap.Fix(&b.overdue, 0)
	}
	b.dropped++
}

// AddInvalid counts what an invalid record still tells: its open items
// without an owner.
func (b *Builder) AddInvalid(r *record.Record) {
	for _, a := range r.ActionItems {
		if a.Owner == "" && a.Status != record.ItemDone && a.Status != record.ItemWontDo {
			b.s.UnownedByTeam[a.Team]++
		}
	}
}

// AddProblems records why records are invalid.
func (b *Builder) AddProblems(problems ...record.Problem) {
	b.s.Problems = append(b.s.Problems, problems...)
}

// Snapshot finishes the aggregates and returns the snapshot.
func (b *Builder) Snapshot() *Snapshot {
	s := b.s
	s.Invalid = countInvalid(s.Problems)
	s.OverdueItems, s.OverdueItemsDropped = b.overdue, b.dropped
	slices.SortFunc(s.OverdueItems, func(a, b OverdueItem) int {
		if moreOverdue(a, b) {
			return -1
		}
		return 1
	})
	// Every team with action items has an overdue and an unowned series,
	// 0 included, so a team's series does not come and go.
	for k := range s.ActionItems {
		s.OverdueByTeam[k.Team] += 0
		s.UnownedByTeam[k.Team] += 0
	}
	for i := range s.Windows {
		s.Windows[i].Services = topN(b.services[i], b.opts.TopServices)
	}
	fillWindowKeys(s.Windows)
	return s
}

// addIncidentState counts what is open and pending as of AsOf.
func (s *Snapshot) addIncidentState(r *record.Record) {
	resolved := r.Resolved() && !r.ResolvedAt.After(s.AsOf)
	if !resolved {
		s.OpenIncidents[SeverityTeam{r.Severity, r.Team}]++
	}
	if r.Status == record.StatusPublished && !r.PublishedAt.After(s.AsOf) {
		return
	}
	status := r.Status
	if status == record.StatusPublished {
		status = record.StatusInReview // published later than AsOf
	}
	key := TeamStatus{r.Team, status}
	p := s.ReviewsPending[key]
	p.Count++
	if resolved && (p.OldestResolved.IsZero() || r.ResolvedAt.Before(p.OldestResolved)) {
		p.OldestResolved = r.ResolvedAt
	}
	s.ReviewsPending[key] = p
}

// addActionItems counts the record's items by their status as of AsOf and
// returns the overdue ones.
func (s *Snapshot) addActionItems(r *record.Record) []OverdueItem {
	var overdue []OverdueItem
	for _, a := range r.ActionItems {
		if a.CreatedAt.After(s.AsOf) {
			continue
		}
		status := a.Status
		if a.OpenAt(s.AsOf) {
			status = record.ItemOpen
		}
		s.ActionItems[TeamStatus{a.Team, status}]++
		if a.Exception != "" {
			s.Exceptions[TeamStatus{a.Team, status}]++
		}
		if status == record.ItemOpen && s.AsOf.After(a.OverdueAt()) {
			s.OverdueByTeam[a.Team]++
			overdue = append(overdue, OverdueItem{
				ID: a.ID, Incident: r.ID, Owner: a.Owner, Team: a.Team, Severity: r.Severity,
				Overdue: s.AsOf.Sub(a.OverdueAt()), Due: a.Due, URL: a.URL, IncidentURL: r.URL,
			})
		}
	}
	return overdue
}

// moreOverdue orders overdue items: the longer overdue first, then by id.
func moreOverdue(a, b OverdueItem) bool {
	return a.Overdue > b.Overdue || a.Overdue == b.Overdue && a.ID < b.ID
}

// overdueHeap is a min-heap: the least overdue kept item on top.
type overdueHeap []OverdueItem

func (h overdueHeap) Len() int           { return len(h) }
func (h overdueHeap) Less(i, j int) bool { return moreOverdue(h[j], h[i]) }
func (h overdueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *overdueHeap) Push(x any)        { *h = append(*h, x.(OverdueItem)) }
func (h *overdueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func newWindowStats(w Window) WindowStats {
	return WindowStats{
		Window:       w,
		Incidents:    map[SeverityTeam]*IncidentStats{},
		ByDetection:  map[TeamValue]int{},
		ByOrigin:     map[TeamValue]int{},
		ByResolution: map[TeamValue]int{},
		Completion:   map[string]*CompletionStats{},
	}
}

// add counts the record if it started in the window, and its action items
// done in the window.
func (ws *WindowStats) add(r *record.Record, asOf time.Time, repeat bool, services map[string]int) {
	for _, a := range r.ActionItems {
		if a.Status == record.ItemDone && ws.Window.Contains(a.ClosedAt, asOf) {
			ws.completion(a.Team).add(a)
		}
	}
	if !ws.Window.Contains(r.StartedAt, asOf) {
		return
	}
	ws.incident(SeverityTeam{r.Severity, r.Team}).add(r, asOf, repeat)
	ws.ByDetection[TeamValue{r.Team, r.Detection}]++
	ws.ByOrigin[TeamValue{r.Team, r.Origin}]++
	if r.Resolved() && !r.ResolvedAt.After(asOf) {
		ws.ByResolution[TeamValue{r.Team, r.Resolution}]++
	}
	for _, svc := range r.Services {
		services[svc]++
	}
}

func (ws *WindowStats) incident(k SeverityTeam) *IncidentStats {
	st, ok := ws.Incidents[k]
	if !ok {
		st = NewIncidentStats()
		ws.Incidents[k] = st
	}
	return st
}

func (ws *WindowStats) completion(team string) *CompletionStats {
	c, ok := ws.Completion[team]
	if !ok {
		c = NewCompletionStats()
		ws.Completion[team] = c
	}
	return c
}

// NewIncidentStats returns empty stats with the incident duration buckets.
func NewIncidentStats() *IncidentStats {
	return &IncidentStats{
		TimeToDetect:   NewHistogram(IncidentDurationBuckets),
		TimeToMitigate: NewHistogram(IncidentDurationBuckets),
		TimeToRecover:  NewHistogram(IncidentDurationBuckets),
	}
}

// NewCompletionStats returns empty stats with the completion buckets.
func NewCompletionStats() *CompletionStats {
	return &CompletionStats{Time: NewHistogram(CompletionBuckets)}
}

func (st *IncidentStats) add(r *record.Record, asOf time.Time, repeat bool) {
	st.Count++
	if !r.DetectedAt.After(asOf) {
		st.TimeToDetect.Observe(r.TimeToDetect().Seconds())
	}
	if r.Mitigated() && !r.MitigatedAt.After(asOf) {
		st.TimeToMitigate.Observe(r.TimeToMitigate().Seconds())
	}
	if r.Resolved() && !r.ResolvedAt.After(asOf) {
		st.TimeToRecover.Observe(r.TimeToRecover().Seconds())
	}
	st.CustomersAffected += r.Impact.CustomersAffected
	st.FailedRequests += r.Impact.FailedRequests
	st.DataLoss += boolCount(r.Impact.DataLoss)
	st.Security += boolCount(r.SecurityIncident)
	st.Repeat += boolCount(repeat)
}

func (c *CompletionStats) add(a record.ActionItem) {
	c.Time.Observe(a.ClosedAt.Sub(a.CreatedAt).Seconds())
	if a.ClosedAt.Before(a.OverdueAt()) {
		c.OnTime++
	}
}

// IsRepeat reports whether a related earlier incident still had an open
// action item when r started: the item would have prevented r.
func IsRepeat(r *record.Record, byID map[string]*record.Record) bool {
	for _, id := range r.Related {
		earlier, ok := byID[id]
		if !ok || !earlier.StartedAt.Before(r.StartedAt) {
			continue
		}
		for _, a := range earlier.ActionItems {
			if a.OpenAt(r.StartedAt) {
				return true
			}
		}
	}
	return false
}

// topN keeps the n services with most incidents (ties by name) and sums the
// rest under OtherService.
func topN(counts map[string]int, n int) map[string]int {
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
	})
	out := make(map[string]int, min(n, len(names))+1)
	for i, name := range names {
		if i < n {
			out[name] += counts[name]
		} else {
			out[OtherService] += counts[name]
		}
	}
	return out
}

// fillWindowKeys gives every window a (zero) entry for each key any window
// has, so a series does not vanish when its incidents leave a short window
// but are still in a longer one.
func fillWindowKeys(windows []WindowStats) {
	for i := range windows {
		for j := range windows {
			w, other := &windows[i], &windows[j]
			fillKeys(w.Incidents, other.Incidents, NewIncidentStats)
			fillKeys(w.Completion, other.Completion, NewCompletionStats)
			fillKeys(w.ByDetection, other.ByDetection, zero)
			fillKeys(w.ByOrigin, other.ByOrigin, zero)
			fillKeys(w.ByResolution, other.ByResolution, zero)
		}
	}
}

func fillKeys[K comparable, V any](dst, src map[K]V, empty func() V) {
	for k := range src {
		if _, ok := dst[k]; !ok {
			dst[k] = empty()
		}
	}
}

func zero() int { return 0 }

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

func countInvalid(problems []record.Problem) map[record.Code]int {
	seen := map[string]bool{}
	out := map[record.Code]int{}
	for _, p := range problems {
		key := p.Path + "\x00" + string(p.Code)
		if !seen[key] {
			seen[key] = true
			out[p.Code]++
		}
	}
	return out
}
