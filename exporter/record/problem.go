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

// Problem is one reason a record is invalid, located as precisely as the
// parser knows.
type Problem struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// String formats the problem as "path:line: field: message", the form
// editors and CI annotations understand.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", p.Path, p.Line, p.Field, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", p.Path, p.Field, p.Message)
}
