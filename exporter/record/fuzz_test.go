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
