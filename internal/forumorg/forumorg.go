// Package forumorg generates the organisation the forum test reads:
// teams whose figures follow known trends over many months, written as
// record files the way people write them (offsets, YAML's own timestamp
// forms, optional fields left out, a record or two broken), together with
// the list of incidents as they were meant, from which a separate program
// (package figures) computes what the exporter must show.
//
// It imports nothing of the exporter: the records are written as text, so
// that the exporter's parser is tested, not shared.
package forumorg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Params are every choice the generator makes that the figures depend on.
type Params struct {
	Seed   uint64
	Anchor time.Time // the newest instant written: every time is before it
	Months int       // how far back the incidents go, in 30-day months
	Teams  []Team
	// The trends, each from its value at the oldest incident (First) to
	// its value at the newest (Last), linear in the incident's age.
	SEV1ShareFirst, SEV1ShareLast               float64
	RecoverFirst, RecoverLast                   time.Duration // typical time to recover
	DetectFirst, DetectLast                     time.Duration // typical time to detect
	CustomerDetectedFirst, CustomerDetectedLast float64       // share detected by customers
	// RepeatEvery: one incident in RepeatEvery names, in related, an
	// earlier published incident of its team on the same service.
	RepeatEvery int
	// EchoEvery: one incident in EchoEvery repeats an earlier one of its
	// team (same service and origin, started EchoWithin after it) without
	// saying so in related: a possible repeat for the forum to confirm.
	EchoEvery  int
	EchoWithin time.Duration
	// OpenShare is the share of past-due items left open (overdue);
	// LateShare of the done ones, those closed after their due day.
	OpenShare, LateShare float64
	// Unowned is how many open, past-due items are written with no owner.
	Unowned int
}

// Team is one team of the organisation.
type Team struct {
	Name     string
	People   []string // who owns action items
	Services []string // what its incidents affect
	PerMonth float64  // incidents a month
}

// Default returns the organisation of the forum test: 8 teams, 18 months,
// about 370 incidents, trends that improve (fewer SEV1s, faster recovery
// and detection, fewer incidents customers find first).
func Default(anchor time.Time) Params {
	team := func(name string, perMonth float64, people ...string) Team {
		return Team{Name: name, People: people, PerMonth: perMonth,
			Services: []string{name + "-api", name + "-worker", name + "-db"}}
	}
	return Params{
		Seed:   21,
		Anchor: anchor.UTC().Truncate(time.Second),
		Months: 18,
		Teams: []Team{
			team("payments", 4, "alice", "bob", "bea"),
			team("search", 3.5, "carol", "chen"),
			team("identity", 3, "frank", "fatima", "femi"),
			team("platform", 3, "dave", "erin", "gina"),
			team("data", 2.5, "hana", "hugo"),
			team("mobile", 2.5, "ivan", "iris"),
			team("growth", 1.5, "jon", "jade"),
			team("support-tools", 0.5, "kim"),
		},
		SEV1ShareFirst: 0.25, SEV1ShareLast: 0.05,
		RecoverFirst: 6 * time.Hour, RecoverLast: 90 * time.Minute,
		DetectFirst: 50 * time.Minute, DetectLast: 10 * time.Minute,
		CustomerDetectedFirst: 0.5, CustomerDetectedLast: 0.15,
		RepeatEvery: 15,
		EchoEvery:   25, EchoWithin: 20 * 24 * time.Hour,
		OpenShare: 0.12, LateShare: 0.3,
		Unowned: 2,
	}
}

// The taxonomy the generator writes: the exporter's defaults, as the
// design document lists them.
var (
	Severities  = []string{"sev1", "sev2", "sev3", "sev4"}
	Origins     = []string{"code_change", "config_change", "infrastructure", "external_dependency", "unknown"}
	Resolutions = []string{"rollback", "fix_forward", "scaling", "config_change", "other"}
	Detections  = []string{"automated", "internal", "customer"}
)

// Item states.
const (
	ItemOpen   = "open"
	ItemDone   = "done"
	ItemWontDo = "wont_do"
)

// Incident is one record as it was meant; Resolved, Mitigated and
// Published are zero when the record does not have them.
type Incident struct {
	ID, Title, Team, Severity     string
	Services                      []string
	Origin, Resolution, Detection string
	Started, Detected, Mitigated  time.Time
	Resolved, Published           time.Time
	Status                        string
	Related                       []string
	Items                         []Item
	Impact                        *Impact // nil when the record has none
	// Security is security_incident: true, written without the
	// security_review the quality bar asks for.
	Security bool
	// Learnings is how many learnings the post-mortem writes down.
	Learnings int
	// Echoes is the id of the earlier incident this one repeats without
	// saying so (empty when it does not).
	Echoes string
	// Invalid is why the record's core is broken ("" when it is valid):
	// such a record is written as broken and is in no figure.
	Invalid string
	// File is where the record is written, relative to the folder.
	File string
}

// Impact is a record's impact map.
type Impact struct {
	CustomersAffected, FailedRequests int64
	DataLoss                          bool
}

// Item is one action item as it was meant; Closed is zero while open.
type Item struct {
	ID, Title, Owner string // Owner "" is an item written with no owner
	Created          time.Time
	Due              time.Time // a day: midnight UTC
	Status           string
	Closed           time.Time
}

// Org is a generated organisation.
type Org struct {
	Params    Params
	Incidents []Incident // oldest first, the invalid ones included
}

// Generate builds the organisation, the same for the same Params.
func Generate(p Params) *Org {
	rng := rand.New(rand.NewPCG(p.Seed, 0))
	history := time.Duration(p.Months) * 30 * 24 * time.Hour
	var incs []Incident
	for _, team := range p.Teams {
		n := int(math.Round(team.PerMonth * float64(p.Months)))
		for range n {
			// At least a day old, so that it was detected before the anchor.
			age := 24*time.Hour + time.Duration(rng.Int64N(int64(history-24*time.Hour)))
			incs = append(incs, Incident{Team: team.Name, Started: p.Anchor.Add(-age).Truncate(time.Second)})
		}
	}
	slices.SortFunc(incs, func(a, b Incident) int { return a.Started.Compare(b.Started) })
	g := generator{p: p, rng: rng, history: history}
	for i := range incs {
		incs[i].ID = fmt.Sprintf("PM-%04d", i+1)
		g.fill(incs, i)
	}
	g.markUnowned(incs)
	incs = append(incs, g.invalid(incs)...)
	return &Org{Params: p, Incidents: incs}
}

// generator holds the state of one Generate.
type generator struct {
	p       Params
	rng     *rand.Rand
	history time.Duration
}

// trend interpolates from first (the oldest) to last (the anchor) by the
// instant's age.
func (g generator) trend(at time.Time, first, last float64) float64 {
	f := 1 - float64(g.p.Anchor.Sub(at))/float64(g.history)
	return first + (last-first)*f
}

// scaled returns a duration around typical: between half and twice it.
func (g generator) scaled(typical float64) time.Duration {
	return time.Duration(typical * (0.5 + 1.5*g.rng.Float64())).Truncate(time.Second)
}

func (g generator) team(name string) Team {
	for _, t := range g.p.Teams {
		if t.Name == name {
			return t
		}
	}
	panic("forumorg: no team " + name)
}

// fill draws incident i, whose ID, team and start are set.
func (g generator) fill(incs []Incident, i int) {
	in, rng := &incs[i], g.rng
	team := g.team(in.Team)
	pick := func(values []string) string { return values[rng.IntN(len(values))] }
	in.Title = fmt.Sprintf("%s incident %d", team.Name, i+1)
	in.Severity = Severities[1+rng.IntN(3)]
	if rng.Float64() < g.trend(in.Started, g.p.SEV1ShareFirst, g.p.SEV1ShareLast) {
		in.Severity = "sev1"
	}
	in.Services = []string{pick(team.Services)}
	in.Origin, in.Detection = pick(Origins), pick(Detections[:2])
	if rng.Float64() < g.trend(in.Started, g.p.CustomerDetectedFirst, g.p.CustomerDetectedLast) {
		in.Detection = "customer"
	}
	g.repeat(incs, i)
	detect := g.scaled(g.trend(in.Started, float64(g.p.DetectFirst), float64(g.p.DetectLast)))
	recover := g.scaled(g.trend(in.Started, float64(g.p.RecoverFirst), float64(g.p.RecoverLast)))
	in.Detected = in.Started.Add(min(detect, g.p.Anchor.Sub(in.Started)-time.Minute))
	in.Status = "draft"
	if resolved := in.Detected.Add(recover); resolved.Before(g.p.Anchor) {
		in.Resolved, in.Resolution, in.Status = resolved, pick(Resolutions), "in_review"
		if rng.IntN(10) < 7 { // 3 records in 10 leave mitigated_at out
			in.Mitigated = in.Detected.Add(time.Duration(rng.Int64N(int64(recover)))).Truncate(time.Second)
		}
		if published := resolved.Add(time.Duration(1+rng.IntN(12*24)) * time.Hour); published.Before(g.p.Anchor) {
			in.Published, in.Status = published, "published"
		}
	}
	if rng.IntN(10) == 0 { // services are optional
		in.Services = nil
	}
	if rng.IntN(2) == 0 { // so is the impact
		in.Impact = &Impact{CustomersAffected: rng.Int64N(5000), FailedRequests: rng.Int64N(100000), DataLoss: rng.IntN(30) == 0}
	}
	in.Security = rng.IntN(40) == 0
	in.File = filepath.Join(in.Team, in.ID+".md")
	if i%7 == 3 {
		in.File = filepath.Join(in.Team, in.ID+".yaml")
	}
	if in.Published.IsZero() {
		return
	}
	in.Learnings = i % 3 // not drawn, so the rest of the organisation is as before
	for j := range 1 + rng.IntN(3) {
		in.Items = append(in.Items, g.item(in, j))
	}
}

// repeat makes incident i name an earlier one in related (one in
// RepeatEvery), or repeat one unsaid (one in EchoEvery). The earlier one
// related names was published, its items created, before i started, so
// whether they were open then is plain.
func (g generator) repeat(incs []Incident, i int) {
	in := &incs[i]
	switch {
	case g.rng.IntN(g.p.RepeatEvery) == 0:
		for j := i - 1; j >= 0; j-- {
			if e := incs[j]; e.Team == in.Team && len(e.Items) > 0 && e.Published.Before(in.Started) {
				in.Related, in.Services = []string{e.ID}, e.Services
				return
			}
		}
	case g.rng.IntN(g.p.EchoEvery) == 0:
		for j := i - 1; j >= 0 && in.Started.Sub(incs[j].Started) < g.p.EchoWithin; j-- {
			if e := incs[j]; e.Team == in.Team && len(e.Services) > 0 {
				in.Echoes, in.Services, in.Origin = e.ID, e.Services, e.Origin
				return
			}
		}
	}
}

// item draws the j-th action item of a published incident.
func (g generator) item(in *Incident, j int) Item {
	rng, day := g.rng, 24*time.Hour
	it := Item{
		ID: fmt.Sprintf("%s-%d", in.ID, j+1), Title: fmt.Sprintf("Follow-up %d of %s", j+1, in.ID),
		Owner: g.team(in.Team).People[rng.IntN(len(g.team(in.Team).People))], Created: in.Published,
		Status: ItemOpen,
	}
	it.Due = in.Published.Truncate(day).Add(time.Duration(1+rng.IntN(14)) * day)
	endOfDue := it.Due.Add(day)
	switch r := rng.Float64(); {
	case endOfDue.After(g.p.Anchor): // not due yet: open, or done early
		if closed := in.Published.Add(time.Duration(1+rng.IntN(72)) * time.Hour); r < 0.5 && closed.Before(g.p.Anchor) {
			it.Status, it.Closed = ItemDone, closed
		}
	case r < g.p.OpenShare: // overdue
	case r < g.p.OpenShare+0.05:
		it.Status, it.Closed = ItemWontDo, g.before(it.Created, endOfDue)
	default:
		closed := g.before(it.Created, endOfDue)
		if rng.Float64() < g.p.LateShare {
			closed = endOfDue.Add(time.Duration(1+rng.IntN(20*24)) * time.Hour)
		}
		it.Status, it.Closed = ItemDone, closed
		if closed.After(g.p.Anchor) {
			it.Status, it.Closed = ItemOpen, time.Time{}
		}
	}
	return it
}

// before returns a whole second between from and to.
func (g generator) before(from, to time.Time) time.Time {
	return from.Add(time.Duration(g.rng.Int64N(int64(to.Sub(from))))).Truncate(time.Second)
}

// markUnowned takes the owner off the first Unowned overdue items of
// different teams.
func (g generator) markUnowned(incs []Incident) {
	left, seen := g.p.Unowned, map[string]bool{}
	for i := range incs {
		for j := range incs[i].Items {
			it := &incs[i].Items[j]
			if left > 0 && !seen[incs[i].Team] && it.Status == ItemOpen && it.Due.Add(24*time.Hour).Before(g.p.Anchor) {
				it.Owner, seen[incs[i].Team] = "", true
				left--
			}
		}
	}
}

// invalid returns two records whose core is broken: a SEV1 detected
// before it started, and a severity outside the taxonomy.
func (g generator) invalid(incs []Incident) []Incident {
	last := incs[len(incs)-1]
	a := last
	a.ID, a.Title, a.Team, a.Severity = "PM-BAD-1", "Typo in the times of a SEV1", "payments", "sev1"
	a.Started, a.Detected = g.p.Anchor.Add(-50*time.Hour), g.p.Anchor.Add(-51*time.Hour)
	a.Resolved, a.Mitigated, a.Published, a.Status, a.Resolution = a.Started.Add(2*time.Hour), time.Time{}, time.Time{}, "in_review", "rollback"
	a.Related, a.Items, a.Echoes, a.Invalid, a.Impact, a.Security, a.Learnings = nil, nil, "", "time_order", nil, false, 0
	a.File = filepath.Join("payments", a.ID+".md")
	b := a
	b.ID, b.Title, b.Team, b.Severity, b.Invalid = "PM-BAD-2", "Severity written as the pager says it", "search", "SEV-1", "invalid_value"
	b.Detected = b.Started.Add(5 * time.Minute)
	b.File = filepath.Join("search", b.ID+".md")
	return []Incident{a, b}
}

// Valid returns the incidents whose records are valid.
func (o *Org) Valid() []Incident {
	var out []Incident
	for _, in := range o.Incidents {
		if in.Invalid == "" {
			out = append(out, in)
		}
	}
	return out
}

// Write writes every record into dir, and a README without front matter
// (not a record: skipped) as a records repository has.
func (o *Org) Write(dir string) error {
	files := map[string]string{"README.md": "# Post-mortems\n\nOne file per incident, by team.\n"}
	for i, in := range o.Incidents {
		files[in.File] = recordText(in, timestampStyles[i%len(timestampStyles)])
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return nil
}

// timestampStyle writes an instant the way one person types it.
type timestampStyle struct {
	layout string
	zone   *time.Location
}

// timestampStyles are the forms people write (docs/records.md lists them
// all as the same instant): RFC 3339 in UTC, YAML's blank instead of T,
// an offset east and west of UTC, a blank before the zone.
var timestampStyles = []timestampStyle{
	{time.RFC3339, time.UTC},
	{"2006-01-02 15:04:05Z07:00", time.FixedZone("CEST", 2*3600)},
	{"2006-01-02 15:04:05 Z07:00", time.UTC},
	{time.RFC3339, time.FixedZone("EST", -5*3600)},
	{"2006-01-02 15:04:05 -07:00", time.FixedZone("IST", 5*3600+1800)},
}

// format writes t, and nothing for the zero time (a field not given).
func (s timestampStyle) format(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.zone).Format(s.layout)
}

// recordText is the record's file: Markdown with front matter, or YAML.
func recordText(in Incident, ts timestampStyle) string {
	var b strings.Builder
	// field writes key: value, and nothing for an empty value: the
	// optional fields are left out, as people do.
	field := func(key, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", key, value)
		}
	}
	list := func(values []string) string {
		if len(values) == 0 {
			return ""
		}
		return "[" + strings.Join(values, ", ") + "]"
	}
	for _, kv := range [][2]string{
		{"id", in.ID}, {"title", fmt.Sprintf("%q", in.Title)}, {"severity", in.Severity}, {"team", in.Team},
		{"services", list(in.Services)}, {"started_at", ts.format(in.Started)}, {"detected_at", ts.format(in.Detected)},
		{"mitigated_at", ts.format(in.Mitigated)}, {"resolved_at", ts.format(in.Resolved)}, {"origin", in.Origin},
		{"resolution", in.Resolution}, {"detection", in.Detection}, {"related", list(in.Related)}, {"status", in.Status},
		{"published_at", ts.format(in.Published)},
	} {
		field(kv[0], kv[1])
	}
	if in.Impact != nil {
		fmt.Fprintf(&b, "impact:\n  customers_affected: %d\n  failed_requests: %d\n  data_loss: %t\n",
			in.Impact.CustomersAffected, in.Impact.FailedRequests, in.Impact.DataLoss)
	}
	if in.Security {
		field("security_incident", "true")
	}
	if !in.Published.IsZero() {
		field("moderator", "mia")
		field("bar_raiser", "rory")
	}
	if in.Learnings > 0 {
		b.WriteString("learnings:\n")
	}
	for j := range in.Learnings {
		fmt.Fprintf(&b, "  - Learning %d of %s.\n", j+1, in.ID)
	}
	if len(in.Items) > 0 {
		b.WriteString("action_items:\n")
	}
	for _, it := range in.Items {
		fmt.Fprintf(&b, "  - id: %s\n    title: %q\n", it.ID, it.Title)
		if it.Owner != "" {
			fmt.Fprintf(&b, "    owner: %s\n", it.Owner)
		}
		fmt.Fprintf(&b, "    created_at: %s\n    due: %s\n    status: %s\n", ts.format(it.Created), it.Due.Format(time.DateOnly), it.Status)
		if !it.Closed.IsZero() {
			fmt.Fprintf(&b, "    closed_at: %s\n", ts.format(it.Closed))
		}
	}
	if strings.HasSuffix(in.File, ".yaml") {
		return b.String()
	}
	return "---\n" + b.String() + "---\n## Summary\n\nWhat happened, as the team wrote it.\n"
}
