package snapshot

import (
	"cmp"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Options shape a snapshot.
type Options struct {
	Windows    []Window
	Severities []string
	// Taxonomy sizes the series bound of PeriodTeamsLimit (SetTaxonomy
	// sets it).
	Taxonomy    record.Taxonomy
	TopServices int // services beyond this many are summed as "other"
	// CustomLabels are the custom fields counted by value
	// (--metrics.custom-labels); TopCustomValues bounds the values kept
	// per field, the rest summed as "other", as is a value longer than
	// LabelLimit.
	CustomLabels      []string
	TopCustomValues   int
	OverdueItemsLimit int // overdue items beyond this many are only counted
	// ExceptionItemsLimit bounds the listed open items with an exception;
	// 0 is DefaultExceptionItemsLimit.
	ExceptionItemsLimit int
	Periods             PeriodOptions
	// Detail publishes the histograms per (window, severity, team).
	Detail bool
	// Trackers says a trackers file is configured: the tracker_drift rule
	// can find something, and its series are published.
	Trackers bool
	// RepeatsLimit bounds the listed repeats, and the listed possible
	// repeats; 0 is DefaultRepeatsLimit.
	RepeatsLimit int
	// PossibleRepeatsWithin is the most time between two incidents on a
	// service with the same origin that makes the later one a possible
	// repeat; 0 is DefaultPossibleRepeatsWithin.
	PossibleRepeatsWithin time.Duration
	// FindingsLimit bounds the listed findings; 0 is DefaultFindingsLimit.
	FindingsLimit int
	// LabelLimit bounds, in bytes, a label value the snapshot makes
	// itself (a finding's reason, a custom value):
	// record.Limits.MaxLabelLength; 0 is the default limit.
	LabelLimit int
	// PeriodTeamsLimit gives, for these options, the most teams for which
	// --periods.by-team=auto keeps the team on the period metrics: the
	// collectors know their series (collectors.PeriodTeamsLimit, set by
	// config). Nil keeps the team for any number of teams.
	PeriodTeamsLimit func(Options) int
}

// SetTaxonomy sizes the options for a taxonomy: the severity share and
// the period counts list every severity, and PeriodTeamsLimit counts
// every classification value.
func (o *Options) SetTaxonomy(tax record.Taxonomy) {
	o.Severities = tax.Severities
	o.Taxonomy = tax
}

// labelLimit is LabelLimit, or the default limit.
func (o Options) labelLimit() int {
	return cmp.Or(o.LabelLimit, record.DefaultLimits().MaxLabelLength)
}

// periodTeamsLimit is what PeriodTeamsLimit gives, or no limit.
func (o Options) periodTeamsLimit() int {
	if o.PeriodTeamsLimit == nil {
		return math.MaxInt
	}
	return o.PeriodTeamsLimit(o)
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
		v := res.Verdict(r)
		b.Add(r, v, IsRepeat(r, byID, res.Verdict))
		b.addToAgenda(r, v)
	}
	for _, r := range res.Invalid {
		b.AddInvalid(r, res.Verdict(r))
	}
	b.AddProblems(res.Problems...)
	b.addQuality(res, byID)
	b.s.QualityDetail = b.qualityDetail(res)
	return b.Snapshot()
}

// Builder aggregates records one at a time, so a source can stream them
// instead of holding them all. A source hands in:
//   - whole records: Add, AddInvalid and AddProblems (FromRecords does
//     it for the file source);
//   - or, when it keeps aggregates precomputed (PostgreSQL's rollups),
//     the sums it counted itself in one Sums (AddSums), the incidents
//     whose durations it needs one by one by severity and team
//     (IncidentGroup), and the rows the snapshot counts or lists by their
//     state as of AsOf (AddIncidentState, AddOverdue, AddException,
//     AddUnowned, AddRepeats, ListAgenda, ListDueSoon, ListUnpublished).
//
// Nothing is taken back through the builder: a source that corrects its
// sums does so in its own Sums (WindowStats.RemoveIncident and the like)
// before it hands them in.
type Builder struct {
	s          *Snapshot
	opts       Options
	overdue    *topItems[OverdueItem]
	exceptions *topItems[ExceptionItem]
	// Every duration, per window and per period, for exact summaries.
	periods       []Period
	windowSamples []map[SeverityTeam]*durationSamples
	periodSamples []map[SeverityTeam]*durationSamples
	trends        []trendSamples // the report's periods of every unit
	agenda        agendaBuilder
	group         IncidentGroup // reused, see IncidentGroup
	windowStarts  []time.Time   // AsOf − each window's length
	// Teams seen in the periods with --periods.by-team=auto, until there
	// are more than teamsLimit: then manyTeams, and the periods are
	// summed over the teams from there on (decidePeriodTeams sums the
	// rest).
	periodTeams map[string]bool
	teamsLimit  int
	manyTeams   bool
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
			Invalid:        map[InvalidKey]int{},
			Quality:        newQuality(),
		},
	}
	b.s.Detail = opts.Detail
	b.s.Trackers = opts.Trackers
	b.s.PeriodUnit = opts.Periods.Unit
	if !slices.Contains(PeriodUnits, b.s.PeriodUnit) {
		b.s.PeriodUnit = Month // PeriodOptions.Periods's default
	}
	b.overdue = newTopItems(opts.OverdueItemsLimit, moreOverdue)
	b.exceptions = newTopItems(cmp.Or(opts.ExceptionItemsLimit, DefaultExceptionItemsLimit), dueFirst)
	b.periodTeams, b.teamsLimit = map[string]bool{}, opts.periodTeamsLimit()
	for _, w := range opts.Windows {
		b.windowStarts = append(b.windowStarts, asOf.Add(-w.Length))
		b.s.Windows = append(b.s.Windows, NewWindowStats(w))
		b.windowSamples = append(b.windowSamples, map[SeverityTeam]*durationSamples{})
	}
	b.periods = opts.Periods.Periods(asOf)
	for _, p := range b.periods {
		b.s.Periods = append(b.s.Periods, newPeriodStats(p))
		b.periodSamples = append(b.periodSamples, map[SeverityTeam]*durationSamples{})
	}
	b.newTrends()
	return b
}

// Add counts a valid record, but the action items its verdict leaves
// out; repeat tells whether it repeats an earlier incident (see IsRepeat).
func (b *Builder) Add(r *record.Record, v record.Verdict, repeat bool) {
	b.s.Records++
	b.addToWindows(r, repeat)
	g := b.IncidentGroup(r.Severity, r.Team)
	g.Add(r, repeat)
	g.Close()
	for i, a := range r.ActionItems {
		if v.ItemCounts(i) {
			b.addCompletion(a)
		}
	}
	if r.StartedAt.After(b.s.AsOf) {
		return
	}
	b.AddIncidentState(r)
	for i, a := range r.ActionItems {
		if v.ItemCounts(i) {
			b.addActionItem(r, a)
			b.addItemToPeriods(a)
			b.addItemDue(a)
			b.AddUnowned(a)
		}
	}
}

// AddUnowned counts an item of a valid record that has no owner and was
// open as of AsOf.
func (b *Builder) AddUnowned(a record.ActionItem) {
	if a.Owner == "" && !a.CreatedAt.After(b.s.AsOf) && a.OpenAt(b.s.AsOf) {
		b.s.UnownedByTeam[a.Team]++
	}
}

// AddInvalid counts what an invalid record still tells: its open items
// without an owner that its verdict keeps (those of valid records are
// counted by AddUnowned).
func (b *Builder) AddInvalid(r *record.Record, v record.Verdict) {
	for i, a := range r.ActionItems {
		if a.Owner == "" && v.ItemCounts(i) && a.Status != record.ItemDone && a.Status != record.ItemWontDo {
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
	b.finishQuality()
	s.OverdueItems, s.OverdueItemsDropped = b.overdue.sorted()
	s.ExceptionItems, s.ExceptionItemsDropped = b.exceptions.sorted()
	dropZeros(s.ActionItems, s.Exceptions)
	// Every team with action items has an overdue and an unowned series,
	// 0 included, so a team's series does not come and go.
	for k := range s.ActionItems {
		s.OverdueByTeam[k.Team] += 0
		s.UnownedByTeam[k.Team] += 0
	}
	for i := range s.Windows {
		ws := &s.Windows[i]
		dropZeros(ws.Services)
		ws.Services = topN(ws.Services, b.opts.TopServices)
		ws.Custom = topCustom(ws.Custom, b.opts.TopCustomValues)
		dropZeros(ws.ByDetection, ws.ByOrigin, ws.ByResolution)
		maps.DeleteFunc(ws.Incidents, func(_ SeverityTeam, st *IncidentStats) bool { return st.Count == 0 })
		maps.DeleteFunc(ws.Completion, func(_ string, c *CompletionStats) bool { return c.Time.Count == 0 })
		dropZeros(ws.ItemsDue)
	}
	fillOutcomes(s.Windows)
	b.preparePeriods()
	// The exact summaries, the longest window first: the team summaries
	// of time to mitigate are published only with the detail.
	teamKinds := detectRecoverOnly
	if b.opts.Detail {
		teamKinds = teamDetailKinds
	}
	var summaries []func()
	for i := len(s.Windows) - 1; i >= 0; i-- {
		ws, samples := &s.Windows[i], b.windowSamples[i]
		summaries = append(summaries,
			func() { ws.BySeverity = summarize(samples, bySeverity, SummaryQuantiles, allKinds) },
			func() { ws.ByTeam = summarize(samples, byTeam, TeamQuantiles, teamKinds) })
	}
	runAll(slices.Concat(summaries, b.periodSummaries(), b.trendSummaries()))
	fillWindowKeys(s.Windows)
	b.finishPeriods()
	b.finishAgenda()
	return s
}

// runAll runs independent tasks on up to GOMAXPROCS goroutines: the
// exact summaries of the incidents of a year, a few hundred thousand at a
// million incidents, take a while, and those of each window and period
// are independent of the others.
func runAll(tasks []func()) {
	next := make(chan func(), len(tasks))
	for _, t := range tasks {
		next <- t
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(tasks)) {
		wg.Go(func() {
			for t := range next {
				t()
			}
		})
	}
	wg.Wait()
}

// moreOverdue orders overdue items: the longer overdue first, then by id.
func moreOverdue(a, b OverdueItem) bool {
	return a.Overdue > b.Overdue || a.Overdue == b.Overdue && a.ID < b.ID
}

// dueFirst orders items with an exception: the earliest due day first,
// those without one last, then by id.
func dueFirst(a, b ExceptionItem) bool {
	if a.Due.Equal(b.Due) {
		return a.ID < b.ID
	}
	return !a.Due.IsZero() && (b.Due.IsZero() || a.Due.Before(b.Due))
}

// NewWindowStats returns empty aggregates for a window. While a source
// fills them, Services counts every service; Builder.Snapshot keeps the
// top ones.
func NewWindowStats(w Window) WindowStats {
	return WindowStats{
		Window:       w,
		Incidents:    map[SeverityTeam]*IncidentStats{},
		ByDetection:  map[TeamValue]int{},
		ByOrigin:     map[TeamValue]int{},
		ByResolution: map[TeamValue]int{},
		Services:     map[string]int{},
		Custom:       map[CustomValue]int{},
		Completion:   map[string]*CompletionStats{},
		ItemsDue:     map[TeamValue]int{},
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
		TimeToDetect:     NewHistogram(IncidentDurationBuckets),
		TimeToMitigate:   NewHistogram(IncidentDurationBuckets),
		TimeToRecover:    NewHistogram(IncidentDurationBuckets),
		PublicationDelay: NewHistogram(PublicationBuckets),
	}
}

// NewCompletionStats returns empty stats with the completion buckets.
func NewCompletionStats() *CompletionStats {
	return &CompletionStats{Time: NewHistogram(CompletionBuckets)}
}

// AddIncident counts r, with the events (detection, mitigation,
// resolution, publication) that happened by eventsUntil; repeat tells
// whether r repeats an earlier incident (see IsRepeat).
func (ws *WindowStats) AddIncident(r *record.Record, repeat bool, eventsUntil time.Time) {
	ws.countIncident(r, repeat, eventsUntil, 1)
}

// RemoveIncident takes back what AddIncident counted with the same
// arguments.
func (ws *WindowStats) RemoveIncident(r *record.Record, repeat bool, eventsUntil time.Time) {
	ws.countIncident(r, repeat, eventsUntil, -1)
}

// AddCompletion counts the completion time of a done action item; an item
// not done is not counted.
func (ws *WindowStats) AddCompletion(a record.ActionItem) { ws.countCompletion(a, 1) }

// RemoveCompletion takes back what AddCompletion counted for a.
func (ws *WindowStats) RemoveCompletion(a record.ActionItem) { ws.countCompletion(a, -1) }

// countIncident counts r n times (-1 takes it back).
func (ws *WindowStats) countIncident(r *record.Record, repeat bool, eventsUntil time.Time, n int) {
	ws.incident(SeverityTeam{r.Severity, r.Team}).count(r, eventsUntil, repeat, n)
	ws.ByDetection[TeamValue{r.Team, r.Detection}] += n
	ws.ByOrigin[TeamValue{r.Team, r.Origin}] += n
	if r.Resolved() && !r.ResolvedAt.After(eventsUntil) {
		ws.ByResolution[TeamValue{r.Team, r.Resolution}] += n
	}
	for _, svc := range r.LabelServices() {
		ws.Services[svc] += n
	}
}

// countCompletion counts a done item n times (-1 takes it back).
func (ws *WindowStats) countCompletion(a record.ActionItem, n int) {
	if a.Status == record.ItemDone {
		ws.completion(a.Team).Time.observe(record.Seconds(a.CreatedAt, a.ClosedAt), n)
	}
}

// count counts r, with the events that happened by eventsUntil, n times.
func (st *IncidentStats) count(r *record.Record, eventsUntil time.Time, repeat bool, n int) {
	st.Count += n
	if !r.DetectedAt.After(eventsUntil) {
		st.TimeToDetect.observe(r.TimeToDetect(), n)
	}
	if r.Mitigated() && !r.MitigatedAt.After(eventsUntil) {
		st.TimeToMitigate.observe(r.TimeToMitigate(), n)
	}
	if r.Resolved() && !r.ResolvedAt.After(eventsUntil) {
		st.TimeToRecover.observe(r.TimeToRecover(), n)
	}
	st.CustomersAffected += int64(n) * r.Impact.CustomersAffected
	st.FailedRequests += int64(n) * r.Impact.FailedRequests
	st.DataLoss += n * boolCount(r.Impact.DataLoss)
	st.Security += n * boolCount(r.SecurityIncident)
	st.Repeat += n * boolCount(repeat)
	st.Learnings += n * len(r.Learnings)
	if r.Status == record.StatusPublished && r.Resolved() && !r.PublishedAt.IsZero() && !r.PublishedAt.After(eventsUntil) {
		st.PublicationDelay.observe(record.PublicationDelay(r), n)
	}
}

func (st *IncidentStats) merge(o *IncidentStats) {
	st.Count += o.Count
	st.TimeToDetect.Add(o.TimeToDetect)
	st.TimeToMitigate.Add(o.TimeToMitigate)
	st.TimeToRecover.Add(o.TimeToRecover)
	st.CustomersAffected += o.CustomersAffected
	st.FailedRequests += o.FailedRequests
	st.DataLoss += o.DataLoss
	st.Security += o.Security
	st.Repeat += o.Repeat
	st.Learnings += o.Learnings
	st.PublicationDelay.Add(o.PublicationDelay)
}

func (c *CompletionStats) merge(o *CompletionStats) {
	c.Time.Add(o.Time)
}

// IsRepeat reports whether a related earlier incident still had an open
// action item when r started: the item would have prevented r. verdicts
// tell which items of the earlier incidents count (record.Result.Verdict).
func IsRepeat(r *record.Record, byID map[string]*record.Record, verdicts func(*record.Record) record.Verdict) bool {
	for _, id := range r.Related {
		earlier, ok := byID[id]
		if !ok || !earlier.StartedAt.Before(r.StartedAt) {
			continue
		}
		v := verdicts(earlier)
		for i, a := range earlier.ActionItems {
			if v.ItemCounts(i) && a.OpenAt(r.StartedAt) {
				return true
			}
		}
	}
	return false
}

// topN keeps the n names (services, custom values) with most incidents
// (ties by name) and sums the rest under OtherService.
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
			fillKeys(w.Custom, other.Custom, zero)
			fillKeys(w.ItemsDue, other.ItemsDue, zero)
			fillKeys(w.BySeverity, other.BySeverity, noDurations)
			fillKeys(w.ByTeam, other.ByTeam, noDurations)
		}
	}
}

// fillOutcomes gives every team with an item due in a window a count of
// every outcome there, 0 included, so that the share of one outcome is a
// number, never an empty result.
func fillOutcomes(windows []WindowStats) {
	for i := range windows {
		due := windows[i].ItemsDue
		for k := range due {
			for _, outcome := range ItemOutcomes {
				due[TeamValue{k.Team, outcome}] += 0
			}
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

// addCounts adds src's counts to dst's.
func addCounts[K comparable](dst, src map[K]int) {
	for k, n := range src {
		dst[k] += n
	}
}

// dropZeros deletes the keys whose counts a correction brought back to 0,
// so that they give no series, as if they had never been counted.
func dropZeros[K comparable](counts ...map[K]int) {
	for _, m := range counts {
		maps.DeleteFunc(m, func(_ K, n int) bool { return n == 0 })
	}
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

func countInvalid(problems []record.Problem) map[InvalidKey]int {
	seen := map[string]bool{}
	out := map[InvalidKey]int{}
	for _, p := range problems {
		key := p.Path + "\x00" + string(p.Code)
		if !seen[key] {
			seen[key] = true
			out[InvalidKey{p.Code, p.Team}]++
		}
	}
	return out
}
