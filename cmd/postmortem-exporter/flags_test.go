package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
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

// TestEachCommandTakesOnlyItsFlags reads each subcommand's --help: it
// lists exactly the flags the subcommand uses (besides the global --help, --version,
// --log.level and --log.format). The old code gave report and generate
// every flag of serve (--refresh.interval, --web.listen-address, ...).
func TestEachCommandTakesOnlyItsFlags(t *testing.T) {
	bin := testenv.BuildExporter(t)
	const (
		source   = "source.dir source.exclude source.max-file-size database.url "
		rules    = "taxonomy.file records.max-clock-skew records.max-duration records.max-action-items records.max-list-length records.max-label-length records.max-url-length quality.file quality.roster-file "
		shape    = "windows services.top report.services overdue-items.limit exception-items.limit repeats.limit repeats.possible-within findings.limit periods periods.count periods.timezone "
		serving  = "migrate refresh.interval refresh.timeout periods.by-team metrics.detail metrics.custom-labels metrics.custom-top web.listen-address web.config.file web.systemd-socket web.telemetry-path web.max-requests web.timeout trackers.file trackers.interval "
		synthOrg = "items-per-incident teams seed "
	)
	for _, tc := range []struct{ command, flags string }{
		{"serve", source + rules + shape + serving},
		{"report", source + rules + shape + "format window team severity period output as-of"},
		{"generate", "taxonomy.file windows periods quality.file mixin.job mixin.overdue-item-for mixin.team-overdue-items mixin.mttr-regression-factor mixin.on-time-target mixin.customer-detected-limit mixin.grafana-url"},
		{"validate", rules + "source.exclude source.max-file-size output strict trackers trackers.file"},
		{"import", rules + "source.exclude source.max-file-size database.url source.name prune prune.max-delete prune.dry-run trackers.file"},
		{"migrate", "database.url taxonomy.file"},
		{"synthesize", synthOrg + "database.url incidents"},
		{"synthesize-files", synthOrg + "records"},
	} {
		help := runBinary(t, bin, nil, tc.command, "--help")
		got := helpFlags(help)
		want := append(strings.Fields(tc.flags), "help", "version", "log.level", "log.format")
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s --help lists\n  %s\nwant\n  %s\n%s", tc.command, strings.Join(got, " "), strings.Join(want, " "), help)
		}
	}
}

// flagLine is a flag's line in kingpin's help: "  -o, --output=..." or
// "      --[no-]strict", not a line of wrapped help text, indented further.
var flagLine = regexp.MustCompile(`(?m)^  (?:-\w, |    )--(?:\[no-\])?([a-z][a-z0-9.-]*)`)

// helpFlags returns the flags a --help lists, sorted.
func helpFlags(help string) []string {
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
		flags = append(flags, m[1])
	}
	slices.Sort(flags)
	return slices.Compact(flags)
}

// TestCommandsRefuseFlagsTheyDoNotUse: a flag of serve given to report or
// generate is an error naming it and the commands that take it (the old
// code took it and ignored it),
// and a bad variable of a setting a command does not use does not stop
// it (the old report, generate and migrate failed on a bad
// POSTMORTEM_REFRESH_INTERVAL).
func TestCommandsRefuseFlagsTheyDoNotUse(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		takenBy string
	}{
		{[]string{"report", "--refresh.interval=1m"}, "serve"},
		{[]string{"report", "--web.listen-address=:9999"}, "serve"},
		{[]string{"generate", "--source.dir=.", t.TempDir()}, "serve, report"},
		{[]string{"validate", "--windows=7d", "."}, "serve, generate, report"},
		{[]string{"migrate", "--source.dir=."}, "serve, report"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		flag, _, _ := strings.Cut(tc.args[1], "=")
		want := "unknown long flag '" + flag + "' (a flag of " + tc.takenBy + ")"
		if code != exitError || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, exitError, want)
		}
	}
	environ := map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "soon", "POSTMORTEM_WEB_TIMEOUT": "never"}
	for _, args := range [][]string{
		{"report", "--format=csv", "-o", filepath.Join(t.TempDir(), "report.csv")},
		{"generate", t.TempDir()},
		{"validate", "../../examples/postmortems"},
	} {
		if code, _, stderr := runCLIEnv(t, environ, args...); code != exitOK {
			t.Errorf("%v with serve's variables bad: exit %d, %s", args, code, stderr)
		}
	}
	if code, _, stderr := runCLIEnv(t, environ, "serve"); code != exitError || !strings.Contains(stderr, "POSTMORTEM_REFRESH_INTERVAL") {
		t.Errorf("serve with a bad POSTMORTEM_REFRESH_INTERVAL: exit %d, %s", code, stderr)
	}
}
