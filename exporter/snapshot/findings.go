package snapshot

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// QualityDetail is the quality bar per post-mortem, per window and per
// calendar period: FromRecords computes it from whole records (the file
// source), ListStored from the findings a source stored (PostgreSQL).
type QualityDetail struct {
	// ByWindow counts, per window, the findings of the post-mortems of
	// the incidents started in it, by team; every team with an incident
	// in the window has a count, 0 included.
	ByWindow []map[string]int
	// ByPeriod are, per calendar period, the post-mortems published in it.
	ByPeriod []PeriodQuality
	// Findings lists the findings of the post-mortems of the incidents
	// started in the longest window, the latest incident first (then by
	// incident id, rule and item), at most
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
	d := b.newQualityDetail()
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
		rules := make([]string, len(findings))
		for i, f := range findings {
			rules[i] = f.Rule
		}
		if b.countPostMortem(d, r, rules) {
			for _, f := range findings {
				list = append(list, listed{r, f})
			}
		}
	}
	list, d.FindingsDropped = latestFirst(list, func(l listed) Finding {
		return Finding{Incident: l.r.ID, Rule: l.f.Rule, Item: res.Verdict(l.r).ItemID(l.r, l.f), StartedAt: l.r.StartedAt}
	}, b.opts.FindingsLimit)
	for _, l := range list {
		d.Findings = append(d.Findings, Finding{Incident: l.r.ID, Team: l.r.Team, Rule: l.f.Rule, Item: res.Verdict(l.r).ItemID(l.r, l.f),
			Reason: res.Reason(l.r, l.f), StartedAt: l.r.StartedAt})
	}
	d.PossibleRepeats, d.PossibleRepeatsDropped = capList(b.possibleRepeats(res.Valid), cmp.Or(b.opts.RepeatsLimit, DefaultRepeatsLimit))
	return d
}

// StoredPostMortem is a valid incident as a source that stores the
// findings (PostgreSQL: import computed them) reads it back: its ID,
// Team, Severity, Origin, Resolution, Services, Related, StartedAt,
// ResolvedAt, Status and PublishedAt, and its findings (Rule, Item,
// Reason; the rest is the record's).
type StoredPostMortem struct {
	Record   *record.Record
	Findings []Finding
}

// ListStored gives a source that reads its records back in part what
// FromRecords computes from whole records: the QualityDetail, the
// incidents per service and origin by resolution (ListAgenda with
// crossed). stored must hold every valid incident started by AsOf in the
// longest window or up to Options.PossibleRepeatsWithin before it, and
// every one whose post-mortem was published in the periods.
func (b *Builder) ListStored(stored []StoredPostMortem) {
	b.ListAgenda(true)
	d := b.newQualityDetail()
	var list []Finding
	records := make([]*record.Record, len(stored))
	for i, pm := range stored {
		r := pm.Record
		records[i] = r
		b.countOriginResolution(r)
		b.countServices(r)
		rules := make([]string, len(pm.Findings))
		for j, f := range pm.Findings {
			rules[j] = f.Rule
		}
		if b.countPostMortem(d, r, rules) {
			for _, f := range pm.Findings {
				f.Incident, f.Team, f.StartedAt = r.ID, r.Team, r.StartedAt
				list = append(list, f)
			}
		}
	}
	d.Findings, d.FindingsDropped = latestFirst(list, func(f Finding) Finding { return f }, b.opts.FindingsLimit)
	d.PossibleRepeats, d.PossibleRepeatsDropped = capList(b.possibleRepeats(records), cmp.Or(b.opts.RepeatsLimit, DefaultRepeatsLimit))
	b.s.QualityDetail = d
}

func (b *Builder) newQualityDetail() *QualityDetail {
	d := &QualityDetail{ByWindow: make([]map[string]int, len(b.s.Windows)), ByPeriod: make([]PeriodQuality, len(b.periods)), LabelLimit: b.opts.labelLimit()}
	for i := range d.ByWindow {
		d.ByWindow[i] = map[string]int{}
	}
	for i := range d.ByPeriod {
		d.ByPeriod[i].Findings = map[string]int{}
	}
	return d
}

// countPostMortem counts r's findings (their rules) in every window r
// started in, and in the period its post-mortem was published in; it
// reports whether r started in the longest window, where its findings
// are listed.
func (b *Builder) countPostMortem(d *QualityDetail, r *record.Record, rules []string) bool {
	for i, w := range b.s.Windows {
		if w.Window.Contains(r.StartedAt, b.s.AsOf) {
			d.ByWindow[i][r.Team] += len(rules)
		}
	}
	if p := PeriodOf(b.periods, r.PublishedAt); r.Status == record.StatusPublished && !r.PublishedAt.After(b.s.AsOf) && p >= 0 {
		pq := &d.ByPeriod[p]
		pq.Published++
		pq.Passing += boolCount(len(rules) == 0)
		for _, rule := range rules {
			pq.Findings[rule]++
		}
	}
	longest := len(b.s.Windows) - 1
	return longest >= 0 && b.s.Windows[longest].Window.Contains(r.StartedAt, b.s.AsOf)
}

// latestFirst orders the findings by their incident's start, the latest
// first, then by the incident's id, rule and action item, and keeps the
// first limit (0: DefaultFindingsLimit). key gives a finding's incident,
// start, rule and item.
func latestFirst[T any](list []T, key func(T) Finding, limit int) ([]T, int) {
	slices.SortFunc(list, func(a, c T) int {
		x, y := key(a), key(c)
		return cmp.Or(y.StartedAt.Compare(x.StartedAt), cmp.Compare(x.Incident, y.Incident), cmp.Compare(x.Rule, y.Rule), cmp.Compare(x.Item, y.Item))
	})
	return capList(list, cmp.Or(limit, DefaultFindingsLimit))
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
