package record

import (
	"slices"
	"strings"
	"testing"
)

// withItemField adds a field to the base record's action item.
func withItemField(field, value string) string {
	return strings.Replace(baseRecord, "    status: done\n", "    status: done\n    "+field+": "+value+"\n", 1)
}

// TestNULIsRefused writes a NUL, as YAML's "\0" and JSON's "\u0000"
// escapes give it, into each kind of field. Before the fix every one
// passed `validate` and made `import` fail with PostgreSQL's `invalid byte
// sequence for encoding "UTF8": 0x00`, rolling back its batch. Now each is
// a problem naming the field: of the core (the record is not imported) or,
// in an action item, a field_invalid finding that leaves the item out (it
// is not imported either). No problem carries the NUL itself: findings are
// stored by import.
func TestNULIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name, text, field string
		core              bool
	}{
		{"title, YAML escape", strings.Replace(baseRecord, "title: t\n", `title: "Checkout\0 API"`+"\n", 1), "title", true},
		{"title, JSON escape", strings.Replace(baseRecord, "title: t\n", `title: "Checkout\u0000 API"`+"\n", 1), "title", true},
		{"team", replaceField(t, baseRecord, "team", `"pay\0ments"`), "team", true},
		{"service", replaceField(t, baseRecord, "services", `["check\0out"]`), "services[0]", true},
		{"moderator", baseRecord + "moderator: \"m\\0ia\"\n", "moderator", true},
		{"learning", baseRecord + "learnings: [\"x\\0\"]\n", "learnings[0]", true},
		{"security review", baseRecord + "security_review: {by: \"s\\0am\", outcome: ok}\n", "security_review.by", true},
		{"item owner", replaceField(t, baseRecord, "owner", `"ali\0ce"`), "action_items[0].owner", false},
		{"none", baseRecord, "", false}, // the control: no NUL, no problem
		{"item title", strings.Replace(baseRecord, "    title: a\n", `    title: "a\0"`+"\n", 1), "action_items[0].title", false},
		{"item url", withItemField("url", `"https://t.example/1\0"`), "action_items[0].url", false},
		{"item exception", withItemField("exception", `{approver: "b\0ob", reason: big}`), "action_items[0].exception.approver", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, res := checkText(t, tc.text, DefaultLimits())
			all := append(slices.Clone(res.Problems), res.Findings...)
			for _, p := range all {
				if strings.ContainsRune(p.Field+p.Message+p.Team, 0) {
					t.Errorf("a problem carries the NUL: %q", p.String())
				}
			}
			i := slices.IndexFunc(all, func(p Problem) bool { return strings.Contains(p.Message, "NUL") })
			if tc.field == "" {
				if i >= 0 || len(res.Valid) != 1 {
					t.Fatalf("the control has a NUL problem or is invalid: %v", all)
				}
				return
			}
			if i < 0 || all[i].Field != tc.field || IsCore(all[i]) != tc.core || all[i].Line == 0 {
				t.Fatalf("problems %v; want a NUL problem on %s, core %v", all, tc.field, tc.core)
			}
			if valid := len(res.Valid) == 1; valid == tc.core {
				t.Errorf("valid = %v, want %v", valid, !tc.core)
			}
			if !tc.core && res.Verdict(r).ItemCounts(0) {
				t.Errorf("the item with a NUL still counts")
			}
		})
	}
}

// TestNULInAKey: a field name with a NUL is an unknown field whose name
// the problem shows quoted.
func TestNULInAKey(t *testing.T) {
	_, res := checkText(t, baseRecord+"\"ti\\0tle\": t\n", DefaultLimits())
	if len(res.Problems) != 1 || res.Problems[0].Code != CodeUnknownField || res.Problems[0].Field != `"ti\x00tle"` {
		t.Fatalf("problems %v, want one unknown field \"ti\\x00tle\"", res.Problems)
	}
}

// TestNamesThatCannotSpoof: a team, owner or service with an invisible
// character (a bidi override, a zero-width space) was a distinct label
// before the fix, so an alert routed by team or owner could be evaded;
// now it is refused with the code point named: the team's breaks the
// incident core, an owner's or approver's leaves the item out, a
// service's leaves the service out of the labels. A name mixing Latin
// and Cyrillic letters (`рayments`, Cyrillic р) is a finding of
// name_mixed_script. Names are kept in NFC: `cafe` + U+0301 is `café`.
func TestNamesThatCannotSpoof(t *testing.T) {
	for _, tc := range []struct {
		name, text, field, rule, says string
		core, itemOut                 bool
	}{
		{"team with a right-to-left override", replaceField(t, baseRecord, "team", `"pay\u202Ements"`), "team", "", "U+202E", true, false},
		{"owner with a zero-width space", replaceField(t, baseRecord, "owner", `"ali\u200bce"`), "action_items[0].owner", RuleFieldInvalid, "U+200B", false, true},
		{"approver with a left-to-right mark", withItemField("exception", `{approver: "bo\u200Eb", reason: big}`), "action_items[0].exception.approver", RuleFieldInvalid, "U+200E", false, true},
		{"service with a zero-width joiner", replaceField(t, baseRecord, "services", `["check\u200dout", "search"]`), "services[0]", RuleFieldInvalid, "U+200D", false, false},
		{"item team with a BOM", withItemField("team", `"pay\uFEFFments"`), "action_items[0].team", RuleFieldInvalid, "U+FEFF", false, true},
		{"team with a control character", replaceField(t, baseRecord, "team", `"pay\tments"`), "team", "", "U+0009", true, false},
		{"Cyrillic р in a Latin team", replaceField(t, baseRecord, "team", "рayments"), "team", RuleNameMixedScript, "Latin and Cyrillic", false, false},
		{"Greek ο in an owner", replaceField(t, baseRecord, "owner", "bοb"), "action_items[0].owner", RuleNameMixedScript, "Latin and Greek", false, false},
		{"a Cyrillic team", replaceField(t, baseRecord, "team", "платежи"), "team", "", "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, res := checkText(t, tc.text, DefaultLimits())
			all := append(slices.Clone(res.Problems), res.Findings...)
			i := slices.IndexFunc(all, func(p Problem) bool { return p.Field == tc.field })
			if tc.says == "" {
				if i >= 0 {
					t.Fatalf("problems %v, want none on %s", all, tc.field)
				}
				return
			}
			if i < 0 || all[i].Rule != tc.rule || !strings.Contains(all[i].Message, tc.says) {
				t.Fatalf("problems %v; want one on %s of rule %q saying %q", all, tc.field, tc.rule, tc.says)
			}
			if valid := len(res.Valid) == 1; valid == tc.core {
				t.Errorf("valid = %v, want %v", valid, !tc.core)
			}
			if out := !res.Verdict(r).ItemCounts(0); out != tc.itemOut {
				t.Errorf("item left out = %v, want %v", out, tc.itemOut)
			}
			if tc.core && (r.LabelTeam() != "" || all[i].Team != "") {
				t.Errorf("the refused team is a label: %q", r.LabelTeam())
			}
			if strings.HasPrefix(tc.field, "services") && slices.Contains(r.LabelServices(), r.Services[0]) {
				t.Errorf("the refused service is a label: %q", r.LabelServices())
			}
		})
	}
	r, _ := checkText(t, replaceField(t, replaceField(t, baseRecord, "team", "\"cafe\\u0301\""), "owner", "\"Zo\\u0065\\u0308\""), DefaultLimits())
	if r.Team != "caf\u00e9" || r.ActionItems[0].Owner != "Zo\u00eb" || r.ActionItems[0].Team != "caf\u00e9" {
		t.Errorf("team %q, owner %q, item team %q; want them in NFC", r.Team, r.ActionItems[0].Owner, r.ActionItems[0].Team)
	}
}
