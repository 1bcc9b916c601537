package postgres

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestOpenNeverEchoesThePassword opens connection strings that pgx cannot
// parse, or that name a server nobody listens on, and checks the error
// says why without the password, in every form libpq accepts it.
func TestOpenNeverEchoesThePassword(t *testing.T) {
	const pw = "S3cretPW"
	for _, tc := range []struct{ connString, reason string }{
		{"postgres://u:S3cretPW@127.0.0.1:badport/db", "invalid port"},
		{"postgres://u:S3cretPW@127.0.0.1:1/db?sslmode=bogus", "sslmode is invalid"},
		{"postgres://u:S3cretPW@[::1/db", "failed to parse as URL"},
		{"postgresql://u@127.0.0.1:1/db?password=S3cretPW&port=x", "invalid port"},
		{"postgres://u:S3cretPW/x@127.0.0.1:1/db?port=x", "invalid port"},
		{"password=S3cretPW host=127.0.0.1 port=x", "invalid port"},
		{"host=127.0.0.1 port=x password = S3cretPW", "invalid port"}, // pgx v5.12 shows this one
		{`host=127.0.0.1 port=x password=S3cret\ PW`, "invalid port"}, // and the part after the escaped space
		{"host=127.0.0.1 port=1 password='S3cret PW' sslmode=bogus", "sslmode is invalid"},
		{"password=S3cretPW host=127.0.0.1 port=1 bogus", "invalid keyword/value"},
		// Parsed: the error comes when connecting.
		{"postgres://u:S3cretPW@127.0.0.1:1/db?connect_timeout=2", "connection refused"},
		{"host=127.0.0.1 port=1 user=u password=S3cretPW connect_timeout=2", "connection refused"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pool, err := Open(ctx, tc.connString)
		if err == nil {
			err = pool.Ping(ctx)
			pool.Close()
		}
		cancel()
		switch {
		case err == nil:
			t.Errorf("%s: no error", tc.connString)
		case strings.Contains(err.Error(), "S3cret") || strings.Contains(err.Error(), pw[len(pw)-2:]):
			t.Errorf("%s: the error shows the password: %v", tc.connString, err)
		case !strings.Contains(err.Error(), tc.reason):
			t.Errorf("%s: error %q does not say %q", tc.connString, err, tc.reason)
		}
	}
}
