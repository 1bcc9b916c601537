package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(map[string]string{}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.SnapshotOptions(record.DefaultTaxonomy())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, w := range opts.Windows {
		names = append(names, w.Name)
	}
	if got := strings.Join(names, ","); got != "30d,90d,365d" {
		t.Errorf("windows = %s, want 30d,90d,365d", got)
	}
	if time.Duration(c.RefreshInterval) != time.Minute || c.ListenAddresses[0] != ":9787" || c.TopServices != 50 {
		t.Errorf("unexpected defaults: %+v", c)
	}
	// --periods.by-team=auto gets its limit from the collectors' series
	// bound: 56 teams with the defaults (docs/metrics.md).
	if opts.PeriodTeamsLimit == nil || opts.PeriodTeamsLimit(opts) != 56 {
		t.Errorf("the snapshot options carry no period teams limit of 56")
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := FromEnv(map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "5m", "POSTMORTEM_SOURCE_DIR": "/env", "POSTMORTEM_WINDOWS": "7d,30d"}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	c.AddFlags(app.Command("serve", "").Default(), Serve)
	if _, err := app.Parse([]string{"--source.dir=/flag", "--windows=1w,4w"}); err != nil {
		t.Fatal(err)
	}
	if c.SourceDir != "/flag" || time.Duration(c.RefreshInterval) != 5*time.Minute || strings.Join(c.Windows, ",") != "1w,4w" {
		t.Errorf("flags did not override env, or env was lost: %+v", c)
	}
}

func TestBadSettingsAreAllReported(t *testing.T) {
	_, err := FromEnv(map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "soon", "POSTMORTEM_TOP_SERVICES": "many"}, Serve)
	if err == nil || !strings.Contains(err.Error(), "POSTMORTEM_REFRESH_INTERVAL") || !strings.Contains(err.Error(), "POSTMORTEM_TOP_SERVICES") {
		t.Fatalf("want both bad variables named, got %v", err)
	}
	c, err := FromEnv(map[string]string{"POSTMORTEM_WINDOWS": "30d,1month,30d", "POSTMORTEM_TOP_SERVICES": "0", "POSTMORTEM_EXCEPTION_ITEMS_LIMIT": "0"}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SnapshotOptions(record.DefaultTaxonomy())
	for _, want := range []string{`"1month"`, "30d is given twice", "services.top", "exception-items.limit (POSTMORTEM_EXCEPTION_ITEMS_LIMIT)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error mentioning %s, got %v", want, err)
		}
	}
}

// TestCustomLabels: the custom fields counted by value are at most
// MaxCustomLabels names a record could carry, blanks and repeats dropped,
// with at most MaxCustomTop values each; none by default.
func TestCustomLabels(t *testing.T) {
	c, err := FromEnv(map[string]string{}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := c.SnapshotOptions(record.DefaultTaxonomy())
	if err != nil || len(opts.CustomLabels) != 0 || opts.TopCustomValues != 10 {
		t.Fatalf("defaults: %v %d, %v", opts.CustomLabels, opts.TopCustomValues, err)
	}
	c, err = FromEnv(map[string]string{"POSTMORTEM_METRICS_CUSTOM_LABELS": "Root cause type, urgency,,urgency", "POSTMORTEM_METRICS_CUSTOM_TOP": "3"}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	opts, err = c.SnapshotOptions(record.DefaultTaxonomy())
	if err != nil || !slices.Equal(opts.CustomLabels, []string{"Root cause type", "urgency"}) || opts.TopCustomValues != 3 {
		t.Fatalf("got %q %d, %v", opts.CustomLabels, opts.TopCustomValues, err)
	}
	for _, tc := range []struct{ labels, top, want string }{
		{"a,b,c,d,e,f", "10", "6 fields, more than 5"},
		{"a\x01", "10", "control or formatting character"},
		{"a", "21", "metrics.custom-top (POSTMORTEM_METRICS_CUSTOM_TOP): must be 1..20, got 21"},
		{"a", "0", "must be 1..20, got 0"},
	} {
		c, err := FromEnv(map[string]string{"POSTMORTEM_METRICS_CUSTOM_LABELS": tc.labels, "POSTMORTEM_METRICS_CUSTOM_TOP": tc.top}, Serve)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.SnapshotOptions(record.DefaultTaxonomy()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q, %s: got %v, want %q", tc.labels, tc.top, err, tc.want)
		}
	}
}

// TestDatabaseURLNeverAFlagDefault checks that the database URL from the
// environment (the variable, or the file _FILE names) is used when the
// flag is absent and overridden by it, and that --help, which prints flag
// defaults, says where it comes from but not what it is.
func TestDatabaseURLNeverAFlagDefault(t *testing.T) {
	const secret = "postgres://u:S3cretPW@db/pm"
	file := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		variable, value string
		args            []string
		want            string
	}{
		{"POSTMORTEM_DATABASE_URL", secret, nil, secret},
		{"POSTMORTEM_DATABASE_URL_FILE", file, nil, secret},
		{"POSTMORTEM_DATABASE_URL", secret, []string{"--database.url=postgres://flag/pm"}, "postgres://flag/pm"},
	} {
		environ := map[string]string{tc.variable: tc.value}
		var help strings.Builder
		helpApp, _ := serveApp(t, environ)
		helpApp.UsageWriter(&help)
		helpApp.Terminate(func(int) {}) // --help exits otherwise
		if _, err := helpApp.Parse([]string{"serve", "--help"}); err != nil {
			t.Fatal(err)
		}
		if text := strings.Join(strings.Fields(help.String()), " "); strings.Contains(text, "S3cretPW") || !strings.Contains(text, "(now set from "+tc.variable+")") {
			t.Errorf("%s: help shows the password or not where it comes from:\n%s", tc.variable, help.String())
		}
		app, c := serveApp(t, environ)
		if _, err := app.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if c.DatabaseURL != tc.want {
			t.Errorf("%s %v: database URL %q, want %q", tc.variable, tc.args, c.DatabaseURL, tc.want)
		}
	}
}

// serveApp returns an application whose default command has the flags of
// serve, with the configuration read from environ.
func serveApp(t *testing.T, environ map[string]string) (*kingpin.Application, *Config) {
	t.Helper()
	c, err := FromEnv(environ, Serve)
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	c.AddFlags(app.Command("serve", "").Default(), Serve)
	return app, &c
}

// TestRecordLimits: the limits come from the environment, flags override
// them, and bad ones are all reported.
func TestRecordLimits(t *testing.T) {
	c, err := FromEnv(map[string]string{}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	lim, err := c.Limits()
	if err != nil || lim != record.DefaultLimits() {
		t.Errorf("defaults: got %+v, %v; want %+v", lim, err, record.DefaultLimits())
	}
	l, err := FromEnv(map[string]string{"POSTMORTEM_RECORDS_MAX_DURATION": "90d", "POSTMORTEM_RECORDS_MAX_CLOCK_SKEW": "1h",
		"POSTMORTEM_RECORDS_MAX_ACTION_ITEMS": "20", "POSTMORTEM_TOP_SERVICES": "not read here",
		"POSTMORTEM_RECORDS_MAX_LABEL_LENGTH": "64", "POSTMORTEM_RECORDS_MAX_URL_LENGTH": "512"}, Rules)
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	l.AddFlags(app.Command("validate", "").Default(), Rules)
	if _, err := app.Parse([]string{"--records.max-list-length=7", "--records.max-clock-skew=2m", "--records.max-url-length=300"}); err != nil {
		t.Fatal(err)
	}
	lim, err = l.Limits()
	want := record.Limits{MaxClockSkew: 2 * time.Minute, MaxDuration: 90 * 24 * time.Hour, MaxActionItems: 20, MaxListLength: 7,
		MaxLabelLength: 64, MaxURLLength: 300}
	if err != nil || lim != want {
		t.Errorf("got %+v, %v; want %+v", lim, err, want)
	}

	_, err = FromEnv(map[string]string{"POSTMORTEM_RECORDS_MAX_DURATION": "a year"}, Rules)
	if err == nil || !strings.Contains(err.Error(), "POSTMORTEM_RECORDS_MAX_DURATION") {
		t.Errorf("want the bad variable named, got %v", err)
	}
	_, err = RecordLimits{MaxDuration: 0, MaxActionItems: 0, MaxListLength: -1, MaxLabelLength: 0, MaxURLLength: -1}.Limits()
	for _, want := range []string{"records.max-duration", "records.max-action-items", "records.max-list-length",
		"records.max-label-length (POSTMORTEM_RECORDS_MAX_LABEL_LENGTH)", "records.max-url-length (POSTMORTEM_RECORDS_MAX_URL_LENGTH)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error mentioning %s, got %v", want, err)
		}
	}
}

// TestPeriodSettings checks the period settings from the environment, the
// flags that override them, and every bad one reported at once.
func TestPeriodSettings(t *testing.T) {
	c, err := FromEnv(map[string]string{"POSTMORTEM_PERIODS_TIMEZONE": "Europe/Paris", "POSTMORTEM_PERIODS_BY_TEAM": "false"}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	c.AddFlags(app.Command("serve", "").Default(), Serve)
	if _, err := app.Parse([]string{"--periods=week", "--periods.count=4"}); err != nil {
		t.Fatal(err)
	}
	opts, err := c.SnapshotOptions(record.DefaultTaxonomy())
	if err != nil {
		t.Fatal(err)
	}
	if p := opts.Periods; p.Unit != "week" || p.Count != 4 || p.Location.String() != "Europe/Paris" || p.ByTeam != snapshot.TeamsOff {
		t.Errorf("periods = %+v, want week, 4, Europe/Paris, never by team", p)
	}
	c, err = FromEnv(map[string]string{"POSTMORTEM_PERIODS": "fortnight", "POSTMORTEM_PERIODS_COUNT": "0", "POSTMORTEM_PERIODS_TIMEZONE": "Mars/Olympus", "POSTMORTEM_PERIODS_BY_TEAM": "yes"}, Serve)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SnapshotOptions(record.DefaultTaxonomy())
	for _, want := range []string{"POSTMORTEM_PERIODS)", "POSTMORTEM_PERIODS_COUNT", `"Mars/Olympus"`, "POSTMORTEM_PERIODS_BY_TEAM"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error mentioning %s, got %v", want, err)
		}
	}
}

// TestRosterFile: POSTMORTEM_QUALITY_ROSTER_FILE gives the roster rules
// their roster, read with the taxonomy and the quality rules as one
// configuration (what serve reads again on SIGHUP); a bad roster is
// refused naming the file, and without one the roster rules are off.
func TestRosterFile(t *testing.T) {
	dir := t.TempDir()
	roster := filepath.Join(dir, "roster.yaml")
	if err := os.WriteFile(roster, []byte("payments: [ann]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(env map[string]string) (record.Config, error) {
		t.Helper()
		c, err := FromEnv(env, Serve)
		if err != nil {
			t.Fatal(err)
		}
		return c.RecordConfig()
	}
	rules, err := load(map[string]string{"POSTMORTEM_QUALITY_ROSTER_FILE": roster})
	if err != nil || rules.Quality.Roster == nil || !rules.Quality.Roster.IsPerson("ann") || rules.Quality.Roster.IsPerson("payments") {
		t.Fatalf("roster %+v, %v; want ann a person of payments", rules.Quality.Roster, err)
	}
	if rules, err := load(map[string]string{}); err != nil || rules.Quality.Roster != nil {
		t.Errorf("without a roster file: %+v, %v; want no roster", rules.Quality.Roster, err)
	}
	if err := os.WriteFile(roster, []byte("payments: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := load(map[string]string{"POSTMORTEM_QUALITY_ROSTER_FILE": roster}); err == nil || !strings.Contains(err.Error(), roster) {
		t.Errorf("a bad roster: %v, want an error naming %s", err, roster)
	}
}
