package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

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
		q.Unpublished = append(q.Unpublished, postMortem(it))
	}
	for _, it := range s.PublishedLate {
		q.Late = append(q.Late, postMortem(it))
	}
	return q
}
