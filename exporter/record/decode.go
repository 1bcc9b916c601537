package record

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Decode turns a parsed YAML or JSON document into a Record. path names the
// file and lineOffset is added to the parser's line numbers (the lines that
// come before the document in the file). Every problem found is returned;
// the record is returned even when it has problems, as far as it could be
// read, so callers can still count what it holds.
func Decode(doc *yaml.Node, path string, lineOffset int) (*Record, []Problem) {
	d := &decoder{path: path, offset: lineOffset}
	node := doc
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	r := &Record{Path: path, Line: node.Line + lineOffset}
	if lineOffset > 0 {
		r.Line = lineOffset // a front matter record starts at its opening '---'
	}
	d.rec = r
	defer r.lines.compact()
	if node.Kind != yaml.MappingNode {
		d.add(node, "document", CodeMalformed, "expected a mapping of fields, got %s", kindName(node))
		return r, d.problems
	}
	seen := d.fields(node, "", recordFields, func(key string, v *yaml.Node) {
		d.in(recordFieldScope(key), func() { d.recordField(r, key, v) })
	})
	d.requireFields(r.Line, "", seen, requiredRecordFields)
	return r, d.problems
}

var recordFields = []string{
	"id", "title", "severity", "security_incident", "team", "services", "url",
	"started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at", "origin", "resolution",
	"detection", "impact", "related", "status", "published_at", "action_items",
	"moderator", "bar_raiser", "learnings", "security_review", "custom", "pull_findings",
}

var requiredRecordFields = []string{"id", "title", "severity", "team", "started_at", "detected_at", "origin", "detection", "status"}

var itemFields = []string{"id", "title", "owner", "team", "created_at", "due", "status", "closed_at", "exception", "url"}

var requiredItemFields = []string{"id", "title", "due", "status"}

var impactFields = []string{"customers_affected", "failed_requests", "data_loss", "p99_latency_ms"}

var securityReviewFields = []string{"by", "outcome", "date"}

var exceptionFields = []string{"approver", "reason"}

type decoder struct {
	path     string
	offset   int
	rec      *Record
	problems []Problem
	// scope is what the problems raised now are: the incident core, or a
	// finding about a quality field or an action item.
	scope scope
}

// recordFieldScope is the scope of a field of the record: the incident
// core, or, for the fields outside it (docs/quality.md), field_invalid.
func recordFieldScope(key string) scope {
	switch key {
	case "moderator", "bar_raiser", "learnings", "security_review", "action_items", "custom", "pull_findings":
		return qualityScope
	}
	return scope{}
}

// in runs fn with the problems it raises in sc.
func (d *decoder) in(sc scope, fn func()) {
	outer := d.scope
	d.scope = sc
	defer func() { d.scope = outer }()
	fn()
}

func (d *decoder) add(n *yaml.Node, field string, code Code, format string, args ...any) {
	d.addIn(d.scope, n, field, code, format, args...)
}

func (d *decoder) addIn(sc scope, n *yaml.Node, field string, code Code, format string, args ...any) {
	d.problems = append(d.problems, sc.problem(d.path, n.Line+d.offset, field, code, format, args...))
}

// fields walks a mapping, reports unknown and repeated keys and hands each
// known one to visit. It returns the keys it saw.
func (d *decoder) fields(m *yaml.Node, prefix string, known []string, visit func(key string, v *yaml.Node)) map[string]bool {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		name := prefix + keyText(k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			d.add(k, prefix+"key", CodeMalformed, "a field name must be a string, got %s", kindName(k))
		case k.Value == "":
			d.add(k, prefix+`""`, CodeUnknownField, "empty field name (known fields: %s)", strings.Join(known, ", "))
		case !slices.Contains(known, k.Value):
			d.add(k, name, CodeUnknownField, "unknown field (known fields: %s)", strings.Join(known, ", "))
		case seen[k.Value] && prefix == "":
			d.addIn(recordFieldScope(k.Value), k, name, CodeMalformed, "field given twice")
		case seen[k.Value]:
			d.add(k, name, CodeMalformed, "field given twice")
		default:
			d.rec.SetLine(name, k.Line+d.offset)
			if !isEmpty(v) {
				seen[k.Value] = true
				visit(k.Value, v)
			}
		}
	}
	return seen
}

// requireFields reports each required field that is absent or blank, at
// the line where its record or item starts.
func (d *decoder) requireFields(line int, prefix string, seen map[string]bool, required []string) {
	for _, f := range required {
		if seen[f] {
			continue
		}
		sc := d.scope
		if sc.item > 0 && f == "due" {
			sc = sc.withRule(RuleActionItemDue)
		}
		d.problems = append(d.problems, sc.problem(d.path, line, prefix+f, CodeMissingField, "required field is missing"))
	}
}

func (d *decoder) recordField(r *Record, key string, v *yaml.Node) {
	switch key {
	case "id":
		r.ID = d.str(v, key)
	case "title":
		r.Title = d.str(v, key)
	case "severity":
		r.Severity = d.str(v, key)
	case "security_incident":
		r.SecurityIncident = d.boolean(v, key)
	case "team":
		r.Team = d.name(v, key)
	case "services":
		r.Services = d.strList(v, key)
		for i, svc := range r.Services {
			r.Services[i] = NormalName(svc)
		}
	case "url":
		r.URL = d.str(v, key)
	case "started_at":
		r.StartedAt = d.timestamp(v, key)
	case "detected_at":
		r.DetectedAt = d.timestamp(v, key)
	case "acknowledged_at":
		r.AcknowledgedAt = d.timestamp(v, key)
	case "mitigated_at":
		r.MitigatedAt = d.timestamp(v, key)
	case "resolved_at":
		r.ResolvedAt = d.timestamp(v, key)
	case "origin":
		r.Origin = d.str(v, key)
	case "resolution":
		r.Resolution = d.str(v, key)
	case "detection":
		r.Detection = d.str(v, key)
	case "impact":
		r.Impact = d.impact(v)
	case "related":
		r.Related = d.strList(v, key)
	case "status":
		r.Status = d.str(v, key)
	case "published_at":
		r.PublishedAt = d.timestamp(v, key)
	case "action_items":
		r.ActionItems = d.actionItems(v)
	case "moderator":
		r.Moderator = d.name(v, key)
	case "bar_raiser":
		r.BarRaiser = d.name(v, key)
	case "learnings":
		r.Learnings = d.strList(v, key)
	case "security_review":
		r.SecurityReview = d.securityReview(v)
	case "custom":
		r.Custom = d.custom(v)
	case "pull_findings":
		d.pullFindings(v)
	}
}

var pullFindingFields = []string{"field", "source_field", "value", "reason"}

// pullFindings reports each entry of the list `pull` writes for a value
// it could not turn into a record field (docs/pull.md) as a pull_finding
// finding on that field, until a person completes it and removes the
// entry.
func (d *decoder) pullFindings(v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		d.add(v, "pull_findings", CodeMalformed, "expected a list of findings (field, source_field, value, reason), got %s", kindName(v))
		return
	}
	for i, n := range v.Content {
		prefix := fmt.Sprintf("pull_findings[%d].", i)
		if n.Kind != yaml.MappingNode {
			d.add(n, prefix[:len(prefix)-1], CodeMalformed, "expected a mapping with field, source_field, value and reason, got %s", kindName(n))
			continue
		}
		got := map[string]string{}
		seen := d.fields(n, prefix, pullFindingFields, func(key string, v *yaml.Node) { got[key] = d.str(v, prefix+key) })
		d.requireFields(n.Line+d.offset, prefix, seen, []string{"field", "reason"})
		if got["field"] == "" || got["reason"] == "" {
			continue
		}
		msg := got["reason"]
		if got["value"] != "" {
			msg = fmt.Sprintf("%q: %s", got["value"], msg)
		}
		if got["source_field"] != "" {
			msg = got["source_field"] + " " + msg
		}
		d.addIn(scope{rule: RulePullFinding}, n, got["field"], CodeInvalidValue, "from the pull: %s; set the field and remove this entry", msg)
	}
}

// securityReview reads who reviewed the security dimension, with what
// outcome and when; by and outcome are required.
func (d *decoder) securityReview(v *yaml.Node) *SecurityReview {
	if v.Kind != yaml.MappingNode {
		d.add(v, "security_review", CodeMalformed, "expected a mapping with by, outcome and date, got %s", kindName(v))
		return nil
	}
	sr := &SecurityReview{}
	seen := d.fields(v, "security_review.", securityReviewFields, func(key string, n *yaml.Node) {
		field := "security_review." + key
		switch key {
		case "by":
			sr.By = d.str(n, field)
		case "outcome":
			sr.Outcome = d.str(n, field)
		case "date":
			sr.Date = d.timestamp(n, field)
		}
	})
	d.requireFields(v.Line+d.offset, "security_review.", seen, []string{"by", "outcome"})
	return sr
}

// exception reads an action item's exception: today's plain text (the
// reason, approver unknown) or a mapping with approver and reason.
// Either form counts as an exception.
func (d *decoder) exception(a *ActionItem, field string, v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		a.Exception = d.str(v, field)
		return
	}
	d.fields(v, field+".", exceptionFields, func(key string, n *yaml.Node) {
		switch key {
		case "approver":
			a.ExceptionApprover = d.name(n, field+"."+key)
		case "reason":
			a.Exception = d.str(n, field+"."+key)
		}
	})
	if a.Exception == "" && a.ExceptionApprover != "" {
		a.Exception = "approved by " + a.ExceptionApprover
	}
}

func (d *decoder) impact(v *yaml.Node) Impact {
	var im Impact
	if v.Kind != yaml.MappingNode {
		d.add(v, "impact", CodeMalformed, "expected a mapping, got %s", kindName(v))
		return im
	}
	d.fields(v, "impact.", impactFields, func(key string, n *yaml.Node) {
		field := "impact." + key
		switch key {
		case "customers_affected":
			im.CustomersAffected = d.count(n, field)
		case "failed_requests":
			im.FailedRequests = d.count(n, field)
		case "data_loss":
			im.DataLoss = d.boolean(n, field)
		case "p99_latency_ms":
			im.P99LatencyMS = d.count(n, field)
		}
	})
	return im
}

func (d *decoder) actionItems(v *yaml.Node) []ActionItem {
	if v.Kind != yaml.SequenceNode {
		d.add(v, "action_items", CodeMalformed, "expected a list, got %s", kindName(v))
		return nil
	}
	items := make([]ActionItem, 0, len(v.Content))
	for i, n := range v.Content {
		d.in(itemScope(i), func() { items = append(items, d.actionItem(i, n)) })
	}
	return items
}

// actionItem reads the action item at index i; one that is not a mapping
// is kept empty, so that the others keep their indexes.
func (d *decoder) actionItem(i int, n *yaml.Node) ActionItem {
	prefix := fmt.Sprintf("action_items[%d].", i)
	var a ActionItem
	if n.Kind != yaml.MappingNode {
		d.add(n, strings.TrimSuffix(prefix, "."), CodeMalformed, "expected a mapping, got %s", kindName(n))
		return a
	}
	d.rec.SetLine(strings.TrimSuffix(prefix, "."), n.Line+d.offset)
	seen := d.fields(n, prefix, itemFields, func(key string, f *yaml.Node) {
		d.itemField(&a, prefix+key, key, f)
	})
	d.requireFields(n.Line+d.offset, prefix, seen, requiredItemFields)
	if !seen["owner"] {
		d.addIn(d.scope.withRule(RuleActionItemOwner), n, prefix+"owner", CodeOwner, "an action item needs exactly one owner, found none")
	}
	return a
}

func (d *decoder) itemField(a *ActionItem, field, key string, v *yaml.Node) {
	switch key {
	case "id":
		a.ID = d.str(v, field)
	case "title":
		a.Title = d.str(v, field)
	case "owner":
		a.Owner = NormalName(d.owner(v, field))
	case "team":
		a.Team = d.name(v, field)
	case "created_at":
		a.CreatedAt = d.timestamp(v, field)
	case "due":
		a.Due = d.date(v, field)
	case "status":
		a.Status = d.str(v, field)
	case "closed_at":
		a.ClosedAt = d.timestamp(v, field)
	case "exception":
		d.exception(a, field, v)
	case "url":
		a.URL = d.str(v, field)
	}
}

// ownerSeparators are the ways people write several owners in one string.
var ownerSeparators = []string{",", ";", "&", " and ", "+"}

func (d *decoder) owner(v *yaml.Node, field string) string {
	if v.Kind == yaml.SequenceNode {
		if len(v.Content) == 1 {
			return d.owner(v.Content[0], field)
		}
		d.addIn(d.scope.withRule(RuleActionItemOwner), v, field, CodeOwner, "an action item needs exactly one owner, found %d", len(v.Content))
		names := make([]string, 0, len(v.Content))
		for _, n := range v.Content {
			names = append(names, n.Value)
		}
		return strings.Join(names, ", ") // owned, if ambiguously: not counted as unowned
	}
	s := d.str(v, field)
	for _, sep := range ownerSeparators {
		if strings.Contains(s, sep) {
			d.addIn(d.scope.withRule(RuleActionItemOwner), v, field, CodeOwner, "an action item needs exactly one owner, %q names several", s)
			break
		}
	}
	return s
}

func (d *decoder) str(v *yaml.Node, field string) string {
	if v.Kind != yaml.ScalarNode {
		d.add(v, field, CodeMalformed, "expected a string, got %s", kindName(v))
		return ""
	}
	return strings.TrimSpace(v.Value)
}

// name reads a name of a team, a person or a service, in NFC.
func (d *decoder) name(v *yaml.Node, field string) string { return NormalName(d.str(v, field)) }

func (d *decoder) strList(v *yaml.Node, field string) []string {
	if v.Kind != yaml.SequenceNode {
		d.add(v, field, CodeMalformed, "expected a list of strings, got %s", kindName(v))
		return nil
	}
	out := make([]string, 0, len(v.Content))
	for i, n := range v.Content {
		name := fmt.Sprintf("%s[%d]", field, i)
		d.rec.SetLine(name, n.Line+d.offset)
		if s := d.str(n, name); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) boolean(v *yaml.Node, field string) bool {
	b, err := strconv.ParseBool(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil {
		d.add(v, field, CodeInvalidValue, "expected true or false, got %q", v.Value)
	}
	return b
}

func (d *decoder) count(v *yaml.Node, field string) int64 {
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if v.Kind != yaml.ScalarNode || err != nil || n < 0 {
		d.add(v, field, CodeInvalidValue, "expected a whole number >= 0, got %q", v.Value)
		return 0
	}
	return n
}

func (d *decoder) timestamp(v *yaml.Node, field string) time.Time {
	if v.Kind != yaml.ScalarNode {
		d.add(v, field, CodeInvalidTimestamp, "expected a timestamp like 2026-05-20T14:02:00Z, got %s", kindName(v))
		return time.Time{}
	}
	t, err := parseTimestamp(v.Value)
	if err != nil {
		d.add(v, field, CodeInvalidTimestamp, "%s", timestampError(v.Value, err))
		return time.Time{}
	}
	if t.IsZero() { // the zero time stands for an absent field: say why it is wrong here
		d.add(v, field, CodeImplausibleTime, "%s is before %s: not a plausible incident time", v.Value, Earliest.Format(time.DateOnly))
	}
	return t
}

// date reads a due date: a calendar day (UTC), or a timestamp whose day
// (UTC) is taken.
func (d *decoder) date(v *yaml.Node, field string) time.Time {
	if v.Kind != yaml.ScalarNode {
		d.add(v, field, CodeInvalidTimestamp, "expected a date like 2026-05-31, got %s", kindName(v))
		return time.Time{}
	}
	if t, err := time.Parse(time.DateOnly, strings.TrimSpace(v.Value)); err == nil {
		return t
	}
	t, err := parseTimestamp(v.Value)
	if err != nil {
		d.add(v, field, CodeInvalidTimestamp, "expected a date like 2026-05-31 or a timestamp with a time zone, got %q", v.Value)
		return time.Time{}
	}
	return t.Truncate(24 * time.Hour)
}

// isEmpty reports a value left blank: null or an empty string. Required
// fields given such a value count as missing.
func isEmpty(v *yaml.Node) bool {
	return v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || strings.TrimSpace(v.Value) == "")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}

// keyText is a field name as messages show it: quoted when it holds a
// control character (a NUL from an escape), which a message must not
// carry.
func keyText(key string) string {
	if strings.ContainsFunc(key, unicode.IsControl) {
		return strconv.Quote(key)
	}
	return key
}
