// Package postgres opens connections to PostgreSQL and keeps the password
// out of every message; the store, the source and the synthetic loader
// are its subpackages.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open returns a pool on connString; it connects lazily. Its errors never
// hold the password: pgx's own parse errors echo the connection string
// with the password masked, but not in every form libpq accepts (pgx
// v5.12 shows it in "password = secret" and after an escaped space), so
// the connection string is never echoed.
func Open(ctx context.Context, connString string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the connection string (not shown: it may hold a password): %s", parseReason(err, connString))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, RedactError(err, connString)
	}
	return pool, nil
}

// parseReason is what a parse error says once the connection string and
// any password it holds are cut out of it.
func parseReason(err error, connString string) string {
	msg := err.Error()
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		// "cannot parse `<connection string>`: reason": keep the reason.
		if i := strings.LastIndex(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i >= 0 {
			msg = msg[i+len("`: "):]
		}
	}
	return Redact(msg, connString)
}

// Redact returns text with every password that connString may hold
// replaced by "xxxxx", and connString itself if it appears whole. Use it
// on any text that may quote a connection string.
func Redact(text, connString string) string {
	secrets := append(passwords(connString), connString)
	// Longest first, so that a secret is not half replaced by a part of
	// it that was also found.
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "xxxxx")
		}
	}
	return text
}

// RedactError returns err with Redact applied to its message; errors.Is
// and errors.As still see err. Nil stays nil.
func RedactError(err error, connString string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: Redact(err.Error(), connString), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// keywordPassword finds password=value in the keyword/value form, spaces
// around '=' allowed, the value quoted or with backslash escapes.
var keywordPassword = regexp.MustCompile(`password\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)+)`)

// urlPassword finds the password parameter of the URL form.
var urlPassword = regexp.MustCompile(`[?&]password=([^&#]*)`)

// passwords returns what in connString may be a password, as written and
// as decoded, whether or not connString parses: the URL's user info and
// password parameter, and the keyword form's password values.
func passwords(connString string) []string {
	var found []string
	add := func(raw string) {
		found = append(found, raw)
		if decoded, err := url.QueryUnescape(raw); err == nil && decoded != raw {
			found = append(found, decoded)
		}
		unquoted := strings.Trim(raw, "'")
		if unescaped := strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\ `, ` `).Replace(unquoted); unescaped != raw {
			found = append(found, unquoted, unescaped)
		}
	}
	if cfg, err := pgconn.ParseConfig(connString); err == nil && cfg.Password != "" {
		found = append(found, cfg.Password)
	}
	for _, scheme := range []string{"postgres://", "postgresql://"} {
		rest, ok := strings.CutPrefix(connString, scheme)
		if !ok {
			continue
		}
		// The user info ends at the last '@' before the host; a password
		// may hold '/', '?', '#' or '@' unescaped.
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
			}
		}
	}
	for _, m := range urlPassword.FindAllStringSubmatch(connString, -1) {
		add(m[1])
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(connString, -1) {
		add(m[1])
	}
	return found
}
