// Package dashboards builds the Grafana dashboards and the Prometheus
// recording and alerting rules of postmortem-exporter as code: a monitoring
// mixin. Metric names come from the collectors' constants, so a rename
// breaks the build instead of emptying a panel.
package dashboards

import (
	"fmt"
	"strings"
)

// Config holds the selectors, windows, periods and thresholds shared by
// the dashboards and the rules. `generate` fills it from the same
// settings as `serve`, so the files match the running exporter.
type Config struct {
	// Job is the Prometheus job of the exporter's targets, matched by the
	// rules; the dashboards offer it as the $job variable's default.
	Job string
	// Windows are the exporter's `window` label values, shortest first.
	Windows []string
	// TopSeverity is the most severe value of the taxonomy, whose share
	// the dashboards show.
	TopSeverity string
	// PeriodUnit is the exporter's calendar period: month, week or quarter.
	PeriodUnit string
	// RunbookURL is the base of every alert's runbook_url.
	RunbookURL string
	// GrafanaURL is where Grafana serves the dashboards: the team alerts'
	// dashboard_url and the Alertmanager notifications link to the team
	// drill-down there.
	GrafanaURL string

	// OverdueItemFor is how long an item stays overdue before its alert fires.
	OverdueItemFor string
	// TeamOverdueItems is how many overdue items make a team's alert fire,
	// and colour a team's count red on the dashboards.
	TeamOverdueItems int
	// UnpublishedDays is how many days after resolution a post-mortem
	// should be published.
	UnpublishedDays int
	// MTTRRegressionFactor: alert when the MTTR of the shortest window is
	// this many times that of the longest.
	MTTRRegressionFactor float64
	// SourceDownFor is how long the source may be unreadable before alerting.
	SourceDownFor string
	// InvalidRecordsFor is how long invalid records may stay before alerting.
	InvalidRecordsFor string
	// OnTimeTarget is the share of action items done on time below which
	// the on-time ratio turns orange (red below half of it).
	OnTimeTarget float64
	// CustomerDetectedLimit is the customer-detected share above which it
	// turns orange (red above twice as much).
	CustomerDetectedLimit float64

	// dashboard is set while building dashboards: selectors then match the
	// $job variable instead of the configured job.
	dashboard bool
}

// DefaultConfig is the configuration of the committed files: the
// exporter's defaults.
func DefaultConfig() Config {
	return Config{
		Job:                   "postmortem",
		Windows:               []string{"30d", "90d", "365d"},
		TopSeverity:           "sev1",
		PeriodUnit:            "month",
		RunbookURL:            "https://github.com/postmortem-exporter/postmortem-exporter/blob/main/docs/runbooks.md",
		GrafanaURL:            "http://localhost:3000", // the compose stack's
		OverdueItemFor:        "1h",
		TeamOverdueItems:      5,
		UnpublishedDays:       10,
		MTTRRegressionFactor:  1.5,
		SourceDownFor:         "10m",
		InvalidRecordsFor:     "15m",
		OnTimeTarget:          0.8,
		CustomerDetectedLimit: 0.25,
	}
}

// jobMatcher is the matcher every selector starts with.
func (c Config) jobMatcher() string {
	if c.dashboard {
		return `job=~"$job"`
	}
	return fmt.Sprintf("job=%q", c.Job)
}

// top matches the incidents of the most severe severity.
func (c Config) top() string { return fmt.Sprintf("severity=%q", c.TopSeverity) }

// topName names the most severe severity in titles: SEV1.
func (c Config) topName() string { return strings.ToUpper(c.TopSeverity) }

// teamDashboardURL is a Go template of the team drill-down's address for
// the team the template expression team holds ($labels.team in a rule,
// .CommonLabels.team in Alertmanager), query-escaped with urlquery so
// that a team such as "a&b c/d" stays one value.
func (c Config) teamDashboardURL(team string) string {
	return strings.TrimSuffix(c.GrafanaURL, "/") + "/d/" + uidTeam + "?var-team={{ " + team + " | urlquery }}"
}

func (c Config) shortWindow() string { return c.Windows[0] }
func (c Config) longWindow() string  { return c.Windows[len(c.Windows)-1] }
