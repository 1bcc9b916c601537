package record

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Result is the outcome of checking a set of records.
type Result struct {
	// Valid records, sorted by path: their incident core is sound, and
	// they are served whatever their findings.
	Valid []*Record
	// Invalid records as far as they could be read, sorted by path. They
	// are not served, but what they hold (e.g. unowned items) is counted.
	Invalid []*Record
	// Problems of the incident core: of the invalid records and of files
	// that held no record.
	Problems []Problem
	// Findings of the quality rules on every record read, valid or not,
	// with their severity (rules that are off find nothing).
	Findings []Problem
	// verdicts holds the verdict of each record that has findings.
	verdicts map[*Record]Verdict
	// quality is the configuration the records were checked with.
	quality Quality
}

// Verdict is what a check found on one record besides the problems of
// its incident core: its findings, and the action items they leave out
// of the action item metrics. It is the check's, never written into the
// record: the same record checked under other rules gets another.
type Verdict struct {
	// Findings of the quality rules on the record, a part of
	// Result.Findings.
	Findings []Problem
	// itemsOut are the indexes of the action items with a field_invalid
	// finding, in order.
	itemsOut []int
}

// ItemCounts reports whether the action item at index i counts in the
// action item metrics: it has no field_invalid finding, which reports it
// instead while its incident counts.
func (v Verdict) ItemCounts(i int) bool { return !slices.Contains(v.itemsOut, i) }

// ItemID is the id of r's action item that finding f is about, as the
// findings are listed: "" when f is about the record, or when the item is
// left out of the metrics (its id may be what is wrong with it).
func (v Verdict) ItemID(r *Record, f Problem) string {
	if i, ok := f.Item(); ok && i < len(r.ActionItems) && v.ItemCounts(i) {
		return r.ActionItems[i].ID
	}
	return ""
}

// Checked is a record with the verdict of its check: what import stores.
type Checked struct {
	*Record
	Verdict Verdict
}

// ValidChecked returns the valid records with their verdicts, in order.
func (res Result) ValidChecked() []Checked {
	out := make([]Checked, len(res.Valid))
	for i, r := range res.Valid {
		out[i] = Checked{r, res.Verdict(r)}
	}
	return out
}

// Verdict returns what the check found on r, one of its records.
func (res Result) Verdict(r *Record) Verdict { return res.verdicts[r] }

// AddValid adds a record checked on its own (Judge) to the valid ones,
// with its verdict, keeping them sorted by path: the last valid version
// of a file that turned invalid.
func (res *Result) AddValid(r *Record, v Verdict) {
	i, _ := slices.BinarySearchFunc(res.Valid, r.Path, func(x *Record, path string) int { return strings.Compare(x.Path, path) })
	res.Valid = slices.Insert(res.Valid, i, r)
	if v.Findings != nil || v.itemsOut != nil {
		if res.verdicts == nil {
			res.verdicts = map[*Record]Verdict{}
		}
		res.verdicts[r] = v
	}
}

// Check validates each record against the rules and the set against
// itself (duplicate ids, unknown related incidents). problems are those
// already found while reading. A record with a problem of its incident
// core is invalid; every other problem is a finding of a quality rule,
// and its record stays valid.
func Check(records []*Record, problems []Problem, rules Rules) Result {
	return check(records, problems, rules, true)
}

// Judge checks one record on its own, as Check does but without comparing
// it with others: the problems of its incident core and its verdict.
func Judge(r *Record, rules Rules) ([]Problem, Verdict) {
	res := check([]*Record{r}, nil, rules, false)
	return res.Problems, res.Verdict(r)
}

func check(records []*Record, problems []Problem, rules Rules, set bool) Result {
	sort.SliceStable(records, func(i, j int) bool { return records[i].Path < records[j].Path })
	for _, r := range records {
		r.applyDefaults()
		problems = append(problems, Validate(r, rules)...)
	}
	if set {
		problems = append(problems, checkSet(records)...)
	}
	core, findings := classify(records, problems, rules.Quality, rules.CountFindings)

	badPaths := map[string]bool{}
	for _, p := range core {
		badPaths[p.Path] = true
	}
	var res Result
	for _, r := range records {
		if badPaths[r.Path] {
			res.Invalid = append(res.Invalid, r)
		} else {
			res.Valid = append(res.Valid, r)
		}
	}
	sortProblems(core)
	sortProblems(findings)
	res.Problems, res.Findings = core, findings
	res.verdicts = verdicts(records, findings)
	res.quality = rules.Quality.orDefault()
	return res
}

// verdicts gives each record with findings its verdict: the run of
// findings with its path. records and findings are both sorted by path,
// and each verdict's Findings is a part of findings, not a copy: a
// repository older than its quality rules has a few findings per record,
// 0.25 KB each.
func verdicts(records []*Record, findings []Problem) map[*Record]Verdict {
	out := map[*Record]Verdict{}
	i := 0
	for _, r := range records {
		for i < len(findings) && findings[i].Path < r.Path {
			i++
		}
		j := i
		var v Verdict
		for ; j < len(findings) && findings[j].Path == r.Path; j++ {
			if item, _ := findings[j].Item(); findings[j].leavesItemOut() && !slices.Contains(v.itemsOut, item) {
				v.itemsOut = append(v.itemsOut, item)
			}
		}
		if j > i {
			v.Findings = findings[i:j:j] // an append to it cannot reach the next record's
			slices.Sort(v.itemsOut)
			out[r] = v
		}
		i = j
	}
	return out
}

// Errors counts the findings of severity error.
func (res Result) Errors() int {
	n := 0
	for _, f := range res.Findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

func sortProblems(problems []Problem) {
	sort.SliceStable(problems, func(i, j int) bool {
		if problems[i].Path != problems[j].Path {
			return problems[i].Path < problems[j].Path
		}
		return problems[i].Line < problems[j].Line
	})
}

// applyDefaults fills the fields that default to others.
func (r *Record) applyDefaults() {
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		if a.Team == "" {
			a.Team = r.Team
		}
		// An item defaults to being created at publication, or at detection
		// when the post-mortem is not published or the item was closed
		// before it was (a fix made during the incident).
		if a.CreatedAt.IsZero() {
			a.CreatedAt = r.PublishedAt
			if a.CreatedAt.IsZero() || a.ClosedAt.Before(a.CreatedAt) && !a.ClosedAt.IsZero() {
				a.CreatedAt = r.DetectedAt
			}
		}
	}
}

// Validate checks one record on its own against the rules of the model,
// the taxonomy and the limits; Check also compares records with each other.
func Validate(r *Record, rules Rules) []Problem {
	tax := rules.Taxonomy
	v := &validator{r: r}
	v.labels(r, rules.Limits)
	v.enum("severity", r.Severity, tax.Severities)
	v.enum("origin", r.Origin, tax.Origins)
	v.enum("detection", r.Detection, tax.Detections)
	v.enum("resolution", r.Resolution, tax.Resolutions)
	v.enum("status", r.Status, ReviewStatuses)
	if r.Resolved() && r.Resolution == "" {
		v.add("resolution", CodeMissingField, "required once resolved_at is set")
	}
	if r.Status == StatusPublished && r.PublishedAt.IsZero() && !v.has("published_at") {
		v.add("published_at", CodeMissingField, "required when status is published")
	}
	v.notBefore("detected_at", r.DetectedAt, "started_at", r.StartedAt)
	v.acknowledged(r)
	v.notBefore("mitigated_at", r.MitigatedAt, "started_at", r.StartedAt)
	v.notBefore("resolved_at", r.ResolvedAt, "started_at", r.StartedAt)
	v.notBefore("resolved_at", r.ResolvedAt, "mitigated_at", r.MitigatedAt)
	v.notBefore("published_at", r.PublishedAt, "started_at", r.StartedAt)
	for i := range r.ActionItems {
		v.in(itemScope(i), func() { v.item(fmt.Sprintf("action_items[%d].", i), &r.ActionItems[i]) })
	}
	v.plausible(r, rules)
	v.storable(r)
	v.names(r, rules)
	return v.problems
}

type validator struct {
	r        *Record
	problems []Problem
	scope    scope // what the problems raised now are
}

// in runs fn with the problems it raises in sc.
func (v *validator) in(sc scope, fn func()) {
	outer := v.scope
	v.scope = sc
	defer func() { v.scope = outer }()
	fn()
}

func (v *validator) add(field string, code Code, format string, args ...any) {
	p := v.scope.problem(v.r.Path, v.r.LineOf(field), field, code, format, args...)
	p.Team = v.r.LabelTeam()
	v.problems = append(v.problems, p)
}

// has reports whether the field was written at all (possibly unparsable).
func (v *validator) has(field string) bool {
	return v.r.wrote(field)
}

func (v *validator) enum(field, value string, allowed []string) {
	if value != "" && !slices.Contains(allowed, value) {
		v.add(field, CodeInvalidValue, "unknown value %q (allowed: %s)", value, strings.Join(allowed, ", "))
	}
}

func (v *validator) notBefore(field string, t time.Time, otherField string, other time.Time) {
	if !t.IsZero() && !other.IsZero() && t.Before(other) {
		v.add(field, CodeTimeOrder, "%s is before %s (%s)", t.Format(time.RFC3339), otherField, other.Format(time.RFC3339))
	}
}

// acknowledged checks that acknowledged_at lies between detection and
// the first of mitigation and resolution that is set.
func (v *validator) acknowledged(r *Record) {
	v.notBefore("acknowledged_at", r.AcknowledgedAt, "detected_at", r.DetectedAt)
	for _, later := range []struct {
		field string
		t     time.Time
	}{{"mitigated_at", r.MitigatedAt}, {"resolved_at", r.ResolvedAt}} {
		if !later.t.IsZero() && r.AcknowledgedAt.After(later.t) {
			v.add("acknowledged_at", CodeTimeOrder, "%s is after %s (%s)", r.AcknowledgedAt.Format(time.RFC3339), later.field, later.t.Format(time.RFC3339))
			return
		}
	}
}

func (v *validator) item(prefix string, a *ActionItem) {
	v.enum(prefix+"status", a.Status, ItemStatuses)
	closed := a.Status == ItemDone || a.Status == ItemWontDo
	switch {
	case closed && a.ClosedAt.IsZero() && !v.has(prefix+"closed_at"):
		v.add(prefix+"closed_at", CodeMissingField, "required when status is %s", a.Status)
	case a.Status == ItemOpen && !a.ClosedAt.IsZero():
		v.add(prefix+"closed_at", CodeInvalidValue, "an open action item has no closed_at")
	}
	v.notBefore(prefix+"closed_at", a.ClosedAt, prefix+"created_at", a.CreatedAt)
}

// checkSet finds duplicate ids (the later file in path order is invalid),
// duplicate action item ids and related ids that name no record.
func checkSet(records []*Record) []Problem {
	var problems []Problem
	add := func(r *Record, field string, code Code, format string, args ...any) {
		problems = append(problems, scope{}.problem(r.Path, r.LineOf(field), field, code, format, args...))
	}
	n := 0
	for _, r := range records {
		n += len(r.ActionItems)
	}
	incidents := make(map[string]*Record, len(records)) // sized once: 100,000 records hold 500,000 items
	items := make(map[string]*Record, n)
	for _, r := range records {
		if r.ID != "" {
			if first, dup := incidents[r.ID]; dup {
				add(r, "id", CodeDuplicateID, "id %q is already used by %s", r.ID, first.Path)
			} else {
				incidents[r.ID] = r
			}
		}
		for i, a := range r.ActionItems {
			if a.ID == "" {
				continue
			}
			if first, dup := items[a.ID]; dup {
				add(r, fmt.Sprintf("action_items[%d].id", i), CodeDuplicateID, "action item id %q is already used by %s", a.ID, first.Path)
			} else {
				items[a.ID] = r
			}
		}
	}
	for _, r := range records {
		for i, id := range r.Related {
			field := fmt.Sprintf("related[%d]", i)
			if _, ok := incidents[id]; !ok || id == r.ID {
				add(r, field, CodeUnknownRelated, "no other incident has id %q", id)
			}
		}
	}
	return problems
}

// Amendment is a change to a valid record made after Check by others'
// knowledge of it (the tickets' states): the record at Index is replaced
// by Record, a copy of it (Record.Clone), and gets Findings, raised
// outside Check (Record.ItemFinding).
type Amendment struct {
	Index    int
	Record   *Record
	Findings []Problem
}

// Amend applies the amendments. Each finding takes its rule's severity
// under q, a rule that is off drops it, and counted keeps only what
// counting it needs, as Check does, and its message, which the rules
// cannot give again (Result.Reason). The records replaced are left as they
// were read: a source that keeps its records between refreshes keeps the
// records' own values.
func (res *Result) Amend(amendments []Amendment, q Quality, counted bool) {
	for _, a := range amendments {
		old := res.Valid[a.Index]
		v := res.verdicts[old]
		delete(res.verdicts, old)
		v.Findings = slices.Clip(v.Findings) // an append must not reach the next record's
		for _, f := range a.Findings {
			if f.Severity = q.SeverityOf(f.Rule); f.Severity == SeverityOff {
				continue
			}
			if counted {
				// It keeps its message: Reason cannot give it again from
				// the rules, and a record has few such findings.
				f = Problem{Path: f.Path, Rule: f.Rule, Severity: f.Severity, Team: f.Team, item: f.item, Message: f.Message}
			}
			v.Findings = append(v.Findings, f)
			res.Findings = append(res.Findings, f)
		}
		res.Valid[a.Index] = a.Record
		if v.Findings != nil || v.itemsOut != nil {
			if res.verdicts == nil {
				res.verdicts = map[*Record]Verdict{}
			}
			res.verdicts[a.Record] = v
		}
	}
	sortProblems(res.Findings)
}
