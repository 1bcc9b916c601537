package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Quality is the fourth section: the bar the post-mortems are held to.
type Quality struct {
	// FindingsScope is that of the findings, the finding list and the
	// pending counts; PeriodsScope of the bar per period; ListScope of the
	// lists of post-mortems; InvalidScope of the invalid records.
	FindingsScope, PeriodsScope, ListScope, InvalidScope Scope
	// Invalid lists the problems that make records invalid (left out of
	// every figure), by team and file, at most MaxInvalidListed.
	Invalid        []record.Problem
	InvalidDropped int
	// Findings are the counts per team, most first; Rules the counts per
	// rule over the teams, most first, each rule in words
	// (record.RuleTitle).
	Findings []TeamFindings
	Rules    []Count
	// Detailed tells whether the source gives the bar per window, period
	// and post-mortem (snapshot.QualityDetail): then InWindow is set on
	// Findings, and Periods and List are filled.
	Detailed bool
	// Periods are the post-mortems published per calendar period, oldest
	// first, and how many of them pass the bar.
	Periods []PeriodBar
	// List is each finding on the post-mortems of the incidents started
	// in the longest window, the latest first; ListDropped how many the
	// limit left out.
	List        []FindingRow
	ListDropped int
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

// TeamFindings are a team's findings: all of them, those on the
// post-mortems of its incidents started in the report's window, and how
// many per rule in words ("no moderator 2, published late 1").
type TeamFindings struct {
	Team     string
	Total    int
	InWindow int
	ByRule   string
}

// PeriodBar are the post-mortems published in one period and the share
// of them with no finding.
type PeriodBar struct {
	Period             string
	Published, Passing int
	Share              float64
}

// FindingRow is one finding on one post-mortem: post-mortem, rule (in
// words), action item and reason.
type FindingRow struct {
	Incident, Title, Team, Rule, Item, Reason string
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

func quality(s *snapshot.Snapshot, window string, f Filters) Quality {
	q := Quality{LateListed: s.PublishedLate != nil, UnpublishedDropped: s.UnpublishedDropped, LateDropped: s.PublishedLateDropped,
		FindingsScope: f.scope(true, false), PeriodsScope: f.scope(false, false), ListScope: f.scope(true, true), InvalidScope: f.scope(true, false)}
	for _, p := range s.Problems {
		if f.keepsTeam(p.Team) {
			q.Invalid = append(q.Invalid, p)
		}
	}
	slices.SortStableFunc(q.Invalid, func(a, b record.Problem) int {
		return cmp.Or(cmp.Compare(a.Team, b.Team), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line))
	})
	q.Invalid, q.InvalidDropped = capList(q.Invalid, MaxInvalidListed)
	q.Findings, q.Rules = findings(s, f)
	if d := s.QualityDetail; d != nil {
		q.Detailed, q.ListDropped = true, d.FindingsDropped
		if i := slices.IndexFunc(s.Windows, func(w snapshot.WindowStats) bool { return w.Window.Name == window }); i >= 0 {
			for j := range q.Findings {
				q.Findings[j].InWindow = d.ByWindow[i][q.Findings[j].Team]
			}
		}
		for i, p := range d.ByPeriod {
			q.Periods = append(q.Periods, PeriodBar{Period: s.Periods[i].Period.Name, Published: p.Published, Passing: p.Passing, Share: share(p.Passing, p.Published)})
		}
		for _, fd := range d.Findings {
			if !f.keepsTeam(fd.Team) {
				continue
			}
			q.List = append(q.List, FindingRow{Incident: fd.Incident, Title: title(s, fd.Incident), Team: fd.Team, Rule: record.RuleTitle(fd.Rule), Item: fd.Item, Reason: fd.Reason})
		}
	}

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

// findings counts the findings per team the filters keep, most first,
// each with its rules in words, and per rule over those teams, most
// first.
func findings(s *snapshot.Snapshot, f Filters) ([]TeamFindings, []Count) {
	byRule := map[string]int{}
	byTeam := map[string]map[string]int{}
	for k, n := range s.Findings {
		if n <= 0 || !f.keepsTeam(k.Team) {
			continue
		}
		byRule[record.RuleTitle(k.Value)] += n
		if byTeam[k.Team] == nil {
			byTeam[k.Team] = map[string]int{}
		}
		byTeam[k.Team][record.RuleTitle(k.Value)] += n
	}
	teams := make([]TeamFindings, 0, len(byTeam))
	for team, rules := range byTeam {
		tf := TeamFindings{Team: team}
		var parts []string
		for _, rule := range sortedByCount(rules) {
			tf.Total += rules[rule]
			parts = append(parts, fmt.Sprintf("%s %d", rule, rules[rule]))
		}
		tf.ByRule = strings.Join(parts, ", ")
		teams = append(teams, tf)
	}
	slices.SortFunc(teams, func(a, b TeamFindings) int { return cmp.Or(cmp.Compare(b.Total, a.Total), cmp.Compare(a.Team, b.Team)) })
	return teams, counts(byRule, false)
}
