package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Quality is the fourth section: the bar the post-mortems are held to.
type Quality struct {
	// FindingsScope is that of the findings and the pending counts;
	// ListScope of the lists of post-mortems; InvalidScope of the
	// invalid records.
	FindingsScope, ListScope, InvalidScope Scope
	// Invalid lists the problems that make records invalid (left out of
	// every figure), by team and file, at most MaxInvalidListed.
	Invalid        []record.Problem
	InvalidDropped int
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

// MaxInvalidListed bounds the invalid records' problems the report lists.
const MaxInvalidListed = 1000

func quality(s *snapshot.Snapshot, f Filters) Quality {
	q := Quality{LateListed: s.PublishedLate != nil, UnpublishedDropped: s.UnpublishedDropped, LateDropped: s.PublishedLateDropped,
		FindingsScope: f.scope(true, false), ListScope: f.scope(true, true), InvalidScope: f.scope(true, false)}
	for _, p := range s.Problems {
		if f.keepsTeam(p.Team) {
			q.Invalid = append(q.Invalid, p)
		}
	}
	slices.SortStableFunc(q.Invalid, func(a, b record.Problem) int {
		return cmp.Or(cmp.Compare(a.Team, b.Team), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line))
	})
	q.Invalid, q.InvalidDropped = capList(q.Invalid, MaxInvalidListed)
	byRule := map[string]int{}
	teams := map[string]*TeamFindings{}
	for k, n := range s.Findings {
		if n > 0 && f.keepsTeam(k.Team) {
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
		if p.Count == 0 || !f.keepsTeam(k.Team) {
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
		pm := PostMortem{ID: it.ID, Title: title(s, it.ID), Team: it.Team, Severity: it.Severity, Status: it.Status, URL: it.URL}
		if !it.ResolvedAt.IsZero() {
			pm.Age = s.AsOf.Sub(it.ResolvedAt)
			if !it.PublishedAt.IsZero() {
				pm.Delay = it.PublishedAt.Sub(it.ResolvedAt)
			}
		}
		return pm
	}
	for _, it := range s.Unpublished {
		if f.keeps(it.Team, it.Severity) {
			q.Unpublished = append(q.Unpublished, postMortem(it))
		}
	}
	for _, it := range s.PublishedLate {
		if f.keeps(it.Team, it.Severity) {
			q.Late = append(q.Late, postMortem(it))
		}
	}
	return q
}

// capList returns the first limit elements of list and how many it left
// out.
func capList[T any](list []T, limit int) ([]T, int) {
	if len(list) > limit {
		return list[:limit], len(list) - limit
	}
	return list, 0
}

// location names where a problem is: the file and line, or the row.
func location(p record.Problem) string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.Path, p.Line)
	}
	return p.Path
}
