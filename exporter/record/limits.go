package record

import (
	"errors"
	"fmt"
	"math"
	neturl "net/url"
	"strconv"
	"time"
)

// Rules are what records are checked against besides the model itself.
type Rules struct {
	Taxonomy Taxonomy
	Limits   Limits
	// Now is the instant of the check: a time after Now plus
	// Limits.MaxClockSkew is in the future.
	Now time.Time
	// Quality configures the quality rules; the zero value is the
	// defaults.
	Quality Quality
	// CountFindings keeps of each finding of the quality rules only what
	// counting it by team and rule needs: its path, rule, severity, team
	// and item, no field, line or message (Result.Reason gives the message
	// again for the few a list shows). For the exporter, which holds every
	// finding of a refresh at once; `validate` prints them whole.
	CountFindings bool
}

// Config is the part of the rules read from files: the taxonomy
// (--taxonomy.file), the quality rules (--quality.file) and the roster
// (--quality.roster-file). `serve` holds one Config and replaces it whole
// on SIGHUP, so that the files apply together or not at all.
type Config struct {
	Taxonomy Taxonomy
	// Quality configures the quality rules; the zero value is the
	// defaults.
	Quality Quality
}

// LoadConfig reads the taxonomy, quality rules and roster files (an empty
// path gives the defaults, and no roster), reporting what is wrong with
// all at once; each error names its file.
func LoadConfig(taxonomyPath, qualityPath, rosterPath string) (Config, error) {
	tax, taxErr := LoadTaxonomy(taxonomyPath)
	quality, qualityErr := LoadQuality(qualityPath)
	roster, rosterErr := LoadRoster(rosterPath)
	quality.Roster = roster
	return Config{Taxonomy: tax, Quality: quality}, errors.Join(taxErr, qualityErr, rosterErr)
}

// Rules returns the rules of a check at now: c with limits.
func (c Config) Rules(limits Limits, now time.Time) Rules {
	return Rules{Taxonomy: c.Taxonomy, Quality: c.Quality, Limits: limits, Now: now}
}

// Limits bound what one record may hold: its times must be plausible, its
// lists short enough that one file cannot flood memory or the metrics.
// docs/records.md explains each and its flag.
type Limits struct {
	// MaxClockSkew is how far after the instant of the check a time may
	// lie: the writer's clock may run a little ahead, nobody resolves an
	// incident tomorrow.
	MaxClockSkew time.Duration
	// MaxDuration bounds the time to detect, to mitigate and to recover,
	// and an action item's time from created_at to closed_at and to its
	// due day.
	MaxDuration time.Duration
	// MaxActionItems bounds the action items of a record.
	MaxActionItems int
	// MaxListLength bounds a record's services and related ids.
	MaxListLength int
	// MaxLabelLength bounds, in bytes, each value that becomes a label
	// but a URL: the record's id, team, services and related ids, and an
	// action item's id, owner, team and exception approver.
	MaxLabelLength int
	// MaxURLLength bounds, in bytes, the url of a record and of an action
	// item (the postmortem_url and ticket_url labels).
	MaxURLLength int
}

// DefaultLimits are the limits documented in docs/records.md.
func DefaultLimits() Limits {
	return Limits{
		MaxClockSkew:   5 * time.Minute,
		MaxDuration:    365 * 24 * time.Hour,
		MaxActionItems: 100,
		MaxListLength:  100,
		MaxLabelLength: 256,
		MaxURLLength:   2048,
	}
}

// Earliest is the earliest plausible time: no post-mortem describes an
// incident before 1970, and year 1 is the zero time that stands for an
// absent field.
var Earliest = time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)

// plausible checks the record's times against the clock and the limits,
// and the length of its lists. A duration is measured only between two
// plausible instants: one wrong time is one problem.
func (v *validator) plausible(r *Record, rules Rules) {
	lim := rules.Limits
	ok := func(field string, t time.Time) bool { return v.instant(field, t, rules) }
	started := ok("started_at", r.StartedAt)
	for _, t := range []struct {
		field string
		t     time.Time
	}{{"detected_at", r.DetectedAt}, {"acknowledged_at", r.AcknowledgedAt}, {"mitigated_at", r.MitigatedAt}, {"resolved_at", r.ResolvedAt}} {
		if ok(t.field, t.t) && started {
			v.duration(t.field, t.t, "started_at", r.StartedAt, lim.MaxDuration)
		}
	}
	ok("published_at", r.PublishedAt)
	if r.SecurityReview != nil {
		v.in(qualityScope, func() { ok("security_review.date", r.SecurityReview.Date) })
	}
	for i := range r.ActionItems {
		v.in(itemScope(i), func() { v.plausibleItem(fmt.Sprintf("action_items[%d].", i), r, &r.ActionItems[i], rules) })
	}
	v.length("action_items", len(r.ActionItems), lim.MaxActionItems, "--records.max-action-items")
	v.length("services", len(r.Services), lim.MaxListLength, "--records.max-list-length")
	v.length("related", len(r.Related), lim.MaxListLength, "--records.max-list-length")
}

// plausibleItem checks an action item's times: its problems are the
// item's.
func (v *validator) plausibleItem(prefix string, r *Record, a *ActionItem, rules Rules) {
	ok := func(field string, t time.Time) bool { return v.instant(field, t, rules) }
	created := true
	if !a.CreatedAt.Equal(r.PublishedAt) && !a.CreatedAt.Equal(r.DetectedAt) { // else a default, checked as such
		created = ok(prefix+"created_at", a.CreatedAt)
	}
	if ok(prefix+"closed_at", a.ClosedAt) && created {
		v.duration(prefix+"closed_at", a.ClosedAt, prefix+"created_at", a.CreatedAt, rules.Limits.MaxDuration)
	}
	if created {
		v.duration(prefix+"due", a.Due, prefix+"created_at", a.CreatedAt, rules.Limits.MaxDuration)
	}
}

// instant reports a time before 1970 or in the future, and says whether
// the time is plausible (or absent).
func (v *validator) instant(field string, t time.Time, rules Rules) bool {
	switch {
	case t.IsZero():
	case t.Before(Earliest):
		v.add(field, CodeImplausibleTime, "%s is before %s: not a plausible incident time", t.Format(time.RFC3339), Earliest.Format(time.DateOnly))
		return false
	case t.After(rules.Now.Add(rules.Limits.MaxClockSkew)):
		v.add(field, CodeImplausibleTime, "%s is in the future: the clock says %s and allows %s of skew (--records.max-clock-skew)",
			t.Format(time.RFC3339), rules.Now.UTC().Format(time.RFC3339), rules.Limits.MaxClockSkew)
		return false
	}
	return true
}

// duration reports a time more than limit after the one it is measured
// from.
func (v *validator) duration(field string, t time.Time, fromField string, from time.Time, limit time.Duration) {
	if t.IsZero() || from.IsZero() {
		return
	}
	if d := Seconds(from, t); d > limit.Seconds() {
		v.add(field, CodeImplausibleTime, "%s is %s after %s, longer than the limit of %s (--records.max-duration): check the year",
			t.Format(time.RFC3339), days(d), fromField, days(limit.Seconds()))
	}
}

// labels reports each value that would become a label and is longer than
// its limit, before anything else is checked so that no problem of the
// record carries an over-long team. An over-long id, team or related id
// breaks the incident core; an over-long service or url is a finding of
// field_invalid, and is marked so that it is left out of every metric
// (Record.LabelServices, Record.LabelURL) while the incident counts; an
// action item's over-long field is a finding that leaves the item out of
// the action item metrics. The marks are set anew on every check: the
// value itself is kept, so a check of the same record again finds it
// again.
func (v *validator) labels(r *Record, lim Limits) {
	r.refused = nil
	name := func(field, value string) bool {
		return v.long(field, value, lim.MaxLabelLength, "--records.max-label-length")
	}
	url := func(field, value string) bool {
		return v.long(field, value, lim.MaxURLLength, "--records.max-url-length") || v.notWebURL(field, value)
	}
	long := func(field, value string) bool {
		return v.long(field, value, lim.MaxURLLength, "--records.max-url-length")
	}
	if name("team", r.Team) {
		r.refuse("team")
	}
	name("id", r.ID)
	for i, id := range r.Related {
		name(fmt.Sprintf("related[%d]", i), id)
	}
	v.in(qualityScope, func() {
		for i, svc := range r.Services {
			if field := fmt.Sprintf("services[%d]", i); name(field, svc) {
				r.refuse(field)
			}
		}
		if url("url", r.URL) {
			r.refuse("url")
		}
	})
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		prefix := fmt.Sprintf("action_items[%d].", i)
		var tooLong bool
		v.in(itemScope(i), func() {
			name(prefix+"id", a.ID)
			name(prefix+"owner", a.Owner)
			name(prefix+"team", a.Team)
			name(prefix+"exception.approver", a.ExceptionApprover)
			tooLong = long(prefix+"url", a.URL)
		})
		// A url that is no web link is left out of the links
		// (ActionItem.LabelURL); the item still counts, its owner still
		// gets its overdue alert.
		if !tooLong {
			v.in(qualityScope, func() { v.notWebURL(prefix+"url", a.URL) })
		}
	}
}

// long reports a value longer than limit bytes, without the value: it
// may be a whole paragraph pasted by mistake.
func (v *validator) long(field, value string, limit int, flag string) bool {
	if len(value) <= limit {
		return false
	}
	v.add(field, CodeTooLarge, "%d bytes, longer than the limit of %d (%s)", len(value), limit, flag)
	return true
}

// notWebURL reports a url that is not an absolute http or https URL: it
// becomes a link in the dashboards, the alerts and the report, where a
// javascript: or data: URL would run in the reader's browser.
func (v *validator) notWebURL(field, value string) bool {
	if value == "" || isWebURL(value) {
		return false
	}
	u, err := neturl.Parse(value)
	scheme := "no scheme"
	if err == nil && u.Scheme != "" {
		scheme = "scheme " + strconv.Quote(u.Scheme)
	}
	v.add(field, CodeInvalidValue, "not an absolute http or https URL (%s): it is left out of every link", scheme)
	return true
}

// isWebURL reports whether value is an absolute http or https URL.
func isWebURL(value string) bool {
	u, err := neturl.Parse(value)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// length reports a list longer than limit.
func (v *validator) length(field string, n, limit int, flag string) {
	if n > limit {
		v.add(field, CodeTooMany, "%d entries, more than the limit of %d (%s)", n, limit, flag)
	}
}

// days formats a long span of seconds in days, a short one as Go does.
func days(seconds float64) string {
	if seconds < 2*86400 {
		return time.Duration(seconds * float64(time.Second)).String()
	}
	return strconv.FormatFloat(math.Round(seconds/8640)/10, 'f', -1, 64) + " days"
}
