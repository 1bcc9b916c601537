package snapshot

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Quality holds the aggregates of the quality bar (docs/quality.md).
type Quality struct {
	// Findings counts the findings of the valid records by their team
	// and rule (TeamValue.Value).
	Findings map[TeamValue]int
	// RepeatsAfterFix counts, per window and team, the incidents that
	// repeat an earlier one whose action items were all closed when they
	// started (the fix did not work), and none whose items were still
	// open (those are IncidentStats.Repeat: the fix was not done).
	RepeatsAfterFix []map[string]int
	// Repeats lists which incident repeats which, for the incidents
	// started in the longest window, the latest first, at most the limit.
	Repeats []Repeat
	// RepeatsDropped is how many pairs the limit left out.
	RepeatsDropped int
	// QualityDetail is the bar per post-mortem, window and period; nil
	// when the source gives neither whole records nor ListStored.
	QualityDetail *QualityDetail
}

// Repeat is an incident that repeats an earlier one.
type Repeat struct {
	Incident, Team, Earlier string
	StartedAt               time.Time
	// FixDone says the earlier incident's action items were all done or
	// declined when this one started; otherwise some were still open.
	FixDone bool
}

// The two kinds of repeat in words, as the report and the dashboards
// name them (as titles: capitalised).
const (
	// RepeatFixNotDone: the earlier incident's action items were still
	// open (postmortem_repeat_incidents, Repeat.FixDone false).
	RepeatFixNotDone = "Repeated: fix not done"
	// RepeatDespiteFix: they were all closed, and the incident came back
	// (postmortem_repeat_incidents_after_fix, Repeat.FixDone true).
	RepeatDespiteFix = "Repeated despite the fix"
)

// DefaultRepeatsLimit is how many repeats are listed when Options leave
// the limit at 0.
const DefaultRepeatsLimit = 100

func newQuality() Quality {
	return Quality{Findings: map[TeamValue]int{}}
}

// addFindings counts findings by their team and rule.
func (b *Builder) addFindings(findings ...record.Problem) {
	for _, f := range findings {
		b.s.Findings[TeamValue{f.Team, f.Rule}]++
	}
}

// AddRepeats adds r's repeats of earlier incidents (see RepeatsOf).
func (b *Builder) AddRepeats(r *record.Record, repeats []Repeat) {
	if len(repeats) == 0 || r.StartedAt.After(b.s.AsOf) {
		return
	}
	b.initRepeatsAfterFix()
	afterFix := !slices.ContainsFunc(repeats, func(rp Repeat) bool { return !rp.FixDone })
	listed := false
	for i, w := range b.s.Windows {
		if !w.Window.Contains(r.StartedAt, b.s.AsOf) {
			continue
		}
		listed = true
		if afterFix {
			b.s.RepeatsAfterFix[i][r.Team]++
		}
	}
	if listed {
		b.s.Repeats = append(b.s.Repeats, repeats...)
	}
}

// initRepeatsAfterFix makes the per-window counts once.
func (b *Builder) initRepeatsAfterFix() {
	if len(b.s.RepeatsAfterFix) == len(b.s.Windows) {
		return
	}
	b.s.RepeatsAfterFix = make([]map[string]int, len(b.s.Windows))
	for i := range b.s.RepeatsAfterFix {
		b.s.RepeatsAfterFix[i] = map[string]int{}
	}
}

// RepeatsOf returns the incidents r repeats: each related incident that
// started before r and had action items by then, with whether they were
// all closed (the fix was done) or some still open. byID holds the valid
// records, and verdicts tell which of their items count
// (record.Result.Verdict).
func RepeatsOf(r *record.Record, byID map[string]*record.Record, verdicts func(*record.Record) record.Verdict) []Repeat {
	var out []Repeat
	for _, id := range r.Related {
		earlier, ok := byID[id]
		if !ok || !earlier.StartedAt.Before(r.StartedAt) {
			continue
		}
		open, closed := 0, 0
		v := verdicts(earlier)
		for i, a := range earlier.ActionItems {
			switch {
			case !v.ItemCounts(i) || a.CreatedAt.After(r.StartedAt):
			case a.OpenAt(r.StartedAt):
				open++
			default:
				closed++
			}
		}
		if rp, ok := NewRepeat(r, id, open, closed); ok {
			out = append(out, rp)
		}
	}
	return out
}

// NewRepeat classifies a repeat of earlier from how many of its action
// items were open and closed when r started; with none it is no repeat.
func NewRepeat(r *record.Record, earlier string, open, closed int) (Repeat, bool) {
	if open+closed == 0 {
		return Repeat{}, false
	}
	return Repeat{Incident: r.ID, Team: r.Team, Earlier: earlier, StartedAt: r.StartedAt, FixDone: open == 0}, true
}

// addQuality counts the findings and repeats of the valid records.
func (b *Builder) addQuality(res record.Result, byID map[string]*record.Record) {
	for _, r := range res.Valid {
		b.AddRepeats(r, RepeatsOf(r, byID, res.Verdict))
		// The record's own findings: those of a file served in its last
		// valid version (files.Source) are that version's.
		b.addFindings(res.Verdict(r).Findings...)
	}
}

// finishQuality orders and caps the repeats list, and gives every team
// with incidents a repeats-after-fix series in every window.
func (b *Builder) finishQuality() {
	s := b.s
	dropZeros(s.Findings)
	slices.SortFunc(s.Repeats, func(a, c Repeat) int {
		return cmp.Or(c.StartedAt.Compare(a.StartedAt), cmp.Compare(a.Incident, c.Incident), cmp.Compare(a.Earlier, c.Earlier))
	})
	limit := b.opts.RepeatsLimit
	if limit == 0 {
		limit = DefaultRepeatsLimit
	}
	if len(s.Repeats) > limit {
		s.RepeatsDropped = len(s.Repeats) - limit
		s.Repeats = s.Repeats[:limit]
	}
	b.initRepeatsAfterFix()
	for _, w := range s.Windows {
		for k, st := range w.Incidents {
			if st.Count == 0 {
				continue
			}
			for i := range s.RepeatsAfterFix {
				s.RepeatsAfterFix[i][k.Team] += 0
			}
		}
	}
}
