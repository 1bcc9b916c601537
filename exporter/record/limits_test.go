package record

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// problemFields lists "field code" for each problem, in order.
func problemFields(ps []Problem) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Field+" "+string(p.Code))
	}
	return out
}

// modelProblems are the problems of the model, core or not: res.Problems
// and the findings that break the model (they keep their code), without
// the quality rules' own findings.
func modelProblems(res Result) []Problem {
	out := slices.Clone(res.Problems)
	for _, f := range res.Findings {
		if f.Code != "" {
			out = append(out, f)
		}
	}
	return out
}

// TestImplausibleTimes: a time before 1970, after the clock plus its skew,
// or a duration beyond the bound is an error naming the field. The base
// record is as of testNow, 2026-11-25T12:00:00Z, with the default limits
// (5 minutes of skew, 365 days).
func TestImplausibleTimes(t *testing.T) {
	for _, tc := range []struct {
		name, field, value string
		want               []string // field and code of every problem
		message            string   // in a problem's message
	}{
		{"resolved in year 9999", "resolved_at", "9999-12-31T00:00:00Z", []string{"resolved_at implausible_time"}, "is in the future"},
		// The zero time stands for an absent field: the decoder says it is
		// implausible, and no duration is measured from it.
		{"started in year 1 (the zero time)", "started_at", "0001-01-01T00:00:00Z",
			[]string{"started_at implausible_time"}, "0001-01-01T00:00:00Z is before 1970-01-01"},
		{"started in year 1", "started_at", "0001-03-01T00:00:00Z", []string{"started_at implausible_time"},
			"0001-03-01T00:00:00Z is before 1970-01-01: not a plausible incident time"},
		{"detected in 1969", "detected_at", "1969-12-31T23:59:59Z",
			[]string{"detected_at implausible_time", "detected_at time_order"}, "before 1970-01-01"},
		{"detected 6 minutes ahead of the clock", "detected_at", "2026-11-25T12:06:00Z",
			[]string{"detected_at implausible_time"},
			"2026-11-25T12:06:00Z is in the future: the clock says 2026-11-25T12:00:00Z and allows 5m0s of skew (--records.max-clock-skew)"},
		{"published 5m1s ahead", "published_at", "2026-11-25T12:05:01Z", []string{"published_at implausible_time"}, "in the future"},
		{"published 5m ahead, within the skew", "published_at", "2026-11-25T12:05:00Z", nil, ""},
		{"item created in the future", "created_at", "2026-11-26T00:00:00Z",
			// closed_at (2026-11-21) is also before it
			[]string{"action_items[0].closed_at time_order", "action_items[0].created_at implausible_time"}, ""},
		{"item closed in the future", "closed_at", "2026-12-01T00:00:00Z", []string{"action_items[0].closed_at implausible_time"}, "in the future"},
		// 2026-11-19T13:00 plus 365 days is 2027-11-19T13:00 (no leap day in
		// between); in the future too, so the clock moves for these two.
		{"resolved 365 days and 1 s after the start", "resolved_at", "2027-11-19T13:00:01Z", []string{"resolved_at implausible_time"},
			"2027-11-19T13:00:01Z is 365 days after started_at, longer than the limit of 365 days (--records.max-duration)"},
		{"resolved exactly 365 days after the start", "resolved_at", "2027-11-19T13:00:00Z", nil, ""},
		{"mitigated 2 years after the start", "mitigated_at", "2028-11-19T13:00:00Z", []string{"mitigated_at implausible_time", "resolved_at time_order"}, "731 days after started_at"},
		{"started a year and a day before detection", "started_at", "2025-11-18T13:00:00Z",
			// detected 2026-11-19T13:10: 366 days and 10 minutes later, so
			// are mitigated_at and resolved_at.
			[]string{"detected_at implausible_time", "mitigated_at implausible_time", "resolved_at implausible_time"}, "366 days after started_at"},
		{"item due 2 years after its creation", "due", "2028-11-30", []string{"action_items[0].due implausible_time"}, "after action_items[0].created_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := testNow
			if strings.HasPrefix(tc.value, "2027") || strings.HasPrefix(tc.value, "2028") {
				now = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)
			}
			r, problems := decodeText(t, replaceField(t, baseRecord, tc.field, tc.value))
			res := Check([]*Record{r}, problems, Rules{Taxonomy: DefaultTaxonomy(), Limits: DefaultLimits(), Now: now})
			all := modelProblems(res)
			got := problemFields(all)
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", all, tc.want)
			}
			if tc.message != "" && !slices.ContainsFunc(all, func(p Problem) bool { return strings.Contains(p.Message, tc.message) }) {
				t.Errorf("no message of %v says %q", all, tc.message)
			}
			// An action item's time is a finding: the incident still counts.
			if tc.field == "created_at" || tc.field == "closed_at" || tc.field == "due" {
				if len(res.Problems) != 0 || len(res.Valid) != 1 || res.Verdict(r).ItemCounts(0) {
					t.Errorf("an implausible item time made the record invalid (%v) or the item was not left out", res.Problems)
				}
			}
			for _, p := range all {
				if p.Line == 0 || p.Path != "pm.yaml" {
					t.Errorf("%v does not locate the field", p)
				}
			}
		})
	}
}

// TestListLimits: more action items, services or related ids than the
// limit is an error on the list's field.
func TestListLimits(t *testing.T) {
	lim := Limits{MaxClockSkew: time.Minute, MaxDuration: 30 * 24 * time.Hour, MaxActionItems: 3, MaxListLength: 2,
		MaxLabelLength: 256, MaxURLLength: 2048}
	// withItems is the base record with n action items instead of its one.
	withItems := func(n int) string {
		var b strings.Builder
		b.WriteString(baseRecord[:strings.Index(baseRecord, "action_items:")])
		b.WriteString("action_items:")
		for i := range n {
			fmt.Fprintf(&b, "\n  - {id: PM-1-%d, title: a, owner: alice, due: 2026-11-30, status: open}", i)
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"3 action items", withItems(3), nil},
		{"4 action items", withItems(4), []string{"action_items too_many"}},
		{"2 services", replaceField(t, baseRecord, "services", "[a, b]"), nil},
		{"3 services", replaceField(t, baseRecord, "services", "[a, b, c]"), []string{"services too_many"}},
		{"3 related", baseRecord + "related: [PM-0, PM-2, PM-3]\n", []string{"related too_many"}},
	} {
		r, problems := decodeText(t, tc.text)
		got := problemFields(append(problems, Validate(r, Rules{Taxonomy: DefaultTaxonomy(), Limits: lim, Now: testNow})...))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	r, _ := decodeText(t, withItems(101))
	ps := Validate(r, Rules{Taxonomy: DefaultTaxonomy(), Limits: DefaultLimits(), Now: testNow})
	if len(ps) != 1 || ps[0].Message != "101 entries, more than the limit of 100 (--records.max-action-items)" || ps[0].Line != 15 {
		t.Errorf("101 action items with the default limit: got %v", ps)
	}
}

// TestSecondsBeyondDuration: spans longer than a time.Duration holds (292
// years) are exact, so an invalid row resolved in 9999 is taken back out
// of the database's sums exactly.
func TestSecondsBeyondDuration(t *testing.T) {
	from := time.Date(2026, 5, 10, 10, 0, 0, 0, time.UTC)
	to := time.Date(9999, 5, 10, 10, 0, 0, 500_000_000, time.UTC)
	// 7973 years, of which 1933 leap years (2028..9996 every 4 years:
	// 1993, less the 60 centuries not divisible by 400 from 2100 to 9900).
	want := float64(7973*365+1933)*86400 + 0.5
	if got := Seconds(from, to); got != want {
		t.Errorf("got %f s, want %f s", got, want)
	}
}

// TestLabelLengths: a value that becomes a label and is longer than its
// limit (256 bytes, 2048 for a url) is reported on its field and line with
// its length, the limit and the flag, and never reaches a label. An
// over-long id, team or related id breaks the incident core; an over-long
// service or url is a field_invalid finding (the incident still counts,
// without that value); an action item's over-long field is a finding that
// leaves the item out. 256 bytes are accepted.
func TestLabelLengths(t *testing.T) {
	long := strings.Repeat("x", 257)
	longURL := "https://example.com/" + strings.Repeat("x", 2029) // 20 + 2029 = 2049 bytes
	const label, url = "--records.max-label-length", "--records.max-url-length"
	item := func(key, value string) string { return baseRecord + "    " + key + ": " + value + "\n" } // line 23, in the item
	for _, tc := range []struct {
		name, text, field string
		line, n           int
		flag              string
		core, itemOut     bool
		services          []string // as labels
		url               string   // as a label
	}{
		{"team", replaceField(t, baseRecord, "team", long), "team", 4, 257, label, true, true, []string{"checkout"}, ""},
		{"id", replaceField(t, baseRecord, "id", long), "id", 1, 257, label, true, false, []string{"checkout"}, ""},
		{"related id", baseRecord + "related: [" + long + "]\n", "related[0]", 23, 257, label, true, false, []string{"checkout"}, ""},
		{"service", replaceField(t, baseRecord, "services", "[checkout, "+long+"]"), "services[1]", 5, 257, label, false, false,
			[]string{"checkout"}, ""},
		{"url", baseRecord + "url: " + longURL + "\n", "url", 23, 2049, url, false, false, []string{"checkout"}, ""},
		{"item id", strings.Replace(baseRecord, "- id: PM-1-1", "- id: "+long, 1), "action_items[0].id", 16, 257, label, false, true,
			[]string{"checkout"}, ""},
		{"item owner", replaceField(t, baseRecord, "owner", long), "action_items[0].owner", 18, 257, label, false, true, []string{"checkout"}, ""},
		{"item team", item("team", long), "action_items[0].team", 23, 257, label, false, true, []string{"checkout"}, ""},
		{"item url", item("url", longURL), "action_items[0].url", 23, 2049, url, false, true, []string{"checkout"}, ""},
		{"item approver", item("exception", "{approver: "+long+", reason: big}"), "action_items[0].exception.approver", 23, 257, label,
			false, true, []string{"checkout"}, ""},
		{"256 bytes everywhere", replaceField(t, replaceField(t, baseRecord, "team", long[1:]), "services", "["+long[1:]+"]") +
			"url: " + longURL[:2048] + "\n", "", 0, 0, "", false, false, []string{long[1:]}, longURL[:2048]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, res := checkText(t, tc.text, DefaultLimits())
			for range 2 { // a record kept between refreshes is checked again: same result
				all := append(slices.Clone(res.Problems), res.Findings...)
				found := slices.IndexFunc(all, func(p Problem) bool { return p.Field == tc.field && p.Code == CodeTooLarge })
				if tc.field == "" {
					if slices.ContainsFunc(all, func(p Problem) bool { return p.Code == CodeTooLarge }) {
						t.Errorf("problems %v, want no too_large", all)
					}
				} else if found < 0 {
					t.Fatalf("no too_large problem on %s in %v", tc.field, all)
				} else {
					p := all[found]
					limit := 256
					if tc.flag == url {
						limit = 2048
					}
					want := fmt.Sprintf("%d bytes, longer than the limit of %d (%s)", tc.n, limit, tc.flag)
					if p.Line != tc.line || p.Message != want || IsCore(p) != tc.core || !tc.core && p.Rule != RuleFieldInvalid {
						t.Errorf("got %+v; want line %d, core %v, message %q", p, tc.line, tc.core, want)
					}
				}
				for _, p := range all {
					if strings.Contains(p.Team, long) {
						t.Errorf("a problem's team label carries the long value: %.80s", p.String())
					}
				}
				if valid := len(res.Valid) == 1; valid == tc.core {
					t.Errorf("valid = %v, want %v: only a core problem makes the record invalid", valid, !tc.core)
				}
				if out := !res.Verdict(r).ItemCounts(0); out != tc.itemOut {
					t.Errorf("item left out = %v, want %v", out, tc.itemOut)
				}
				if got := r.LabelServices(); !slices.Equal(got, tc.services) || r.LabelURL() != tc.url {
					t.Errorf("labels: services %.40q, url %.40q; want %.40q, %.40q", got, r.LabelURL(), tc.services, tc.url)
				}
				res = Check([]*Record{r}, nil, Rules{Taxonomy: DefaultTaxonomy(), Limits: DefaultLimits(), Now: testNow})
			}
		})
	}
}

// TestURLsAreWebURLs: a url becomes a link in the dashboards, the alerts
// and the report, so one that is not an absolute http or https URL (a
// javascript: or data: URL would run in the reader's browser) is a
// field_invalid finding and reaches no label; the incident and the item
// still count (an owner keeps the overdue alert of an item whose ticket
// link was mistyped).
func TestURLsAreWebURLs(t *testing.T) {
	for _, tc := range []struct {
		url, message string
	}{
		{"javascript:alert(document.cookie)", `scheme "javascript"`},
		{"data:text/html,<script>alert(1)</script>", `scheme "data"`},
		{"JaVaScRiPt:alert(1)", `scheme "javascript"`},
		{"example.com/PM-1", "no scheme"},
		{"https:///PM-1", `scheme "https"`},
		{"ftp://example.com/PM-1", `scheme "ftp"`},
	} {
		t.Run(tc.url, func(t *testing.T) {
			r, res := checkText(t, baseRecord+"url: '"+tc.url+"'\n", DefaultLimits())
			if len(res.Valid) != 1 || r.LabelURL() != "" {
				t.Errorf("record url %q: valid %d, label %q; want the incident counted without its url", tc.url, len(res.Valid), r.LabelURL())
			}
			onURL := slices.DeleteFunc(slices.Clone(res.Findings), func(p Problem) bool { return p.Field != "url" })
			if len(onURL) != 1 || onURL[0].Rule != RuleFieldInvalid || !strings.Contains(onURL[0].Message, tc.message) {
				t.Errorf("record url %q: findings %v, want one field_invalid on url naming %s", tc.url, res.Findings, tc.message)
			}
			r, res = checkText(t, baseRecord+"    url: '"+tc.url+"'\n", DefaultLimits())
			if !res.Verdict(r).ItemCounts(0) || r.ActionItems[0].LabelURL() != "" {
				t.Errorf("item url %q: the item counts %v, its url as a label %q; want it counted without its url",
					tc.url, res.Verdict(r).ItemCounts(0), r.ActionItems[0].LabelURL())
			}
		})
	}
	r, res := checkText(t, baseRecord+"url: https://wiki.example.com/PM-1?x=1#top\n", DefaultLimits())
	if slices.ContainsFunc(res.Findings, func(p Problem) bool { return p.Field == "url" }) || r.LabelURL() != "https://wiki.example.com/PM-1?x=1#top" {
		t.Errorf("an https url: findings %v, label %q", res.Findings, r.LabelURL())
	}
}
