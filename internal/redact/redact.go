// Package redact keeps secrets out of what the exporter shows: the
// password a database connection string may hold, and the credentials
// of any URL, however malformed. When unsure where a URL's credentials
// end, it takes everything between the scheme and the last '@' as
// credentials.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Mask replaces a secret.
const Mask = "xxxxx"

// minPiece is the shortest piece of a secret masked on its own (a
// password "ab/cdefgh" may be shown cut at '/'): masking one or two
// letters everywhere would garble the message and hide almost nothing.
const minPiece = 3

// ConnString returns text with connString masked if it appears whole,
// every password connString may hold masked (as written, decoded,
// unquoted, and the pieces of it that a parser may show apart), and the
// credentials of any URL in text masked. Use it on any text that may
// quote a connection string.
func ConnString(text, connString string) string {
	return maskWith(text, secretsOf(connString))
}

// Masker masks the passwords of a set of connection strings, found once
// (finding them parses each string, which may read ~/.pgpass): for a
// writer that masks every line it is given.
type Masker struct{ secrets [][]string }

// NewMasker returns a Masker of the connection strings.
func NewMasker(connStrings ...string) Masker {
	m := Masker{secrets: make([][]string, len(connStrings))}
	for i, c := range connStrings {
		m.secrets[i] = secretsOf(c)
	}
	return m
}

// Mask masks in text what ConnString masks for each connection string,
// one after the other, and the credentials of any URL.
func (m Masker) Mask(text string) string {
	for _, secrets := range m.secrets {
		text = maskWith(text, secrets)
	}
	return Credentials(text)
}

// secretsOf is what may show a password of connString: its passwords in
// every form and connString itself, longest first, so that a secret is
// not half replaced by a part of it that was also found.
func secretsOf(connString string) []string {
	secrets := append(passwords(connString), connString)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return secrets
}

// maskWith replaces each of secrets in text, then the credentials of any
// URL.
func maskWith(text string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, Mask)
		}
	}
	return Credentials(text)
}

// urlWithAt is a URL in free text whose part before its last '@' may be
// credentials: a scheme, then anything but blanks and quotes up to an '@'.
var urlWithAt = regexp.MustCompile("([A-Za-z][A-Za-z0-9+.-]*://)[^\\s\"'`<>]*@")

// passwordValue is a password=value pair of the keyword/value form or of
// a URL's query, spaces around '=' allowed, the value quoted or with
// backslash escapes.
var passwordValue = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)+)`)

// Credentials returns text with the credentials of every URL in it
// masked (everything between the scheme and the last '@' of the URL) and
// the value of every password=value: for messages that may quote a
// command-line argument or a setting.
func Credentials(text string) string {
	text = urlWithAt.ReplaceAllString(text, "${1}"+Mask+"@")
	return passwordValue.ReplaceAllString(text, "${1}"+Mask)
}

// WithoutCredentials removes what may be a secret from a repository's
// address before it is stored or shown as a name: everything between the
// scheme and the last '@' of a URL (https://user:token@host/path gives
// https://host/path; a token may be the user name alone, and a password
// may hold '/' unescaped), its query and fragment, and the user of an
// scp-like address (user@host:path gives host:path). Any other name is
// returned as it is.
func WithoutCredentials(name string) string {
	if scheme, rest, ok := strings.Cut(name, "://"); ok {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			rest = rest[at+1:]
		}
		rest, _, _ = strings.Cut(rest, "#")
		rest, _, _ = strings.Cut(rest, "?")
		return scheme + "://" + rest
	}
	// scp-like [user@]host:path: the part before the first '/' has an '@'
	// followed by a ':'.
	head, _, _ := strings.Cut(name, "/")
	if at := strings.LastIndexByte(head, '@'); at >= 0 && strings.Contains(head[at:], ":") {
		return name[at+1:]
	}
	return name
}

// passwords returns what in connString may be a password, whether or not
// connString parses: the password pgx reads, the user info of the URL
// form up to its last '@', and the password values of the keyword form
// and of a URL's query; each as written, decoded and unquoted, and the
// pieces of each between the characters a parser may cut it at.
func passwords(connString string) []string {
	var found []string
	add := func(raw string) {
		forms := []string{raw}
		if decoded, err := url.PathUnescape(raw); err == nil {
			forms = append(forms, decoded)
		}
		if decoded, err := url.QueryUnescape(raw); err == nil {
			forms = append(forms, decoded)
		}
		unquoted := strings.Trim(raw, "'")
		forms = append(forms, unquoted, strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\ `, ` `).Replace(unquoted))
		for _, form := range forms {
			found = append(found, form)
			for _, piece := range strings.FieldsFunc(form, isCut) {
				if len(piece) >= minPiece {
					found = append(found, piece)
				}
			}
		}
	}
	if cfg, err := pgconn.ParseConfig(connString); err == nil && cfg.Password != "" {
		add(cfg.Password)
	}
	if _, rest, ok := strings.Cut(connString, "://"); ok {
		// The user info ends at the last '@': a password may hold '/',
		// '?', '#' or '@' unescaped. Without a ':' it is a user name,
		// unless it holds a delimiter: then it is malformed, and a parser
		// may read any of it as a host, a port or a database.
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			userInfo := rest[:at]
			if _, pw, ok := strings.Cut(userInfo, ":"); ok {
				add(pw)
			} else if strings.ContainsAny(userInfo, "/?#") {
				add(userInfo)
			}
		}
	}
	for _, m := range passwordValue.FindAllStringSubmatch(connString, -1) {
		add(m[2])
		if value, _, ok := strings.Cut(m[2], "&"); ok { // the next query parameter
			add(value)
		}
	}
	return found
}

// isCut reports whether a parser may cut a password at c: the URL's
// delimiters, an escape, a quote or a blank.
func isCut(c rune) bool {
	return strings.ContainsRune("/?#@:\\' \t\n", c)
}
