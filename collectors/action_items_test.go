package collectors

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTitleLabel: an item's title is its overdue series' label as written
// up to 100 characters, and cut to 99 and an ellipsis beyond, counted in
// characters, not bytes, so a multi-byte title is never cut mid-character.
func TestTitleLabel(t *testing.T) {
	for _, tc := range []struct{ title, want string }{
		{"Canary for the config loader", "Canary for the config loader"},
		{strings.Repeat("a", 100), strings.Repeat("a", 100)},
		{strings.Repeat("a", 101), strings.Repeat("a", 99) + "…"},
		{strings.Repeat("é", 150), strings.Repeat("é", 99) + "…"},
	} {
		got := titleLabel(tc.title)
		if got != tc.want || !utf8.ValidString(got) || utf8.RuneCountInString(got) > TitleLabelMax {
			t.Errorf("titleLabel(%d characters) = %q (%d characters), want %q", utf8.RuneCountInString(tc.title), got, utf8.RuneCountInString(got), tc.want)
		}
	}
}
