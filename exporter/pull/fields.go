package pull

// FieldOrder is the order pull writes a record's front matter in: the
// template's (docs/records.md), then custom, the action items and the
// pull's findings. Fields a person added that are not here follow, in
// their own order.
var FieldOrder = []string{
	"id", "title", "severity", "security_incident", "team", "services", "url",
	"started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
	"origin", "resolution", "detection", "impact", "related", "status", "published_at",
	"moderator", "bar_raiser", "learnings", "security_review", "custom",
	"action_items", FindingsField,
}

// FindingsField is the front matter list of the findings of a pull
// (docs/pull.md); validate reports each under the rule pull_finding.
const FindingsField = "pull_findings"

// ItemFieldOrder is the order of an action item's fields.
var ItemFieldOrder = []string{"id", "title", "owner", "team", "created_at", "due", "status", "closed_at", "exception", "url"}
