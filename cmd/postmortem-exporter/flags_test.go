package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestBadFlagValuesNameTheFlag gives each kind of flag a value it cannot
// take: the error names the flag, and a number with a fraction or an
// exponent is refused rather than read as another number (kingpin's own
// integer flags read "2.7" as 2 and "1e3" as 1000).
func TestBadFlagValuesNameTheFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--overdue-items.limit=abc"}, `--overdue-items.limit: "abc" is not a whole number`},
		{[]string{"serve", "--overdue-items.limit=2.7"}, `--overdue-items.limit: "2.7" is not a whole number`},
		{[]string{"serve", "--periods.count=1e3"}, `--periods.count: "1e3" is not a whole number`},
		{[]string{"serve", "--refresh.interval=soon"}, `--refresh.interval: not a valid duration string: "soon"`},
		{[]string{"serve", "--log.level=loud"}, `--log.level: unrecognized log level loud`},
		{[]string{"import", "--prune.max-delete=ten", "."}, `--prune.max-delete: "ten" is not a whole number`},
		{[]string{"synthesize", "--incidents=1.5"}, `--incidents: "1.5" is not a whole number`},
		{[]string{"generate", "--mixin.team-overdue-items=3.5"}, `--mixin.team-overdue-items: "3.5" is not a whole number`},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, exitError, c.want)
		}
	}
}

// TestFolderAndDatabaseBothSet: serve and report refuse to start when a
// records folder and a database are both configured (the old code served
// the database and ignored the folder given on the command line), and
// the error does not show the database password.
func TestFolderAndDatabaseBothSet(t *testing.T) {
	env := map[string]string{"POSTMORTEM_DATABASE_URL": "postgres://u:S3cretPW@db.invalid/pm"}
	for _, args := range [][]string{{"serve", "--web.listen-address=127.0.0.1:0"}, {"report"}} {
		command := args[0]
		// The old serve kept serving: the deadline ends it, and the test
		// fails instead of hanging.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var stderrBuf bytes.Buffer
		code := run(ctx, append(args, "--source.dir="+t.TempDir()), env, io.Discard, &stderrBuf)
		cancel()
		stderr := stderrBuf.String()
		if code != exitError || !strings.Contains(stderr, "are both set") || strings.Contains(stderr, "S3cretPW") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d naming both sources, without the password", command, code, stderr, exitError)
		}
	}
}
