package config

import (
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(map[string]string{})
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
}

func TestFlagsOverrideEnv(t *testing.T) {
	c, err := FromEnv(map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "5m", "POSTMORTEM_SOURCE_DIR": "/env", "POSTMORTEM_WINDOWS": "7d,30d"})
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	c.AddFlags(app.Command("serve", "").Default())
	if _, err := app.Parse([]string{"--source.dir=/flag", "--windows=1w,4w"}); err != nil {
		t.Fatal(err)
	}
	if c.SourceDir != "/flag" || time.Duration(c.RefreshInterval) != 5*time.Minute || strings.Join(c.Windows, ",") != "1w,4w" {
		t.Errorf("flags did not override env, or env was lost: %+v", c)
	}
}

func TestBadSettingsAreAllReported(t *testing.T) {
	_, err := FromEnv(map[string]string{"POSTMORTEM_REFRESH_INTERVAL": "soon", "POSTMORTEM_TOP_SERVICES": "many"})
	if err == nil || !strings.Contains(err.Error(), "POSTMORTEM_REFRESH_INTERVAL") || !strings.Contains(err.Error(), "POSTMORTEM_TOP_SERVICES") {
		t.Fatalf("want both bad variables named, got %v", err)
	}
	c, err := FromEnv(map[string]string{"POSTMORTEM_WINDOWS": "30d,1month,30d", "POSTMORTEM_TOP_SERVICES": "0"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SnapshotOptions(record.DefaultTaxonomy())
	for _, want := range []string{`"1month"`, "30d is given twice", "services.top"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error mentioning %s, got %v", want, err)
		}
	}
}

// TestPeriodSettings checks the period settings from the environment, the
// flags that override them, and every bad one reported at once.
func TestPeriodSettings(t *testing.T) {
	c, err := FromEnv(map[string]string{"POSTMORTEM_PERIODS_TIMEZONE": "Europe/Paris", "POSTMORTEM_PERIODS_BY_TEAM": "true"})
	if err != nil {
		t.Fatal(err)
	}
	app := kingpin.New("test", "")
	c.AddFlags(app.Command("serve", "").Default())
	if _, err := app.Parse([]string{"--periods=week", "--periods.count=4"}); err != nil {
		t.Fatal(err)
	}
	opts, err := c.SnapshotOptions(record.DefaultTaxonomy())
	if err != nil {
		t.Fatal(err)
	}
	if p := opts.Periods; p.Unit != "week" || p.Count != 4 || p.Location.String() != "Europe/Paris" || !p.ByTeam {
		t.Errorf("periods = %+v, want week, 4, Europe/Paris, by team", p)
	}
	c, err = FromEnv(map[string]string{"POSTMORTEM_PERIODS": "fortnight", "POSTMORTEM_PERIODS_COUNT": "0", "POSTMORTEM_PERIODS_TIMEZONE": "Mars/Olympus"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SnapshotOptions(record.DefaultTaxonomy())
	for _, want := range []string{"POSTMORTEM_PERIODS)", "POSTMORTEM_PERIODS_COUNT", `"Mars/Olympus"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error mentioning %s, got %v", want, err)
		}
	}
}
