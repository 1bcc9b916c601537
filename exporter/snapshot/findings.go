package snapshot

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// QualityDetail is the quality bar per post-mortem, per window and per
// calendar period. Only a source that hands in whole records
// (FromRecords: the file source) gives it; PostgreSQL stores the
// findings' counts per team and rule only (docs/quality.md), and leaves
// it nil.
type QualityDetail struct {
	// ByWindow counts, per window, the findings of the post-mortems of
	// the incidents started in it, by team; every team with an incident
	// in the window has a count, 0 included.
	ByWindow []map[string]int
	// ByPeriod are, per calendar period, the post-mortems published in it.
	ByPeriod []PeriodQuality
	// Findings lists the findings of the post-mortems of the incidents
	// started in the longest window, the latest incident first, at most
	// Options.FindingsLimit; FindingsDropped is how many it left out.
	Findings        []Finding
	FindingsDropped int
	// PossibleRepeats lists the incidents started in the longest window
	// that follow an incident on the same service with the same origin
	// within Options.PossibleRepeatsWithin, neither naming the other in
	// `related`, the latest first, at most Options.RepeatsLimit.
	PossibleRepeats        []PossibleRepeat
	PossibleRepeatsDropped int
	// LabelLimit bounds a reason as a label (Options.LabelLimit).
	LabelLimit int
}

// PeriodQuality is the quality bar of the post-mortems published in one
// calendar period.
type PeriodQuality struct {
	Findings  map[string]int // by rule
	Published int            // post-mortems published in the period
	Passing   int            // of them, those with no finding: they pass the bar
}

// Finding is one finding on one post-mortem: the list the forum reads.
type Finding struct {
	Incident, Team, Rule string
	// Item is the id of the action item the finding is about, "" when it
	// is about the record.
	Item, Reason string
	StartedAt    time.Time
}

// PossibleRepeat is an incident that may repeat an earlier one: the
// forum confirms it (and the author adds `related`) or not.
type PossibleRepeat struct {
	Incident, Team, Earlier, Service, Origin string
	StartedAt                                time.Time
}

// DefaultFindingsLimit is how many findings are listed when Options leave
// the limit at 0.
const DefaultFindingsLimit = 100

// DefaultPossibleRepeatsWithin is the span of a possible repeat when
// Options leave it at 0.
const DefaultPossibleRepeatsWithin = 30 * 24 * time.Hour

// UnknownOrigin is the origin that says nothing: two incidents of unknown
// origin are no possible repeat.
const UnknownOrigin = "unknown"

// qualityDetail computes the QualityDetail of the valid records.
func (b *Builder) qualityDetail(res record.Result) *QualityDetail {
	d := &QualityDetail{ByWindow: make([]map[string]int, len(b.s.Windows)), ByPeriod: make([]PeriodQuality, len(b.periods)), LabelLimit: b.opts.LabelLimit}
	for i := range d.ByWindow {
		d.ByWindow[i] = map[string]int{}
	}
	for i := range d.ByPeriod {
		d.ByPeriod[i].Findings = map[string]int{}
	}
	longest := len(b.s.Windows) - 1
	type listed struct {
		r *record.Record
		f record.Problem
	}
	var list []listed
	for _, r := range res.Valid {
		if r.StartedAt.After(b.s.AsOf) {
			continue
		}
		findings := res.Verdict(r).Findings
		for i, w := range b.s.Windows {
			if w.Window.Contains(r.StartedAt, b.s.AsOf) {
				d.ByWindow[i][r.Team] += len(findings)
			}
		}
		if p := PeriodOf(b.periods, r.PublishedAt); r.Status == record.StatusPublished && !r.PublishedAt.After(b.s.AsOf) && p >= 0 {
			pq := &d.ByPeriod[p]
			pq.Published++
			pq.Passing += boolCount(len(findings) == 0)
			for _, f := range findings {
				pq.Findings[f.Rule]++
			}
		}
		if longest < 0 || !b.s.Windows[longest].Window.Contains(r.StartedAt, b.s.AsOf) {
			continue
		}
		for _, f := range findings {
			list = append(list, listed{r, f})
		}
	}
	slices.SortStableFunc(list, func(a, c listed) int {
		return cmp.Or(c.r.StartedAt.Compare(a.r.StartedAt), cmp.Compare(a.r.ID, c.r.ID))
	})
	list, d.FindingsDropped = capList(list, cmp.Or(b.opts.FindingsLimit, DefaultFindingsLimit))
	for _, l := range list {
		// The item by its id, unless the item is left out of the metrics
		// (its id may be what is wrong with it).
		item := ""
		if i, ok := l.f.Item(); ok && i < len(l.r.ActionItems) && res.Verdict(l.r).ItemCounts(i) {
			item = l.r.ActionItems[i].ID
		}
		d.Findings = append(d.Findings, Finding{Incident: l.r.ID, Team: l.r.Team, Rule: l.f.Rule, Item: item,
			Reason: res.Reason(l.r, l.f), StartedAt: l.r.StartedAt})
	}
	d.PossibleRepeats, d.PossibleRepeatsDropped = capList(b.possibleRepeats(res.Valid), cmp.Or(b.opts.RepeatsLimit, DefaultRepeatsLimit))
	return d
}

// possibleRepeats finds the possible repeats (QualityDetail.PossibleRepeats),
// the latest first.
func (b *Builder) possibleRepeats(valid []*record.Record) []PossibleRepeat {
	within := cmp.Or(b.opts.PossibleRepeatsWithin, DefaultPossibleRepeatsWithin)
	type serviceOrigin struct{ service, origin string }
	byKey := map[serviceOrigin][]*record.Record{}
	for _, r := range valid {
		if r.Origin == "" || r.Origin == UnknownOrigin || r.StartedAt.After(b.s.AsOf) {
			continue
		}
		for _, svc := range r.LabelServices() {
			k := serviceOrigin{svc, r.Origin}
			byKey[k] = append(byKey[k], r)
		}
	}
	longest := len(b.s.Windows) - 1
	var out []PossibleRepeat
	for k, rs := range byKey {
		slices.SortFunc(rs, func(a, c *record.Record) int {
			return cmp.Or(a.StartedAt.Compare(c.StartedAt), cmp.Compare(a.ID, c.ID))
		})
		for i, r := range rs {
			if longest < 0 || !b.s.Windows[longest].Window.Contains(r.StartedAt, b.s.AsOf) {
				continue
			}
			for j := i - 1; j >= 0 && r.StartedAt.Sub(rs[j].StartedAt) <= within; j-- {
				e := rs[j]
				if !e.StartedAt.Before(r.StartedAt) || slices.Contains(r.Related, e.ID) || slices.Contains(e.Related, r.ID) {
					continue
				}
				out = append(out, PossibleRepeat{Incident: r.ID, Team: r.Team, Earlier: e.ID, Service: k.service, Origin: k.origin, StartedAt: r.StartedAt})
			}
		}
	}
	slices.SortFunc(out, func(a, c PossibleRepeat) int {
		return cmp.Or(c.StartedAt.Compare(a.StartedAt), cmp.Compare(a.Incident, c.Incident), cmp.Compare(a.Earlier, c.Earlier), cmp.Compare(a.Service, c.Service))
	})
	// A pair that shares several services is listed once, under the
	// first of them.
	return slices.CompactFunc(out, func(a, c PossibleRepeat) bool { return a.Incident == c.Incident && a.Earlier == c.Earlier })
}

// capList keeps the first limit entries of list and says how many it
// left out.
func capList[T any](list []T, limit int) ([]T, int) {
	if len(list) <= limit {
		return list, 0
	}
	return list[:limit], len(list) - limit
}
