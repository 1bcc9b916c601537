package record

import (
	"slices"
	"testing"
)

// TestOddKeys: a mapping key that is empty or not a string is reported
// with a field the user can find, never an empty one (found by
// FuzzParseAndCheck: `&a : x` is an anchored empty key).
func TestOddKeys(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"&a : x\n", `"" unknown_field`},
		{"\"\": x\n", `"" unknown_field`},
		{"? [a, b]\n: x\n", "key malformed"},
		{"impact: {? {a: b} : 1}\n", "impact.key malformed"},
	} {
		_, problems := decodeText(t, baseRecord+tc.text)
		if got := problemFields(problems); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%q: got %v, want [%s]", tc.text, problems, tc.want)
		}
	}
}
