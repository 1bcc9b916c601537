package snapshot

import (
	"cmp"
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
	s := &Snapshot{
		Source:         source,
		AsOf:           asOf,
		Severities:     opts.Severities,
		Records:        len(res.Valid),
		OpenIncidents:  map[SeverityTeam]int{},
		ActionItems:    map[TeamStatus]int{},
		OverdueByTeam:  map[string]int{},
		UnownedByTeam:  map[string]int{},
		Exceptions:     map[TeamStatus]int{},
		ReviewsPending: map[TeamStatus]PendingReviews{},
		Invalid:        countInvalid(res.Problems),
		Problems:       res.Problems,
	}
	byID := make(map[string]*record.Record, len(res.Valid))
	for _, r := range res.Valid {
		byID[r.ID] = r
	}
	var overdue []OverdueItem
	for _, r := range res.Valid {
		if r.StartedAt.After(asOf) {
			continue
		}
		s.addIncidentState(r)
		overdue = append(overdue, s.addActionItems(r)...)
	}
	s.OverdueItems, s.OverdueItemsDropped = capOverdue(overdue, opts.OverdueItemsLimit)
	for _, r := range res.Invalid {
		for _, a := range r.ActionItems {
			if a.Owner == "" && a.Status != record.ItemDone && a.Status != record.ItemWontDo {
				s.UnownedByTeam[a.Team]++
			}
		}
	}
	// Every team with action items has an overdue and an unowned series,
	// 0 included, so a team's series does not come and go.
	for k := range s.ActionItems {
		s.OverdueByTeam[k.Team] += 0
		s.UnownedByTeam[k.Team] += 0
	}
	for _, w := range opts.Windows {
		s.Windows = append(s.Windows, windowStats(w, res.Valid, byID, asOf, opts.TopServices))
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

// capOverdue keeps the limit most overdue items (ties by id) and returns how
// many it dropped.
func capOverdue(items []OverdueItem, limit int) ([]OverdueItem, int) {
	slices.SortFunc(items, func(a, b OverdueItem) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(a.ID, b.ID))
	})
	if len(items) <= limit {
		return items, 0
	}
	return items[:limit], len(items) - limit
}

func windowStats(w Window, records []*record.Record, byID map[string]*record.Record, asOf time.Time, topServices int) WindowStats {
	ws := WindowStats{
		Window:       w,
		Incidents:    map[SeverityTeam]*IncidentStats{},
		ByDetection:  map[TeamValue]int{},
		ByOrigin:     map[TeamValue]int{},
		ByResolution: map[TeamValue]int{},
		Completion:   map[string]*CompletionStats{},
	}
	services := map[string]int{}
	for _, r := range records {
		for _, a := range r.ActionItems {
			if a.Status == record.ItemDone && w.Contains(a.ClosedAt, asOf) {
				ws.completion(a.Team).add(a)
			}
		}
		if !w.Contains(r.StartedAt, asOf) {
			continue
		}
		ws.incident(SeverityTeam{r.Severity, r.Team}).add(r, asOf, isRepeat(r, byID))
		ws.ByDetection[TeamValue{r.Team, r.Detection}]++
		ws.ByOrigin[TeamValue{r.Team, r.Origin}]++
		if r.Resolved() && !r.ResolvedAt.After(asOf) {
			ws.ByResolution[TeamValue{r.Team, r.Resolution}]++
		}
		for _, svc := range r.Services {
			services[svc]++
		}
	}
	ws.Services = topN(services, topServices)
	return ws
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

// isRepeat reports whether a related earlier incident still had an open
// action item when r started: the item would have prevented r.
func isRepeat(r *record.Record, byID map[string]*record.Record) bool {
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
