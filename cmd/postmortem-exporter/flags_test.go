package main

import (
	"strings"
	"testing"
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
