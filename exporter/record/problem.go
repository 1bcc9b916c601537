package record

import "fmt"

// Code classifies why a record is invalid. It is the `reason` label of
// postmortem_records_invalid, so the set is small and fixed.
type Code string

// The reasons a record can be invalid.
const (
	CodeReadError        Code = "read_error"
	CodeTooLarge         Code = "too_large"
	CodeMalformed        Code = "malformed"
	CodeMissingField     Code = "missing_field"
	CodeUnknownField     Code = "unknown_field"
	CodeInvalidValue     Code = "invalid_value"
	CodeInvalidTimestamp Code = "invalid_timestamp"
	CodeTimeOrder        Code = "time_order"
	CodeDuplicateID      Code = "duplicate_id"
	CodeOwner            Code = "owner"
	CodeUnknownRelated   Code = "unknown_related"
	CodeImplausibleTime  Code = "implausible_time"
	CodeTooMany          Code = "too_many"
)

// Problem is one thing wrong with a record, located as precisely as the
// parser knows: a problem of the incident core, which makes the record
// invalid, or a finding of a quality rule (Rule set), which does not.
type Problem struct {
	Path  string `json:"path"`
	Line  int    `json:"line,omitempty"`
	Field string `json:"field"`
	// Code is the reason of a core problem; a finding from the model
	// (e.g. an owner problem) keeps the code it was found with.
	Code Code `json:"code,omitempty"`
	// Rule is the quality rule of a finding, empty for a core problem.
	Rule string `json:"rule,omitempty"`
	// Severity is error for every core problem; a finding's is its rule's.
	Severity Severity `json:"severity,omitempty"`
	// Team is the record's team, when it is known.
	Team    string `json:"team,omitempty"`
	Message string `json:"message"`
	// item is 1 + the index of the action item the problem is about, 0
	// when it is about no item.
	item int
}

// IsCore reports whether a problem is one of the incident core, which
// makes its record invalid: one raised without a rule.
func IsCore(p Problem) bool { return p.Rule == "" }

// Item returns the index of the action item the problem is about, and
// false when it is about none.
func (p Problem) Item() (int, bool) { return p.item - 1, p.item > 0 }

// leavesItemOut reports whether the problem leaves its action item out of
// the action item metrics: a field_invalid finding on an item.
func (p Problem) leavesItemOut() bool { return p.Rule == RuleFieldInvalid && p.item > 0 }

// scope is what the problems raised in it are: of the incident core (the
// zero scope), or findings of a rule, possibly about one action item. The
// code that raises a problem knows which; nothing reads it back from the
// field's path.
type scope struct {
	rule string // "" for the incident core
	item int    // 1 + the action item's index, 0 for none
}

// The scopes of the fields outside the incident core: an action item's
// (itemScope), and the record's quality fields, whose problems are
// field_invalid findings.
var qualityScope = scope{rule: RuleFieldInvalid}

// itemScope is the scope of the action item at index i: its problems are
// field_invalid findings that leave it out of the action item metrics.
func itemScope(i int) scope { return scope{rule: RuleFieldInvalid, item: i + 1} }

// withRule is s with another rule, for an item's problem of its own rule
// (action_item_owner, action_item_due), which keeps the item counted.
func (s scope) withRule(rule string) scope { s.rule = rule; return s }

// problem returns a problem raised in s.
func (s scope) problem(path string, line int, field string, code Code, format string, args ...any) Problem {
	return Problem{Path: path, Line: line, Field: field, Code: code, Rule: s.rule, item: s.item, Message: fmt.Sprintf(format, args...)}
}

// String formats the problem as "path:line: field: message", the form
// editors and CI annotations understand; a finding adds its severity and
// rule: "path:line: field: warning: rule: message".
func (p Problem) String() string {
	msg := p.Message
	if p.Rule != "" {
		msg = fmt.Sprintf("%s: %s: %s", p.Severity, p.Rule, p.Message)
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", p.Path, p.Line, p.Field, msg)
	}
	return fmt.Sprintf("%s: %s: %s", p.Path, p.Field, msg)
}

// ItemFinding returns a finding of rule about r's action item at index
// item, raised outside this package (the trackers' drift): located at the
// item's field, with r's team. Result.Amend gives it its severity.
func (r *Record) ItemFinding(item int, rule, field, format string, args ...any) Problem {
	path := fmt.Sprintf("action_items[%d].%s", item, field)
	return Problem{
		Path: r.Path, Line: r.LineOf(path), Field: path, Rule: rule, Team: r.LabelTeam(),
		Message: fmt.Sprintf(format, args...), item: item + 1,
	}
}
