// Package postgres opens connections to PostgreSQL and keeps the password
// out of every message; the store, the source and the synthetic loader
// are its subpackages.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/redact"
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
	return redact.ConnString(msg, connString)
}

// RedactError returns err with its message masked by redact.ConnString; errors.Is
// and errors.As still see err. Nil stays nil.
func RedactError(err error, connString string) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: redact.ConnString(err.Error(), connString), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
