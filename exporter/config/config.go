// Package config holds the exporter's settings: POSTMORTEM_* environment
// variables first, then command-line flags, which override them.
package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // period time zones on machines without a zoneinfo database

	"github.com/caarlos0/env/v11"
	"github.com/prometheus/common/model"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// EnvPrefix prefixes every environment variable the exporter reads.
const EnvPrefix = "POSTMORTEM_"

// Config is every setting of `serve`; the other subcommands take some of
// them (Settings). Env tags name the variables (with EnvPrefix); flags
// registered by AddFlags override them.
type Config struct {
	SourceDir         string         `env:"SOURCE_DIR"`
	DatabaseURL       string         `env:"DATABASE_URL"`
	DatabaseURLFile   string         `env:"DATABASE_URL_FILE,file"` // the file's content
	Migrate           bool           `env:"MIGRATE"`
	TaxonomyFile      string         `env:"TAXONOMY_FILE"`
	Windows           []string       `env:"WINDOWS" envDefault:"30d,90d,365d"`
	RefreshInterval   model.Duration `env:"REFRESH_INTERVAL" envDefault:"1m"`
	RefreshTimeout    model.Duration `env:"REFRESH_TIMEOUT" envDefault:"30s"`
	TopServices       int            `env:"TOP_SERVICES" envDefault:"50"`
	ReportServices    int            `env:"REPORT_SERVICES" envDefault:"10"`
	CustomLabels      []string       `env:"METRICS_CUSTOM_LABELS"`
	CustomTop         int            `env:"METRICS_CUSTOM_TOP" envDefault:"10"`
	OverdueItemsLimit int            `env:"OVERDUE_ITEMS_LIMIT" envDefault:"800"`
	RepeatsLimit      int            `env:"REPEATS_LIMIT" envDefault:"100"`
	PossibleRepeats   model.Duration `env:"REPEATS_POSSIBLE_WITHIN" envDefault:"30d"`
	FindingsLimit     int            `env:"FINDINGS_LIMIT" envDefault:"100"`
	ExceptionsLimit   int            `env:"EXCEPTION_ITEMS_LIMIT" envDefault:"100"`
	ListenAddresses   []string       `env:"WEB_LISTEN_ADDRESS" envDefault:":9787"`
	TelemetryPath     string         `env:"WEB_TELEMETRY_PATH" envDefault:"/metrics"`
	WebConfigFile     string         `env:"WEB_CONFIG_FILE"`
	WebSystemdSocket  bool           `env:"WEB_SYSTEMD_SOCKET"`
	MaxRequests       int            `env:"WEB_MAX_REQUESTS" envDefault:"40"`
	ScrapeTimeout     model.Duration `env:"WEB_TIMEOUT" envDefault:"10s"`
	Trackers
	Periods
	RecordLimits

	// FileSource holds the limits of the folder read from SourceDir.
	FileSource
}

// RecordLimits are the settings of record.Limits, shared by serve,
// validate and import (docs/records.md).
type RecordLimits struct {
	MaxClockSkew   model.Duration `env:"RECORDS_MAX_CLOCK_SKEW" envDefault:"5m"`
	MaxDuration    model.Duration `env:"RECORDS_MAX_DURATION" envDefault:"365d"`
	MaxActionItems int            `env:"RECORDS_MAX_ACTION_ITEMS" envDefault:"100"`
	MaxListLength  int            `env:"RECORDS_MAX_LIST_LENGTH" envDefault:"100"`
	MaxLabelLength int            `env:"RECORDS_MAX_LABEL_LENGTH" envDefault:"256"`
	MaxURLLength   int            `env:"RECORDS_MAX_URL_LENGTH" envDefault:"2048"`
	// QualityFile configures the quality rules (docs/quality.md).
	QualityFile string `env:"QUALITY_FILE"`
	// RosterFile lists the teams and their people for the roster rules
	// (docs/quality.md).
	RosterFile string `env:"QUALITY_ROSTER_FILE"`
}

// Trackers are the settings of the sync of the action items' tickets
// (docs/trackers.md).
type Trackers struct {
	// TrackersFile names the trackers file; empty: no sync.
	TrackersFile     string         `env:"TRACKERS_FILE"`
	TrackersInterval model.Duration `env:"TRACKERS_INTERVAL" envDefault:"5m"`
}

// Periods are the settings of the calendar periods and of the detail
// beyond the default series budget.
type Periods struct {
	Unit          string `env:"PERIODS" envDefault:"month"`
	Count         int    `env:"PERIODS_COUNT" envDefault:"13"`
	TimeZone      string `env:"PERIODS_TIMEZONE" envDefault:"UTC"`
	ByTeam        string `env:"PERIODS_BY_TEAM" envDefault:"auto"`
	MetricsDetail bool   `env:"METRICS_DETAIL"`
}

// MaxPeriods bounds --periods.count, and with it the series of the periods.
const MaxPeriods = 120

// MaxCustomLabels and MaxCustomTop bound --metrics.custom-labels and
// --metrics.custom-top, and with them the series of
// postmortem_incidents_by_custom: windows × 5 × (20 + 1) at most.
const (
	MaxCustomLabels = 5
	MaxCustomTop    = 20
)

// parseEnv fills a T from the environment, naming the variable, not the
// Go field, in every error.
func parseEnv[T any](environ map[string]string) (T, error) {
	var c T
	err := env.ParseWithOptions(&c, env.Options{Prefix: EnvPrefix, Environment: environ})
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return c, err
	}
	errs := make([]error, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			field, _ := reflect.TypeOf(c).FieldByName(pe.Name)
			e = fmt.Errorf("%s%s: %w", EnvPrefix, field.Tag.Get("env"), pe.Err)
		}
		errs = append(errs, e)
	}
	return c, errors.Join(errs...)
}

// Quality loads the quality rules file, or returns the defaults.
func (l RecordLimits) Quality() (record.Quality, error) {
	return record.LoadQuality(l.QualityFile)
}

// Limits checks the record limits, reporting every bad one at once.
func (l RecordLimits) Limits() (record.Limits, error) {
	var errs []error // a model.Duration is never negative: any skew will do
	if l.MaxDuration <= 0 {
		errs = append(errs, fmt.Errorf("records.max-duration (%sRECORDS_MAX_DURATION): must be positive", EnvPrefix))
	}
	for _, c := range []struct {
		flag, env string
		n         int
	}{
		{"records.max-action-items", "RECORDS_MAX_ACTION_ITEMS", l.MaxActionItems},
		{"records.max-list-length", "RECORDS_MAX_LIST_LENGTH", l.MaxListLength},
		{"records.max-label-length", "RECORDS_MAX_LABEL_LENGTH", l.MaxLabelLength},
		{"records.max-url-length", "RECORDS_MAX_URL_LENGTH", l.MaxURLLength},
	} {
		if c.n < 1 {
			errs = append(errs, fmt.Errorf("%s (%s%s): must be at least 1, got %d", c.flag, EnvPrefix, c.env, c.n))
		}
	}
	return record.Limits{
		MaxClockSkew:   time.Duration(l.MaxClockSkew),
		MaxDuration:    time.Duration(l.MaxDuration),
		MaxActionItems: l.MaxActionItems,
		MaxListLength:  l.MaxListLength,
		MaxLabelLength: l.MaxLabelLength,
		MaxURLLength:   l.MaxURLLength,
	}, errors.Join(errs...)
}

// options checks the period settings.
func (p *Periods) options() (snapshot.PeriodOptions, error) {
	var errs []error
	if !slices.Contains(snapshot.PeriodUnits, p.Unit) {
		errs = append(errs, fmt.Errorf("periods (%sPERIODS): %q: must be one of %s", EnvPrefix, p.Unit, strings.Join(snapshot.PeriodUnits, ", ")))
	}
	if p.Count < 1 || p.Count > MaxPeriods {
		errs = append(errs, fmt.Errorf("periods.count (%sPERIODS_COUNT): must be between 1 and %d, got %d", EnvPrefix, MaxPeriods, p.Count))
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil || p.TimeZone == "" || p.TimeZone == "Local" {
		errs = append(errs, fmt.Errorf("periods.timezone (%sPERIODS_TIMEZONE): %q is not an IANA time zone name", EnvPrefix, p.TimeZone))
	}
	if !slices.Contains(snapshot.TeamModes, p.ByTeam) {
		errs = append(errs, fmt.Errorf("periods.by-team (%sPERIODS_BY_TEAM): %q: must be one of %s", EnvPrefix, p.ByTeam, strings.Join(snapshot.TeamModes, ", ")))
	}
	return snapshot.PeriodOptions{Unit: p.Unit, Count: p.Count, Location: loc, ByTeam: snapshot.TeamMode(p.ByTeam)}, errors.Join(errs...)
}

// EnvDatabaseURL is the database URL from the environment: the variable,
// or the content of the file its _FILE variant names.
func (c *Config) EnvDatabaseURL() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return strings.TrimSpace(c.DatabaseURLFile)
}

// RecordConfig loads the taxonomy, quality rules and roster files as one
// configuration, or returns the defaults. serve reads them again with it
// on SIGHUP.
func (c *Config) RecordConfig() (record.Config, error) {
	return record.LoadConfig(c.TaxonomyFile, c.QualityFile, c.RosterFile)
}

// SnapshotOptions checks the settings that shape the snapshot, reporting
// every bad one at once.
func (c *Config) SnapshotOptions(tax record.Taxonomy) (snapshot.Options, error) {
	var errs []error
	windows, err := ParseWindows(c.Windows)
	if err != nil {
		errs = append(errs, err)
	}
	if c.ReportServices < 1 {
		errs = append(errs, fmt.Errorf("report.services (%sREPORT_SERVICES): must be at least 1, got %d", EnvPrefix, c.ReportServices))
	}
	if c.TopServices < 1 {
		errs = append(errs, fmt.Errorf("services.top (%sTOP_SERVICES): must be at least 1, got %d", EnvPrefix, c.TopServices))
	}
	if c.OverdueItemsLimit < 0 {
		errs = append(errs, fmt.Errorf("overdue-items.limit (%sOVERDUE_ITEMS_LIMIT): must be at least 0, got %d", EnvPrefix, c.OverdueItemsLimit))
	}
	if c.ExceptionsLimit < 1 {
		errs = append(errs, fmt.Errorf("exception-items.limit (%sEXCEPTION_ITEMS_LIMIT): must be at least 1, got %d", EnvPrefix, c.ExceptionsLimit))
	}
	if c.RepeatsLimit < 1 {
		errs = append(errs, fmt.Errorf("repeats.limit (%sREPEATS_LIMIT): must be at least 1, got %d", EnvPrefix, c.RepeatsLimit))
	}
	if c.FindingsLimit < 1 {
		errs = append(errs, fmt.Errorf("findings.limit (%sFINDINGS_LIMIT): must be at least 1, got %d", EnvPrefix, c.FindingsLimit))
	}
	customLabels, err := c.customLabels()
	if err != nil {
		errs = append(errs, err)
	}
	periods, err := c.Periods.options()
	if err != nil {
		errs = append(errs, err)
	}
	for _, d := range []struct {
		name string
		v    model.Duration
	}{{"refresh.interval (POSTMORTEM_REFRESH_INTERVAL)", c.RefreshInterval}, {"refresh.timeout (POSTMORTEM_REFRESH_TIMEOUT)", c.RefreshTimeout}, {"web.timeout (POSTMORTEM_WEB_TIMEOUT)", c.ScrapeTimeout},
		{"repeats.possible-within (POSTMORTEM_REPEATS_POSSIBLE_WITHIN)", c.PossibleRepeats},
		{"trackers.interval (POSTMORTEM_TRACKERS_INTERVAL)", c.TrackersInterval}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", d.name))
		}
	}
	opts := snapshot.Options{
		Windows:               windows,
		TopServices:           c.TopServices,
		OverdueItemsLimit:     c.OverdueItemsLimit,
		RepeatsLimit:          c.RepeatsLimit,
		PossibleRepeatsWithin: time.Duration(c.PossibleRepeats),
		FindingsLimit:         c.FindingsLimit,
		LabelLimit:            c.MaxLabelLength,
		ExceptionItemsLimit:   c.ExceptionsLimit,
		Periods:               periods,
		Detail:                c.Periods.MetricsDetail,
		PeriodTeamsLimit:      collectors.PeriodTeamsLimit,
		Trackers:              c.TrackersFile != "",
		CustomLabels:          customLabels,
		TopCustomValues:       c.CustomTop,
	}
	opts.SetTaxonomy(tax)
	return opts, errors.Join(errs...)
}

// customLabels checks --metrics.custom-labels and --metrics.custom-top,
// and returns the fields without blanks and repeats.
func (c *Config) customLabels() ([]string, error) {
	var keys []string
	var errs []error
	for _, k := range c.CustomLabels {
		k = strings.TrimSpace(k)
		if k == "" || slices.Contains(keys, k) {
			continue
		}
		if err := record.CheckCustomKey(k); err != nil {
			errs = append(errs, fmt.Errorf("metrics.custom-labels (%sMETRICS_CUSTOM_LABELS): %q: %w", EnvPrefix, k, err))
		}
		keys = append(keys, k)
	}
	if len(keys) > MaxCustomLabels {
		errs = append(errs, fmt.Errorf("metrics.custom-labels (%sMETRICS_CUSTOM_LABELS): %d fields, more than %d", EnvPrefix, len(keys), MaxCustomLabels))
	}
	if c.CustomTop < 1 || c.CustomTop > MaxCustomTop {
		errs = append(errs, fmt.Errorf("metrics.custom-top (%sMETRICS_CUSTOM_TOP): must be 1..%d, got %d", EnvPrefix, MaxCustomTop, c.CustomTop))
	}
	return keys, errors.Join(errs...)
}

// ParseWindows parses window names such as "30d" into windows, shortest
// first. The name, as written, is the `window` label.
func ParseWindows(names []string) ([]snapshot.Window, error) {
	var windows []snapshot.Window
	var errs []error
	for _, name := range names {
		name = strings.TrimSpace(name)
		d, err := model.ParseDuration(name)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("windows (%sWINDOWS): %q: %w", EnvPrefix, name, err))
		case d <= 0:
			errs = append(errs, fmt.Errorf("windows (%sWINDOWS): %q: must be positive", EnvPrefix, name))
		default:
			windows = append(windows, snapshot.Window{Name: name, Length: time.Duration(d)})
		}
	}
	if len(names) == 0 {
		errs = append(errs, fmt.Errorf("windows (%sWINDOWS): at least one window is needed", EnvPrefix))
	}
	slices.SortFunc(windows, func(a, b snapshot.Window) int { return int(a.Length - b.Length) })
	for i := 1; i < len(windows); i++ {
		if windows[i].Length == windows[i-1].Length {
			errs = append(errs, fmt.Errorf("windows (%sWINDOWS): %s is given twice", EnvPrefix, windows[i].Name))
		}
	}
	return windows, errors.Join(errs...)
}

// commaList is a flag holding a comma-separated list, like the environment
// variable it overrides.
type commaList []string

func (l *commaList) Set(v string) error {
	*l = nil
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*l = append(*l, item)
		}
	}
	return nil
}

func (l *commaList) String() string { return strings.Join(*l, ",") }
