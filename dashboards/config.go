// Package dashboards builds the Grafana dashboards and the Prometheus
// recording and alerting rules of postmortem-exporter as code: a monitoring
// mixin. Metric names come from the collectors' constants, so a rename
// breaks the build instead of emptying a panel.
package dashboards

// Config holds the selectors, windows and thresholds shared by the
// dashboards and the rules.
type Config struct {
	// Selector is added to every metric selector, e.g. `job="postmortem"`.
	Selector string
	// Windows are the exporter's `window` label values, shortest first.
	Windows []string
	// RunbookURL is the base of every alert's runbook_url.
	RunbookURL string

	// OverdueItemFor is how long an item stays overdue before its alert fires.
	OverdueItemFor string
	// TeamOverdueItems is how many overdue items make a team's alert fire.
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
}

// DefaultConfig is the configuration of the generated files.
func DefaultConfig() Config {
	return Config{
		Selector:             `job="postmortem"`,
		Windows:              []string{"30d", "90d", "365d"},
		RunbookURL:           "https://github.com/postmortem-exporter/postmortem-exporter/blob/main/docs/runbooks.md",
		OverdueItemFor:       "1h",
		TeamOverdueItems:     5,
		UnpublishedDays:      10,
		MTTRRegressionFactor: 1.5,
		SourceDownFor:        "10m",
		InvalidRecordsFor:    "15m",
	}
}

func (c Config) shortWindow() string { return c.Windows[0] }
func (c Config) longWindow() string  { return c.Windows[len(c.Windows)-1] }
