package trackers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
)

const secretToken = "tok-4f9a-never-shown"

func lookup(name string) (string, bool) {
	if name == "JIRA_TOKEN" {
		return secretToken, true
	}
	return "", false
}

func TestParseGoodFile(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "github")
	if err := os.WriteFile(tokenFile, []byte("  gh-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := `trackers:
  - kind: jira
    url: https://acme.atlassian.net
    user: bot@acme.com
    token_env: JIRA_TOKEN
  - kind: github
    url: https://github.com/acme
    api_url: https://api.github.com
    token_file: ` + tokenFile + `
owners:
  Erin@Acme.com: erin
precedence:
  due: tracker
`
	f, err := trackers.Parse("trackers.yaml", []byte(data), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Trackers) != 2 || f.Token(0) != secretToken || f.Token(1) != "gh-token" {
		t.Errorf("trackers %+v, tokens %q %q", f.Trackers, f.Token(0), f.Token(1))
	}
	// The owners map is compared without case; precedence keeps the
	// defaults of what the file does not set.
	if owner, ok := f.Owner("erin@acme.com"); !ok || owner != "erin" {
		t.Errorf("owner of erin@acme.com: %q %v, want erin", owner, ok)
	}
	if want := (trackers.Precedence{Status: "tracker", Owner: "tracker", Due: "tracker"}); f.Precedence != want {
		t.Errorf("precedence %+v, want %+v", f.Precedence, want)
	}
}

// TestParseErrors: each mistake is reported with the file, the line and
// the field, all at once, and no message shows a token.
func TestParseErrors(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(tokenFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"unknown key", "trackers:\n  - kind: jira\n    url: https://a.example\n    tokn_env: JIRA_TOKEN\n",
			[]string{"trackers.yaml: ", "line 4: field tokn_env not found"}},
		{"empty", "", []string{"trackers.yaml: empty"}},
		{"every field", `trackers:
  - kind: jiira
    url: acme.atlassian.net
    token_env: JIRA_TOKEN
  - kind: github
    url: https://bot:` + secretToken + `@github.com/acme
    token_env: GITHUB_TOKEN
  - kind: gitlab
    url: https://gitlab.com
    token_file: ` + tokenFile + `
  - kind: linear
    url: https://linear.app/acme
  - kind: jira
    url: https://gitlab.com
    token_env: JIRA_TOKEN
    token_file: /x
owners:
  bob: ""
precedence:
  status: ticket
`, []string{
			`trackers.yaml:2: trackers[0].kind: "jiira": want jira, github, gitlab, linear`,
			`trackers.yaml:3: trackers[0].url: "acme.atlassian.net": not an absolute http(s) address`,
			`trackers.yaml:6: trackers[1].url: https://github.com/acme: credentials belong in token_env or token_file`,
			`trackers.yaml:7: trackers[1].token_env: the variable GITHUB_TOKEN is not set or empty`,
			`trackers.yaml:10: trackers[2].token_file: ` + tokenFile + ` is empty`,
			`trackers.yaml:11: trackers[3]: give token_env or token_file`,
			`trackers.yaml:14: trackers[4].url: https://gitlab.com is trackers[2]'s url too`,
			`trackers.yaml:15: trackers[4].token_env: give token_env or token_file, not both`,
			`trackers.yaml:18: owners.bob: "" is no owner name`,
			`trackers.yaml:20: precedence.status: "ticket": want tracker or record`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trackers.Parse("trackers.yaml", []byte(tc.data), lookup)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), secretToken) {
				t.Errorf("error shows the token:\n%v", err)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	f := trackers.File{Trackers: []trackers.Tracker{{URL: "https://github.com/acme"}, {URL: "https://github.com/acme/secret-repo/"}, {URL: "https://acme.atlassian.net"}}}
	for url, want := range map[string]int{
		"https://github.com/acme/api/issues/12":           0,
		"https://github.com/acme/secret-repo/issues/3":    1, // the longest prefix
		"https://acme.atlassian.net/browse/OPS-1":         2,
		"https://github.com/acme-labs/api/issues/12":      -1, // not on a path boundary
		"https://acme.atlassian.net.evil.example/browse/": -1,
		"":  -1,
		"x": -1,
	} {
		if got, ok := f.Match(url); got != want || ok != (want >= 0) {
			t.Errorf("Match(%q) = %d %v, want %d", url, got, ok, want)
		}
	}
}
