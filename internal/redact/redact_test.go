package redact

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestConnString masks the password of connection strings in texts
// written the way pgx shows them. The expected texts are the input with
// each password, or the piece of it pgx shows, replaced by xxxxx by hand.
func TestConnString(t *testing.T) {
	for _, tc := range []struct{ name, connString, text, want string }{
		{"a '/' in the password: pgx reads the rest as the database",
			"postgres://pm:55432/SuperSecret@host/pm",
			"failed to connect to `user=root database=SuperSecret@host/pm`",
			"failed to connect to `user=root database=xxxxx@host/pm`"},
		{"a '/' in the password: pgx reads its start as the port",
			"postgres://pm:55432/SuperSecret@host/pm",
			"hostname resolving error: lookup pm port 55432",
			"hostname resolving error: lookup pm port xxxxx"},
		{"a '#' in the password: the rest is a fragment",
			"postgres://u:pass#word@host/db",
			`invalid port ":pass" after host`,
			`invalid port ":xxxxx" after host`},
		{"a '?' in the password: the rest is a query",
			"postgres://u:pass?word@host/db",
			`unrecognized query parameter word@host/db`,
			`unrecognized query parameter xxxxx@host/db`},
		{"an '@' in the password",
			"postgres://u:pass@word@h/db", "user u, pass@word and pass", "user u, xxxxx and xxxxx"}, // pgx reads "pass"
		{"URL-encoded",
			"postgres://u:p%2Fss%40wd@h/db", "p/ss@wd and p%2Fss%40wd", "xxxxx and xxxxx"},
		{"a token as the user, malformed",
			"postgres://tok/en1234@h/db", "database=en1234@h/db", "database=xxxxx@h/db"},
		{"keyword form, quoted",
			`host=h password='it\'s secret' x`, "it's secret", "xxxxx"},
		{"keyword form, an escaped space: pgx shows the part after it",
			`host=h password=S3c\ retPW`, "invalid keyword/value retPW", "invalid keyword/value xxxxx"},
		{"keyword form with a '/'",
			"host=h password=Super/Secret dbname=pm", "dbname Secret", "dbname xxxxx"},
		{"password query parameter followed by another",
			"postgresql://u@h:1/db?password=S3cretPW&port=x", "invalid port: S3cretPW&port=x, port", "invalid port: xxxxx, port"},
		{"the whole string quoted in a URL with credentials",
			"postgres://u:S3cretPW@h/db", "cannot parse `postgres://u:S3cretPW@h/db`", "cannot parse `xxxxx`"},
		{"URL-encoded '@', quoted both ways", "postgres://u:p%40ss@h/db", "p@ss and p%40ss", "xxxxx and xxxxx"},
		{"an '@' in the password, quoted whole", "postgres://u:a@b@h/db", "a@b", "xxxxx"},
		{"keyword form, an escaped quote", `host=h password='it\'s' x`, "it's", "xxxxx"},
		{"keyword form, an escaped space, quoted whole", `host=h password=a\ b`, "a b", "xxxxx"},
	} {
		if got := ConnString(tc.text, tc.connString); got != tc.want {
			t.Errorf("%s: ConnString(%q, %q) = %q, want %q", tc.name, tc.text, tc.connString, got, tc.want)
		}
	}
}

// TestConnStringOnPgxErrors gives pgx malformed connection strings and
// checks that no piece of the password of 3 bytes or more is left in
// its error once masked, whether parsing or connecting (to a port nobody
// listens on) fails.
func TestConnStringOnPgxErrors(t *testing.T) {
	for _, tc := range []struct{ connString string }{
		{"postgres://pm:55432/SuperSecret@127.0.0.1/pm?connect_timeout=2"},
		{"postgres://pm:1/SuperSecret@127.0.0.1/pm?connect_timeout=2"},
		{"postgres://pm:Super#Secret@127.0.0.1:1/pm"},
		{"postgres://pm:Super?Secret@127.0.0.1:1/pm"},
		{"postgres://pm:Super@Secret@127.0.0.1:1/pm?connect_timeout=2"},
		{"postgres://pm:Super Secret@127.0.0.1:1/pm"},
		{"postgres://SuperSecret/x@127.0.0.1:1/pm?connect_timeout=2"},
		{`host=127.0.0.1 port=1 password=Super\ Secret bogus`},
		{"host=127.0.0.1 port=1 password = 'Super Secret' sslmode=bogus"},
		{"host=127.0.0.1 port=x password=Super/Secret"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgconn.Connect(ctx, tc.connString)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			t.Errorf("%s: connected", tc.connString)
			continue
		}
		if got := ConnString(err.Error(), tc.connString); strings.Contains(got, "Super") || strings.Contains(got, "Secret") {
			t.Errorf("%s: the masked error shows the password: %s", tc.connString, got)
		}
	}
}

// TestCredentials masks the credentials of URLs, and password values,
// in free text such as a command-line error, and leaves other text.
func TestCredentials(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"unexpected postgres://pm:SuperSecret@host/pm", "unexpected postgres://xxxxx@host/pm"},
		{"unexpected postgres://pm:55432/SuperSecret@host/pm", "unexpected postgres://xxxxx@host/pm"},
		{"unexpected https://user:SECRET/TOK@host/r.git, try --help", "unexpected https://xxxxx@host/r.git, try --help"},
		{"open 'postgres://u:a@b@h/db': no such file", "open 'postgres://xxxxx@h/db': no such file"},
		{"unexpected password=SuperSecret", "unexpected password=xxxxx"},
		{"unexpected PASSWORD = 'Super Secret' host=h", "unexpected PASSWORD = xxxxx host=h"},
		{"open https://example.com/pm.git: no such file", "open https://example.com/pm.git: no such file"},
		{"owner alice@example.com", "owner alice@example.com"},
	} {
		if got := Credentials(tc.text); got != tc.want {
			t.Errorf("Credentials(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestWithoutCredentials checks that no form of a repository address
// keeps its credentials, and that other names are kept as given.
func TestWithoutCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:SECRET/TOK@host/r.git":                 "https://host/r.git", // a '/' in the token
		"https://user:12/TOK@host/r.git":                     "https://host/r.git", // parses, port 12
		"https://user:SE?CRET@host/r.git":                    "https://host/r.git",
		"https://user:SE#CRET@host/r.git":                    "https://host/r.git",
		"https://user:SE@CRET@host/r.git":                    "https://host/r.git",
		"https://user:secret@example.com/pm.git":             "https://example.com/pm.git",
		"https://secret@example.com/pm.git":                  "https://example.com/pm.git", // a token as the user name
		"https://oauth2:secret@gitlab.example.com:8443/g/pm": "https://gitlab.example.com:8443/g/pm",
		"https://example.com/pm.git?private_token=secret":    "https://example.com/pm.git",
		"https://example.com/pm.git#secret":                  "https://example.com/pm.git",
		"https://user:se cret@example.com/pm.git":            "https://example.com/pm.git",
		"ssh://git@example.com:22/pm.git":                    "ssh://example.com:22/pm.git",
		"git@example.com:team/pm.git":                        "example.com:team/pm.git",
		"user:secret@example.com:pm.git":                     "example.com:pm.git",
		"/srv/git/pm.git":                                    "/srv/git/pm.git",
		"team-a":                                             "team-a",
		"payments@oncall":                                    "payments@oncall",
	} {
		if got := WithoutCredentials(in); got != want {
			t.Errorf("WithoutCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}
