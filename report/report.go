// Package report renders the operational-excellence forum's agenda from a
// snapshot: timeliness of action items, trends per calendar period,
// aggregate learnings and the quality bar, as one self-contained HTML page
// (charts as inline SVG) or Markdown tables. It reads only the snapshot the
// collectors publish, so the page and the metrics never disagree. The CSV
// of every record and action item is built from the records themselves
// (csv.go), which the snapshot does not hold.
package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Options choose what the report shows.
type Options struct {
	// Window is the rolling window of the per-window tables (a `window`
	// label such as "90d"); empty means the longest window.
	Window string
}

// Report is the agenda computed from one snapshot, ready to render.
type Report struct {
	AsOf    time.Time
	Source  string
	Window  string   // the window of the per-window tables
	Windows []string // every window of the snapshot
	Records int      // valid records
	Invalid int      // invalid records
	Stale   int
	// Listed tells whether the source listed the items due soon and the
	// titles, which the metrics do not carry.
	Listed bool

	Timeliness Timeliness
	Trends     Trends
	Learnings  Learnings
	Quality    Quality
}

// Timeliness is the first section: action items.
type Timeliness struct {
	Teams []TeamItems // every team with action items, most overdue first
	// Overdue lists the overdue items the snapshot kept, by team and owner.
	Overdue        []OwnerItems
	OverdueDropped int
	DueSoon        []Item
	DueSoonDropped int
	DueSoonDays    int
	// Exceptions lists the open items with an approved exception, the
	// earliest due first; ExceptionsDropped counts those the limit left
	// out.
	Exceptions        []Exception
	ExceptionsDropped int
}

// TeamItems are a team's action item counts and its on-time ratio over
// the window.
type TeamItems struct {
	Team          string
	Open, Overdue int
	// Due counts the items whose due day ended in the window, done or
	// still open (those dropped as wont_do aside), and OnTime those of
	// them done by the end of their due day.
	Due, OnTime int
	HasRatio    bool
	OnTimeRatio float64
}

// OwnerItems are the overdue items of one owner in one team.
type OwnerItems struct {
	Team, Owner string
	Items       []Item
}

// Item is a listed action item.
type Item struct {
	ID, Title, Owner, Team, Severity string
	Incident, IncidentTitle          string
	Due                              string // YYYY-MM-DD, empty when the item has none
	DaysOverdue                      int    // whole days past the end of the due day, 0 for items not overdue
	URL, IncidentURL                 string
}

// Exception is an open action item a leader approved as larger than the
// quality bar allows: it keeps its own due day and is reported apart,
// with who approved it. Its Item has no severity nor days overdue.
type Exception struct {
	Item
	Approver string // empty when the record does not name one
}

// Trends is the second section: one row per calendar period.
type Trends struct {
	Severities  []string // the taxonomy's, most severe first
	TopSeverity string   // the first severity, whose share is shown
	// CustomerDetection is the detection value counted as detected by a
	// customer; empty when the taxonomy has none called "customer".
	CustomerDetection string
	Periods           []PeriodRow
}

// PeriodRow holds one calendar period's figures.
type PeriodRow struct {
	Period                string
	Incidents             int
	TopSeverity           int
	TopSeverityShare      float64 // 0 with no incident
	CustomerDetected      int
	CustomerDetectedShare float64
	// Recover and Detect are over every severity; BySeverity per severity,
	// in the order of Trends.Severities.
	Recover, Detect Durations
	BySeverity      []SeverityDurations
}

// Durations summarize incident durations in seconds.
type Durations struct {
	N      uint64
	Mean   float64 // 0 when N is 0
	Median float64
	// HasMedian is false when no median is known: no sample, or the
	// figure is a mean over severities whose medians do not combine.
	HasMedian bool
}

// SeverityDurations are a period's durations of one severity.
type SeverityDurations struct {
	Severity        string
	Recover, Detect Durations
}

// Learnings is the third section: what the incidents of the window teach.
type Learnings struct {
	// Crossed tells whether the source counted origin by resolution;
	// without it only OriginTot is known.
	Crossed     bool
	Origins     []string // rows of the cross table
	Resolutions []string // its columns
	// Cross[i][j] counts the resolved incidents of Origins[i] resolved by
	// Resolutions[j]; Unresolved[i] those not resolved yet.
	Cross      [][]int
	Unresolved []int
	OriginTot  []int
	Detections []Count
	Services   []Count // most incidents first, "other" last
	// Repeats counts the incidents repeating an earlier one with action
	// items still open, per team.
	Repeats      []Count
	RepeatsTotal int
	// RepeatList says which incident repeats which, the latest first.
	RepeatList     []Repeat
	RepeatsDropped int
}

// Repeat is an incident that repeats an earlier one.
type Repeat struct {
	Incident, Title, Team, Started string
	Earlier, EarlierTitle          string
	// FixDone: the earlier incident's action items were all closed when
	// this one started (the fix did not work); otherwise some were open.
	FixDone bool
}

// Count is a labelled count and its share of the total.
type Count struct {
	Name  string
	N     int
	Share float64
}

// Quality is the fourth section: the bar the post-mortems are held to.
type Quality struct {
	// Rules are the quality rules with a finding, in the catalogue's
	// order; Findings the counts per team, as many as Rules, most first.
	Rules         []string
	Findings      []TeamFindings
	FindingsTotal []int // per rule
	// Pending are the post-mortems not published yet, per team and status.
	Pending []Pending
	// Unpublished lists them, the longest resolved first.
	Unpublished        []PostMortem
	UnpublishedDropped int
	// Late lists the post-mortems published later than the quality bar
	// allows, when LateListed (the source lists them).
	LateListed  bool
	Late        []PostMortem
	LateDropped int
}

// TeamFindings are a team's findings per rule.
type TeamFindings struct {
	Team   string
	Counts []int // as Quality.Rules
	Total  int
}

// PostMortem is a listed incident's post-mortem.
type PostMortem struct {
	ID, Title, Team, Severity, Status, URL string
	// Age is the time since resolution, 0 when not resolved; Delay the
	// time from resolution to publication.
	Age, Delay time.Duration
}

// Pending counts a team's post-mortems in one status and the age of the
// oldest resolved one.
type Pending struct {
	Team, Status string
	N            int
	// OldestAge is the time since the oldest resolved one was resolved;
	// 0 when none is resolved yet.
	OldestAge time.Duration
}

// New computes the report from a snapshot.
func New(s *snapshot.Snapshot, opts Options) (*Report, error) {
	ws, err := window(s, opts.Window)
	if err != nil {
		return nil, err
	}
	r := &Report{AsOf: s.AsOf, Source: s.Source, Records: s.Records, Stale: s.Stale, Listed: s.Listed}
	for _, n := range s.Invalid {
		r.Invalid += n
	}
	for _, w := range s.Windows {
		r.Windows = append(r.Windows, w.Window.Name)
	}
	if ws == nil {
		return r, nil
	}
	r.Window = ws.Window.Name
	r.Timeliness = timeliness(s, ws)
	r.Trends = trends(s)
	r.Learnings = learnings(s, ws)
	r.Quality = quality(s)
	return r, nil
}

// window returns the snapshot's window named name, the longest when name
// is empty, nil when the snapshot has no window.
func window(s *snapshot.Snapshot, name string) (*snapshot.WindowStats, error) {
	if len(s.Windows) == 0 {
		return nil, nil
	}
	if name == "" {
		longest := &s.Windows[0]
		for i := range s.Windows {
			if s.Windows[i].Window.Length > longest.Window.Length {
				longest = &s.Windows[i]
			}
		}
		return longest, nil
	}
	var names []string
	for i := range s.Windows {
		if s.Windows[i].Window.Name == name {
			return &s.Windows[i], nil
		}
		names = append(names, s.Windows[i].Window.Name)
	}
	return nil, fmt.Errorf("window %q: not one of the configured windows %v", name, names)
}

func timeliness(s *snapshot.Snapshot, ws *snapshot.WindowStats) Timeliness {
	t := Timeliness{OverdueDropped: s.OverdueItemsDropped, DueSoonDropped: s.DueSoonDropped, DueSoonDays: snapshot.DueSoonDays,
		ExceptionsDropped: s.ExceptionItemsDropped}
	teams := map[string]*TeamItems{}
	team := func(name string) *TeamItems {
		if ti, ok := teams[name]; ok {
			return ti
		}
		ti := &TeamItems{Team: name}
		teams[name] = ti
		return ti
	}
	for k, n := range s.ActionItems {
		if k.Status == record.ItemOpen {
			team(k.Team).Open += n
		} else {
			team(k.Team)
		}
	}
	for name, n := range s.OverdueByTeam {
		team(name).Overdue = n
	}
	for k, n := range ws.ItemsDue {
		ti := team(k.Team)
		switch k.Value {
		case snapshot.ItemOnTime:
			ti.OnTime += n
			ti.Due += n
		case snapshot.ItemLate, snapshot.ItemStillOpen:
			ti.Due += n
		}
	}
	for _, ti := range teams {
		if ti.Due > 0 {
			ti.HasRatio, ti.OnTimeRatio = true, float64(ti.OnTime)/float64(ti.Due)
		}
	}
	for _, ti := range teams {
		t.Teams = append(t.Teams, *ti)
	}
	slices.SortFunc(t.Teams, func(a, b TeamItems) int {
		return cmp.Or(cmp.Compare(b.Overdue, a.Overdue), cmp.Compare(a.Team, b.Team))
	})

	byOwner := map[[2]string]*OwnerItems{}
	for _, it := range s.OverdueItems {
		key := [2]string{it.Team, it.Owner}
		o, ok := byOwner[key]
		if !ok {
			o = &OwnerItems{Team: it.Team, Owner: it.Owner}
			byOwner[key] = o
		}
		o.Items = append(o.Items, Item{ID: it.ID, Title: s.Titles[it.ID], Owner: it.Owner, Team: it.Team,
			Severity: it.Severity, Incident: it.Incident, IncidentTitle: s.Titles[it.Incident],
			Due: snapshot.DueDay(it.Due), DaysOverdue: int(it.Overdue / (24 * time.Hour)),
			URL: it.URL, IncidentURL: it.IncidentURL})
	}
	for _, key := range slices.SortedFunc(maps.Keys(byOwner), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	}) {
		t.Overdue = append(t.Overdue, *byOwner[key]) // items stay most overdue first
	}
	for _, it := range s.DueSoon {
		t.DueSoon = append(t.DueSoon, Item{ID: it.ID, Title: s.Titles[it.ID], Owner: it.Owner, Team: it.Team,
			Severity: it.Severity, Incident: it.Incident, IncidentTitle: s.Titles[it.Incident],
			Due: snapshot.DueDay(it.Due), URL: it.URL, IncidentURL: it.IncidentURL})
	}
	for _, it := range s.ExceptionItems {
		t.Exceptions = append(t.Exceptions, Exception{Approver: it.Approver, Item: Item{ID: it.ID, Title: s.Titles[it.ID],
			Owner: it.Owner, Team: it.Team, Severity: it.Severity, Incident: it.Incident, IncidentTitle: s.Titles[it.Incident],
			Due: snapshot.DueDay(it.Due), URL: it.URL, IncidentURL: it.IncidentURL}})
	}
	return t
}

func trends(s *snapshot.Snapshot) Trends {
	t := Trends{Severities: s.Severities}
	if len(s.Severities) > 0 {
		t.TopSeverity = s.Severities[0]
	}
	for _, p := range s.Periods {
		for k := range p.ByDetection {
			if k.Value == "customer" {
				t.CustomerDetection = k.Value
			}
		}
	}
	for _, p := range s.Periods {
		row := PeriodRow{Period: p.Period.Name}
		for k, n := range p.Incidents {
			row.Incidents += n
			if k.Severity == t.TopSeverity {
				row.TopSeverity += n
			}
		}
		for k, n := range p.ByDetection {
			if k.Value == t.CustomerDetection && t.CustomerDetection != "" {
				row.CustomerDetected += n
			}
		}
		row.TopSeverityShare = share(row.TopSeverity, row.Incidents)
		row.CustomerDetectedShare = share(row.CustomerDetected, row.Incidents)
		var recover, detect snapshot.Summary
		for _, sev := range s.Severities {
			d := p.BySeverity[sev]
			sd := SeverityDurations{Severity: sev}
			if d != nil {
				sd.Recover, sd.Detect = durations(d[snapshot.TimeToRecover]), durations(d[snapshot.TimeToDetect])
				recover.Count, recover.Sum = recover.Count+d[snapshot.TimeToRecover].Count, recover.Sum+d[snapshot.TimeToRecover].Sum
				detect.Count, detect.Sum = detect.Count+d[snapshot.TimeToDetect].Count, detect.Sum+d[snapshot.TimeToDetect].Sum
			}
			row.BySeverity = append(row.BySeverity, sd)
		}
		row.Recover, row.Detect = durations(recover), durations(detect)
		t.Periods = append(t.Periods, row)
	}
	return t
}

// durations turns an exact summary into the figures shown.
func durations(s snapshot.Summary) Durations {
	d := Durations{N: s.Count}
	if s.Count > 0 {
		d.Mean = s.Sum / float64(s.Count)
	}
	if m, ok := s.Quantiles[0.5]; ok && s.Count > 0 {
		d.Median, d.HasMedian = m, true
	}
	return d
}

func learnings(s *snapshot.Snapshot, ws *snapshot.WindowStats) Learnings {
	var l Learnings
	i := slices.IndexFunc(s.Windows, func(w snapshot.WindowStats) bool { return w.Window.Name == ws.Window.Name })
	origins := sumByValue(ws.ByOrigin)
	resolutions := sumByValue(ws.ByResolution)
	l.Origins = sortedByCount(origins)
	l.Resolutions = sortedByCount(resolutions)
	var cross map[snapshot.OriginResolution]int
	if i < len(s.OriginResolution) {
		l.Crossed, cross = true, s.OriginResolution[i]
	}
	for _, o := range l.Origins {
		row := make([]int, len(l.Resolutions))
		resolved := 0
		for j, res := range l.Resolutions {
			row[j] = cross[snapshot.OriginResolution{Origin: o, Resolution: res}]
			resolved += row[j]
		}
		l.Cross = append(l.Cross, row)
		l.OriginTot = append(l.OriginTot, origins[o])
		l.Unresolved = append(l.Unresolved, origins[o]-resolved)
	}
	l.Detections = counts(sumByValue(ws.ByDetection), false)
	l.Services = counts(ws.Services, true)
	repeats := map[string]int{}
	for k, st := range ws.Incidents {
		if st.Repeat > 0 {
			repeats[k.Team] += st.Repeat
			l.RepeatsTotal += st.Repeat
		}
	}
	l.Repeats = counts(repeats, false)
	for _, rp := range s.Repeats {
		l.RepeatList = append(l.RepeatList, Repeat{Incident: rp.Incident, Title: s.Titles[rp.Incident], Team: rp.Team,
			Started: rp.StartedAt.UTC().Format(time.DateOnly), Earlier: rp.Earlier, EarlierTitle: s.Titles[rp.Earlier], FixDone: rp.FixDone})
	}
	l.RepeatsDropped = s.RepeatsDropped
	return l
}

func quality(s *snapshot.Snapshot) Quality {
	q := Quality{LateListed: s.PublishedLate != nil, UnpublishedDropped: s.UnpublishedDropped, LateDropped: s.PublishedLateDropped}
	byRule := map[string]int{}
	teams := map[string]*TeamFindings{}
	for k, n := range s.Findings {
		if n > 0 {
			byRule[k.Value] += n
			teams[k.Team] = &TeamFindings{Team: k.Team}
		}
	}
	q.Rules = slices.DeleteFunc(record.RuleNames(), func(rule string) bool { return byRule[rule] == 0 })
	for rule := range byRule { // a rule outside the catalogue is shown too, last
		if !slices.Contains(q.Rules, rule) {
			q.Rules = append(q.Rules, rule)
		}
	}
	for _, rule := range q.Rules {
		q.FindingsTotal = append(q.FindingsTotal, byRule[rule])
	}
	for _, tf := range teams {
		for _, rule := range q.Rules {
			n := s.Findings[snapshot.TeamValue{Team: tf.Team, Value: rule}]
			tf.Counts = append(tf.Counts, n)
			tf.Total += n
		}
		q.Findings = append(q.Findings, *tf)
	}
	slices.SortFunc(q.Findings, func(a, b TeamFindings) int { return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Team, b.Team)) })

	for k, p := range s.ReviewsPending {
		if p.Count == 0 {
			continue
		}
		pending := Pending{Team: k.Team, Status: k.Status, N: p.Count}
		if !p.OldestResolved.IsZero() {
			pending.OldestAge = s.AsOf.Sub(p.OldestResolved)
		}
		q.Pending = append(q.Pending, pending)
	}
	slices.SortFunc(q.Pending, func(a, b Pending) int {
		return cmp.Or(cmp.Compare(b.OldestAge, a.OldestAge), cmp.Compare(a.Team, b.Team), cmp.Compare(a.Status, b.Status))
	})
	postMortem := func(it snapshot.ListedIncident) PostMortem {
		pm := PostMortem{ID: it.ID, Title: s.Titles[it.ID], Team: it.Team, Severity: it.Severity, Status: it.Status, URL: it.URL}
		if !it.ResolvedAt.IsZero() {
			pm.Age = s.AsOf.Sub(it.ResolvedAt)
			if !it.PublishedAt.IsZero() {
				pm.Delay = it.PublishedAt.Sub(it.ResolvedAt)
			}
		}
		return pm
	}
	for _, it := range s.Unpublished {
		q.Unpublished = append(q.Unpublished, postMortem(it))
	}
	for _, it := range s.PublishedLate {
		q.Late = append(q.Late, postMortem(it))
	}
	return q
}

// sumByValue sums counts kept by team and value over the teams.
func sumByValue(m map[snapshot.TeamValue]int) map[string]int {
	out := map[string]int{}
	for k, n := range m {
		out[k.Value] += n
	}
	return out
}

// sortedByCount returns the keys with a count, most first, ties by name.
func sortedByCount(m map[string]int) []string {
	var keys []string
	for k, n := range m {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return keys
}

// counts lists the non-zero counts, most first; with otherLast the
// services beyond the top N come last.
func counts(m map[string]int, otherLast bool) []Count {
	total := 0
	for _, n := range m {
		total += n
	}
	var out []Count
	for _, k := range sortedByCount(m) {
		out = append(out, Count{Name: k, N: m[k], Share: share(m[k], total)})
	}
	if otherLast {
		if i := slices.IndexFunc(out, func(c Count) bool { return c.Name == snapshot.OtherService }); i >= 0 {
			other := out[i]
			out = append(slices.Delete(out, i, i+1), other)
		}
	}
	return out
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}
