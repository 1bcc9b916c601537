package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Severity is how much a finding weighs: an error fails `validate`, a
// warning fails it only with --strict; a rule that is off finds nothing.
type Severity string

// The severities of a finding, and of a rule that is off.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityOff     Severity = "off"
)

// The quality rules: the `rule` label of postmortem_quality_findings and
// the names of --quality.file. docs/quality.md gives the reason for each.
const (
	RuleFieldInvalid       = "field_invalid"
	RuleActionItemOwner    = "action_item_owner"
	RuleActionItemDue      = "action_item_due"
	RuleActionItemSize     = "action_item_size"
	RuleActionItemHabitual = "action_item_habitual"
	RuleActionItemCount    = "action_item_count"
	RuleBarRaiser          = "bar_raiser"
	RuleSecurityReview     = "security_review"
	RulePublishedLate      = "published_late"
	RuleActionItemVague    = "action_item_vague"
	RuleModerator          = "moderator"
	RuleBarRaiserOutside   = "bar_raiser_outside"
	RuleOwnerInRoster      = "owner_in_roster"
	// RuleTrackerDrift finds an action item whose record and ticket
	// disagree, or whose ticket cannot confirm it; it is raised from the
	// tickets' states (exporter/trackers), not by Check.
	RuleTrackerDrift = "tracker_drift"
	RulePullFinding  = "pull_finding"
)

// RuleInfo describes a quality rule.
type RuleInfo struct {
	Name string
	// Title is the rule in words, as the report and the dashboards show
	// it in place of its name.
	Title   string
	Default Severity
	// AlwaysOn rules cannot be turned off: what they find is left out of
	// the metrics (an unreadable action item), so turning them off would
	// drop it silently.
	AlwaysOn bool
	// Options are the keys the rule takes in --quality.file besides
	// severity.
	Options []string
}

// QualityRules is the catalogue of the quality rules, in the order they
// are documented.
var QualityRules = []RuleInfo{
	{Name: RuleFieldInvalid, Title: "unreadable field", Default: SeverityError, AlwaysOn: true},
	{Name: RuleActionItemOwner, Title: "item without one owner", Default: SeverityError},
	{Name: RuleActionItemDue, Title: "item without a due day", Default: SeverityError},
	{Name: RuleActionItemSize, Title: "item too large", Default: SeverityWarning, Options: []string{"max_days"}},
	{Name: RuleActionItemHabitual, Title: "habit, not an action", Default: SeverityWarning, Options: []string{"phrases"}},
	{Name: RuleActionItemCount, Title: "no or too many items", Default: SeverityWarning, Options: []string{"max", "severities"}},
	{Name: RuleBarRaiser, Title: "no bar raiser", Default: SeverityWarning},
	{Name: RuleSecurityReview, Title: "no security review", Default: SeverityWarning},
	{Name: RulePublishedLate, Title: "published late", Default: SeverityWarning, Options: []string{"max_days"}},
	{Name: RuleNameMixedScript, Title: "name mixes scripts", Default: SeverityWarning},
	{Name: RuleActionItemVague, Title: "vague item", Default: SeverityWarning, Options: []string{"phrases", "deliverables"}},
	{Name: RuleModerator, Title: "no moderator", Default: SeverityWarning},
	{Name: RuleBarRaiserOutside, Title: "bar raiser not independent", Default: SeverityWarning},
	{Name: RuleOwnerInRoster, Title: "owner not a person of the roster", Default: SeverityWarning},
	{Name: RuleTrackerDrift, Title: "record and ticket disagree", Default: SeverityError},
	{Name: RulePullFinding, Title: "value the pull could not map", Default: SeverityWarning},
}

// RuleTitle returns a rule in words (RuleInfo.Title), or its name for a
// rule outside the catalogue.
func RuleTitle(name string) string {
	if i := slices.IndexFunc(QualityRules, func(r RuleInfo) bool { return r.Name == name }); i >= 0 {
		return QualityRules[i].Title
	}
	return name
}

// RuleNames returns the names of every quality rule.
func RuleNames() []string {
	names := make([]string, len(QualityRules))
	for i, r := range QualityRules {
		names[i] = r.Name
	}
	return names
}

// Quality is the configuration of the quality rules (--quality.file).
// The zero value stands for DefaultQuality.
type Quality struct {
	// Severity of each rule; a rule missing here has its default.
	Severity map[string]Severity
	// ItemMaxDays bounds an action item's days from created_at to due
	// (action_item_size) unless it has an exception.
	ItemMaxDays int
	// HabitualPhrases mark an action item's title as a habit, not an
	// action (action_item_habitual), matched on whole words without case.
	HabitualPhrases []string
	// VaguePhrases begin the title of an item that does not say what it
	// delivers unless one of Deliverables follows (action_item_vague).
	VaguePhrases, Deliverables []string
	// Roster is who belongs to which team (--quality.roster-file); nil
	// turns owner_in_roster and the team part of bar_raiser_outside off.
	Roster *Roster
	// MaxItems bounds the action items of a published post-mortem of one
	// of ItemSeverities, which must also have at least one
	// (action_item_count).
	MaxItems       int
	ItemSeverities []string
	// PublishWithinDays bounds the days from resolved_at to published_at
	// (published_late).
	PublishWithinDays int
}

// DefaultHabitualPhrases are the default phrases of action_item_habitual:
// intentions and habits, not changes anyone can finish.
var DefaultHabitualPhrases = []string{
	"be careful", "be more careful", "double check", "double-check", "pay more attention",
	"remember to", "try harder", "rewrite it in", "rewrite in", "be aware",
	"be vigilant", "never happens again", "never happen again", "fix it",
}

// DefaultVaguePhrases are the default phrases of action_item_vague: an
// item that only investigates delivers nothing the forum can check.
var DefaultVaguePhrases = []string{"investigate", "look into", "explore", "think about", "follow up on", "discuss"}

// DefaultDeliverables are the words that, after a vague phrase, say what
// the item delivers: "Investigate the lag and add an alert".
var DefaultDeliverables = []string{"and", "then", "write", "document", "decide", "propose", "report", "add", "fix", "remove", "replace"}

// DefaultQuality is the configuration documented in docs/quality.md.
func DefaultQuality() Quality {
	q := Quality{
		Severity:          map[string]Severity{},
		ItemMaxDays:       14,
		HabitualPhrases:   slices.Clone(DefaultHabitualPhrases),
		VaguePhrases:      slices.Clone(DefaultVaguePhrases),
		Deliverables:      slices.Clone(DefaultDeliverables),
		MaxItems:          7,
		ItemSeverities:    []string{"sev1", "sev2"},
		PublishWithinDays: 10,
	}
	for _, r := range QualityRules {
		q.Severity[r.Name] = r.Default
	}
	return q
}

// orDefault returns q, or the defaults for the zero value.
func (q Quality) orDefault() Quality {
	if q.Severity == nil {
		return DefaultQuality()
	}
	return q
}

// SeverityOf returns the configured severity of a rule.
func (q Quality) SeverityOf(rule string) Severity {
	q = q.orDefault()
	if s, ok := q.Severity[rule]; ok {
		return s
	}
	for _, r := range QualityRules {
		if r.Name == rule {
			return r.Default
		}
	}
	return SeverityError
}

// qualityRuleYAML is one rule's entry in --quality.file.
type qualityRuleYAML struct {
	Severity     Severity `yaml:"severity"`
	MaxDays      *int     `yaml:"max_days"`
	Max          *int     `yaml:"max"`
	Severities   []string `yaml:"severities"`
	Phrases      []string `yaml:"phrases"`
	Deliverables []string `yaml:"deliverables"`
}

// LoadQuality reads a quality rules file (see ParseQuality); an empty path
// gives the defaults.
func LoadQuality(path string) (Quality, error) {
	return loadFile(path, "quality rules", DefaultQuality, ParseQuality)
}

// ParseQuality reads the quality rules from YAML: a mapping from rule name
// to its settings (severity: error, warning or off, and the rule's own
// options). Rules left out keep their defaults. Unknown rules and keys,
// options of another rule, and bad values are errors, all reported at once.
func ParseQuality(data []byte) (Quality, error) {
	var doc map[string]qualityRuleYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return Quality{}, fmt.Errorf("empty: give at least one of %s", strings.Join(RuleNames(), ", "))
	} else if err != nil {
		return Quality{}, err
	}
	q := DefaultQuality()
	var errs []error
	names := make([]string, 0, len(doc))
	for name := range doc {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		errs = append(errs, q.set(name, doc[name])...)
	}
	return q, errors.Join(errs...)
}

// set applies one rule's settings and returns what is wrong with them.
func (q *Quality) set(name string, y qualityRuleYAML) []error {
	i := slices.IndexFunc(QualityRules, func(r RuleInfo) bool { return r.Name == name })
	if i < 0 {
		return []error{fmt.Errorf("%s: unknown rule (rules: %s)", name, strings.Join(RuleNames(), ", "))}
	}
	info := QualityRules[i]
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	switch y.Severity {
	case "":
	case SeverityError, SeverityWarning:
		q.Severity[name] = y.Severity
	case SeverityOff:
		if info.AlwaysOn {
			bad("cannot be off: the action items it finds are left out of the action item metrics, so they would be dropped unsaid")
		}
		q.Severity[name] = y.Severity
	default:
		bad("severity %q: want error, warning or off", y.Severity)
	}
	given := map[string]bool{"max_days": y.MaxDays != nil, "max": y.Max != nil, "severities": y.Severities != nil,
		"phrases": y.Phrases != nil, "deliverables": y.Deliverables != nil}
	for _, opt := range []string{"max_days", "max", "severities", "phrases", "deliverables"} {
		if given[opt] && !slices.Contains(info.Options, opt) {
			bad("%s is not an option of this rule (options: %s)", opt, optionList(info.Options))
		}
	}
	positive := func(opt string, v *int, dst *int) {
		switch {
		case v == nil || !slices.Contains(info.Options, opt):
		case *v < 1:
			bad("%s must be at least 1, got %d", opt, *v)
		default:
			*dst = *v
		}
	}
	switch name {
	case RuleActionItemSize:
		positive("max_days", y.MaxDays, &q.ItemMaxDays)
	case RulePublishedLate:
		positive("max_days", y.MaxDays, &q.PublishWithinDays)
	case RuleActionItemCount:
		positive("max", y.Max, &q.MaxItems)
		if y.Severities != nil {
			q.ItemSeverities = y.Severities
		}
	case RuleActionItemHabitual:
		phraseList("phrases", y.Phrases, &q.HabitualPhrases, bad)
	case RuleActionItemVague:
		phraseList("phrases", y.Phrases, &q.VaguePhrases, bad)
		phraseList("deliverables", y.Deliverables, &q.Deliverables, bad)
	}
	return errs
}

// phraseList sets *dst to a given list of phrases, each with a word.
func phraseList(opt string, phrases []string, dst *[]string, bad func(string, ...any)) {
	if phrases == nil {
		return
	}
	for j, p := range phrases {
		if len(words(p)) == 0 {
			bad("%s[%d] has no word", opt, j)
		}
	}
	*dst = phrases
}

func optionList(opts []string) string {
	if len(opts) == 0 {
		return "none but severity"
	}
	return "severity, " + strings.Join(opts, ", ")
}

// qualityChecker applies the quality rules to one record.
type qualityChecker struct {
	r        *Record
	q        Quality
	counted  bool // only counted: no field, line or message (Rules.CountFindings)
	findings []Problem
}

func (c *qualityChecker) add(rule, field, format string, args ...any) {
	c.addItem(-1, rule, field, format, args...)
}

// addItem adds a finding about the action item at index item (-1: none).
func (c *qualityChecker) addItem(item int, rule, field, format string, args ...any) {
	if c.counted {
		c.findings = append(c.findings, Problem{Path: c.r.Path, Rule: rule, Team: c.r.LabelTeam(), item: item + 1})
		return
	}
	c.findings = append(c.findings, Problem{
		Path: c.r.Path, Line: c.r.LineOf(field), Field: field, Rule: rule, Team: c.r.LabelTeam(),
		Message: fmt.Sprintf(format, args...), item: item + 1,
	})
}

// qualityFindings returns the findings of the quality rules proper (not
// those of the model) on r, whatever their configured severity; counted,
// only what counting them needs.
func qualityFindings(r *Record, q Quality, counted bool) []Problem {
	c := &qualityChecker{r: r, q: q, counted: counted}
	published := r.Status == StatusPublished && !r.PublishedAt.IsZero()
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		prefix := fmt.Sprintf("action_items[%d].", i)
		if days := ItemDays(*a); a.Exception == "" && days > float64(q.ItemMaxDays) {
			c.addItem(i, RuleActionItemSize, prefix+"due", "due %s days after created_at, more than %d: split the item, or give it an exception (approver and reason)",
				fmtDays(days*86400), q.ItemMaxDays)
		}
		title := words(a.Title)
		if phrase := phraseIn(title, q.HabitualPhrases); phrase != "" {
			c.addItem(i, RuleActionItemHabitual, prefix+"title", "%q is a habit, not an action (%q): make it a change someone can finish, or move it to learnings", a.Title, phrase)
		}
		if phrase := vague(title, q.VaguePhrases, q.Deliverables); phrase != "" {
			c.addItem(i, RuleActionItemVague, prefix+"title", "%q does not say what it delivers (%q and nothing after it): name the change, document or decision that closes it", a.Title, phrase)
		}
		c.ownerInRoster(i, a, prefix)
	}
	if published && slices.Contains(q.ItemSeverities, r.Severity) {
		switch n := len(r.ActionItems); {
		case n == 0:
			c.add(RuleActionItemCount, "action_items", "a published %s post-mortem with no action item", r.Severity)
		case n > q.MaxItems:
			c.add(RuleActionItemCount, "action_items", "%d action items, more than %d: keep a small number of clear, actionable items", n, q.MaxItems)
		}
	}
	if published && r.BarRaiser == "" {
		c.add(RuleBarRaiser, "bar_raiser", "published without a bar raiser")
	}
	if published && r.Moderator == "" {
		c.add(RuleModerator, "moderator", "published without a moderator: name who ran the review")
	}
	c.barRaiserOutside()
	if r.SecurityIncident && r.SecurityReview == nil {
		c.add(RuleSecurityReview, "security_review", "a security incident needs a security review (by, outcome)")
	}
	if published && r.Resolved() {
		if d := PublicationDelay(r); d > float64(q.PublishWithinDays)*86400 {
			c.add(RulePublishedLate, "published_at", "published %s days after resolved_at, later than %d", fmtDays(d), q.PublishWithinDays)
		}
	}
	return c.findings
}

// ItemDays is an action item's days from created_at to the start of its
// due day, 0 without a due day.
func ItemDays(a ActionItem) float64 {
	if a.Due.IsZero() || a.CreatedAt.IsZero() {
		return 0
	}
	return Seconds(a.CreatedAt, a.Due) / 86400
}

// PublicationDelay is published_at − resolved_at in seconds.
func PublicationDelay(r *Record) float64 { return Seconds(r.ResolvedAt, r.PublishedAt) }

// ownerInRoster finds an item's single owner who is no person of the
// roster (owner_in_roster): `TBD`, a team, an unknown name. No owner and
// several owners are action_item_owner's.
func (c *qualityChecker) ownerInRoster(i int, a *ActionItem, prefix string) {
	roster := c.q.Roster
	if roster == nil || a.Owner == "" || severalOwners(a.Owner) || roster.IsPerson(a.Owner) {
		return
	}
	what := "no person of the roster"
	if roster.IsTeam(a.Owner) {
		what = "a team, not a person"
	}
	c.addItem(i, RuleOwnerInRoster, prefix+"owner", "owner %q is %s: name the one person who does it", a.Owner, what)
}

// barRaiserOutside finds a bar raiser who is the moderator, or (with a
// roster) no person of it or of the incident's team (bar_raiser_outside).
func (c *qualityChecker) barRaiserOutside() {
	r, roster := c.r, c.q.Roster
	switch {
	case r.BarRaiser == "":
	case r.BarRaiser == r.Moderator:
		c.add(RuleBarRaiserOutside, "bar_raiser", "bar raiser %q is also the moderator: the challenge must come from someone else", r.BarRaiser)
	case roster == nil:
	case !roster.IsPerson(r.BarRaiser):
		c.add(RuleBarRaiserOutside, "bar_raiser", "bar raiser %q is no person of the roster", r.BarRaiser)
	case roster.InTeam(r.BarRaiser, r.Team):
		c.add(RuleBarRaiserOutside, "bar_raiser", "bar raiser %q is of the incident's team %s: the challenge must come from outside it", r.BarRaiser, r.Team)
	}
}

// severalOwners says owner names several people (action_item_owner).
func severalOwners(owner string) bool {
	return slices.ContainsFunc(ownerSeparators, func(sep string) bool { return strings.Contains(owner, sep) })
}

// words splits text into its lower-case words: letters and digits, with
// an apostrophe inside a word; anything else separates.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsNumber(c) && c != '\''
	})
}

// phraseIn returns the first phrase whose words appear in title's words,
// in a row: "fix it" is in "Fix it now", not in "fixit-tool migration".
func phraseIn(title []string, phrases []string) string {
	for _, p := range phrases {
		if w := words(p); len(w) > 0 && indexWords(title, w) >= 0 {
			return p
		}
	}
	return ""
}

// vague returns the phrase title begins with when none of deliverables'
// words follow it.
func vague(title []string, phrases, deliverables []string) string {
	for _, p := range phrases {
		w := words(p)
		if len(w) == 0 || len(title) < len(w) || !slices.Equal(title[:len(w)], w) {
			continue
		}
		if phraseIn(title[len(w):], deliverables) == "" {
			return p
		}
	}
	return ""
}

// indexWords returns where the words of phrase begin in title, or -1.
func indexWords(title, phrase []string) int {
	for i := 0; i+len(phrase) <= len(title); i++ {
		if slices.Equal(title[i:i+len(phrase)], phrase) {
			return i
		}
	}
	return -1
}

// fmtDays formats seconds as days with one decimal: "24", "10.5".
func fmtDays(seconds float64) string {
	return strconv.FormatFloat(math.Round(seconds/8640)/10, 'f', -1, 64)
}

// Reason returns the message of f, a finding of r in this result: the
// one it holds, or, when the check only counted the quality rules'
// findings (Rules.CountFindings), the one the same rules give r again.
// Only the few findings a list shows need it.
func (res Result) Reason(r *Record, f Problem) string {
	if f.Message != "" {
		return f.Message
	}
	for _, g := range qualityFindings(r, res.quality, false) {
		if g.Rule == f.Rule && g.item == f.item {
			return g.Message
		}
	}
	return ""
}

// classify sorts the problems of the model into core problems and
// findings, and adds the findings of the quality rules; rules that are off
// are dropped. Counted, the findings keep only what counting them needs
// (Rules.CountFindings). Nothing is written into the records.
func classify(records []*Record, problems []Problem, q Quality, counted bool) (core, findings []Problem) {
	q = q.orDefault()
	byPath := make(map[string]*Record, len(records))
	for _, r := range records {
		byPath[r.Path] = r
		problems = append(problems, qualityFindings(r, q, counted)...)
	}
	for _, p := range problems {
		if r := byPath[p.Path]; r != nil {
			p.Team = r.LabelTeam()
		}
		if IsCore(p) {
			p.Severity = SeverityError
			core = append(core, p)
			continue
		}
		p.Severity = q.SeverityOf(p.Rule)
		if p.Severity == SeverityOff {
			continue
		}
		if counted {
			p = Problem{Path: p.Path, Rule: p.Rule, Severity: p.Severity, Team: p.Team, Message: p.Message, item: p.item}
		}
		findings = append(findings, p)
	}
	return core, findings
}
