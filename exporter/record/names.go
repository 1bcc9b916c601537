package record

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// RuleNameMixedScript is the quality rule that flags a name mixing the
// letters of scripts that look alike (a Cyrillic `р` in `рayments`).
const RuleNameMixedScript = "name_mixed_script"

// NormalName is a name as the record keeps it: in Unicode NFC, so that
// the two ways of writing `é` are one team, one owner, one label.
func NormalName(s string) string { return norm.NFC.String(s) }

// lookAlikeScripts are the scripts whose letters are confused with one
// another; a name may use any one of them, not two.
var lookAlikeScripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Greek", unicode.Greek}, {"Cyrillic", unicode.Cyrillic},
	{"Armenian", unicode.Armenian}, {"Cherokee", unicode.Cherokee},
}

// refusedRune returns the first character of s that a name must not hold,
// and whether there is one: a control character, or a format character
// (the bidirectional controls U+202A..U+202E and U+2066..U+2069, the marks
// U+200E and U+200F, the zero-width U+200B..U+200D, U+2060 and U+FEFF,
// the soft hyphen), which make two different names look the same or one
// name look like another.
func refusedRune(s string) (rune, bool) {
	for _, c := range s {
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			return c, true
		}
	}
	return 0, false
}

// mixedScripts returns the look-alike scripts s mixes, in the order of
// lookAlikeScripts, or nil.
func mixedScripts(s string) []string {
	var found []string
	for _, sc := range lookAlikeScripts {
		if strings.ContainsFunc(s, func(c rune) bool { return unicode.Is(sc.table, c) }) {
			found = append(found, sc.name)
		}
	}
	if len(found) < 2 {
		return nil
	}
	return found
}

// names checks the values that name a team, a person or a service (they
// route alerts and become labels): a refused character is a problem in
// the field's scope (the team's breaks the incident core; a service's is a
// field_invalid finding that leaves the service out of the labels; an
// action item's leaves the item out), a mix of look-alike scripts a
// finding of name_mixed_script.
func (v *validator) names(r *Record, rules Rules) {
	if v.name("team", r.Team) {
		r.refuse("team")
	}
	v.in(qualityScope, func() {
		for i, svc := range r.Services {
			if field := fmt.Sprintf("services[%d]", i); v.name(field, svc) {
				r.refuse(field)
			}
		}
		v.name("moderator", r.Moderator)
		v.name("bar_raiser", r.BarRaiser)
	})
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		prefix := fmt.Sprintf("action_items[%d].", i)
		v.in(itemScope(i), func() {
			v.name(prefix+"owner", a.Owner)
			if a.Team != r.Team { // the record's team, checked as such
				v.name(prefix+"team", a.Team)
			}
			v.name(prefix+"exception.approver", a.ExceptionApprover)
		})
	}
}

// name reports a refused character in value, and a mix of look-alike
// scripts; it says whether value is refused. A NUL is refused, and
// reported by storable.
func (v *validator) name(field, value string) bool {
	if strings.IndexByte(value, 0) >= 0 {
		return true
	}
	if c, ok := refusedRune(value); ok {
		v.add(field, CodeInvalidValue, "holds %U, an invisible control or formatting character that makes names look alike: remove it", c)
		return true
	}
	if scripts := mixedScripts(value); scripts != nil {
		v.in(v.scope.withRule(RuleNameMixedScript), func() {
			v.add(field, CodeInvalidValue, "%q mixes letters of %s, which look alike: write it in one script", value, strings.Join(scripts, " and "))
		})
	}
	return false
}

// storable reports every text of the record that holds a NUL character
// (an escaped "\0" in YAML, \u0000 in JSON), which PostgreSQL cannot
// store: `validate` refuses what `import` could not write. One in an
// action item leaves the item out, as any of its invalid fields does; one
// anywhere else makes the record invalid, since none of its other fields
// can be dropped from what import stores.
func (v *validator) storable(r *Record) {
	text := func(field, s string) {
		if strings.IndexByte(s, 0) >= 0 {
			v.add(field, CodeInvalidValue, `holds a NUL character ("\0"), which cannot be stored: remove it`)
		}
	}
	list := func(field string, values []string) {
		for i, s := range values {
			text(fmt.Sprintf("%s[%d]", field, i), s)
		}
	}
	for _, f := range []struct{ field, value string }{
		{"id", r.ID}, {"title", r.Title}, {"severity", r.Severity}, {"team", r.Team}, {"url", r.URL},
		{"origin", r.Origin}, {"resolution", r.Resolution}, {"detection", r.Detection}, {"status", r.Status},
		{"moderator", r.Moderator}, {"bar_raiser", r.BarRaiser},
	} {
		text(f.field, f.value)
	}
	list("services", r.Services)
	list("related", r.Related)
	list("learnings", r.Learnings)
	if sr := r.SecurityReview; sr != nil {
		text("security_review.by", sr.By)
		text("security_review.outcome", sr.Outcome)
	}
	for i := range r.ActionItems {
		a := &r.ActionItems[i]
		prefix := fmt.Sprintf("action_items[%d].", i)
		v.in(itemScope(i), func() {
			for _, f := range []struct{ field, value string }{
				{"id", a.ID}, {"title", a.Title}, {"owner", a.Owner}, {"team", a.Team}, {"status", a.Status},
				{"exception", a.Exception}, {"exception.approver", a.ExceptionApprover}, {"url", a.URL},
			} {
				text(prefix+f.field, f.value)
			}
		})
	}
}

// CheckName returns why s cannot name a person or a team (it becomes a
// label and routes alerts): not UTF-8, a NUL, or a refused character (see
// refusedRune). Names from elsewhere than a record (a tracker's assignee)
// are checked with it.
func CheckName(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("holds a NUL")
	}
	if c, ok := refusedRune(s); ok {
		return fmt.Errorf("holds %U, an invisible control or formatting character", c)
	}
	return nil
}
