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
