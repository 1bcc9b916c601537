package record

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// FuzzParseTaxonomy parses any bytes as a taxonomy file: nothing panics,
// an error says something, and an accepted taxonomy is usable (every list
// has values, none blank, padded, repeated or invalid UTF-8: they are
// label values) and reads back the same once written out.
func FuzzParseTaxonomy(f *testing.F) {
	def, err := yaml.Marshal(DefaultTaxonomy())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(def), "", "severities: [critical, major, minor]\n", "severity: [a]\n", "severities: []\n",
		"origins: [a, b, a]\n", "severities: [a\n", "detections: [\" padded \"]\n", "severities: [\"\"]\n",
		"severities: &a [x]\norigins: *a\n", "resolutions: {a: b}\n", "---\n---\n", "severities: [\"\\xff\"]\n", "severities: [!!binary /w==]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tax, err := ParseTaxonomy(data)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for name, values := range map[string][]string{"severities": tax.Severities, "origins": tax.Origins,
			"resolutions": tax.Resolutions, "detections": tax.Detections} {
			if len(values) == 0 {
				t.Errorf("%s: accepted empty", name)
			}
			for i, v := range values {
				if v == "" || strings.TrimSpace(v) != v || !utf8.ValidString(v) || slices.Index(values, v) != i {
					t.Errorf("%s: accepted value %q", name, v)
				}
			}
		}
		out, err := yaml.Marshal(tax)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseTaxonomy(out)
		if err != nil || !slices.Equal(back.Severities, tax.Severities) || !slices.Equal(back.Origins, tax.Origins) ||
			!slices.Equal(back.Resolutions, tax.Resolutions) || !slices.Equal(back.Detections, tax.Detections) {
			t.Errorf("written out and read back: %+v, %v; want %+v", back, err, tax)
		}
	})
}

// FuzzParseQuality parses any bytes as a quality rules file: nothing
// panics, an error says something, and accepted rules are usable: every
// rule has a severity of error, warning or off (field_invalid never off),
// limits are at least 1, no habitual phrase is blank.
func FuzzParseQuality(f *testing.F) {
	for _, seed := range []string{
		"bar_raiser: {severity: off}\n", "", "action_item_size: {max_days: 0}\n", "field_invalid: {severity: off}\n",
		"action_item_habitual: {phrases: [\"\", be careful]}\n", "action_item_count: {max: 3, severities: [sev1]}\n",
		"nope: {}\n", "bar_raiser: [1]\n", "published_late: {max_days: -1, severity: error}\n", "---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseQuality(data)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		for _, r := range QualityRules {
			s := q.SeverityOf(r.Name)
			if !slices.Contains([]Severity{SeverityError, SeverityWarning, SeverityOff}, s) || r.AlwaysOn && s == SeverityOff {
				t.Errorf("%s: accepted severity %q", r.Name, s)
			}
		}
		if q.ItemMaxDays < 1 || q.MaxItems < 1 || q.PublishWithinDays < 1 {
			t.Errorf("accepted limits below 1: %+v", q)
		}
		for _, p := range q.HabitualPhrases {
			if strings.TrimSpace(p) == "" {
				t.Errorf("accepted a blank phrase")
			}
		}
	})
}
