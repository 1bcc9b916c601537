package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Settings names, by flag, the settings one subcommand takes: it
// registers only their flags, and reads only their variables (a variable
// of a setting it does not take is not read, so a bad one does not stop
// it; the setting keeps its default).
type Settings []string

// The settings of each subcommand that takes more than its own flags.
var (
	// Serve is every setting.
	Serve = allSettings()
	// Report reads the records as serve does and shapes the report as
	// serve shapes the metrics, without serving them.
	Report = Settings{
		"source.dir", "source.exclude", "source.max-file-size", "database.url", "taxonomy.file", "windows",
		"services.top", "report.services", "overdue-items.limit", "exception-items.limit", "periods", "periods.count", "periods.timezone", "repeats.limit",
		"repeats.possible-within", "findings.limit",
		"records.max-clock-skew", "records.max-duration", "records.max-action-items", "records.max-list-length",
		"records.max-label-length", "records.max-url-length", "quality.file", "quality.roster-file",
	}
	// Generate takes what the dashboards and rules depend on.
	Generate = Settings{"taxonomy.file", "windows", "periods", "quality.file"}
	// Rules are the settings records are checked with (validate, import).
	Rules = Settings{
		"taxonomy.file", "records.max-clock-skew", "records.max-duration", "records.max-action-items", "records.max-list-length",
		"records.max-label-length", "records.max-url-length", "quality.file", "quality.roster-file",
	}
	// Folder are the settings of a folder of records read (validate, import).
	Folder = Settings{"source.exclude", "source.max-file-size"}
	// Database is the database connection (import, migrate, synthesize).
	Database = Settings{"database.url"}
)

// setting is one setting: its flag, the variables that set it (without
// EnvPrefix) and how its flag is registered, with the value read from the
// environment as its default.
type setting struct {
	flag string
	env  []string
	help string
	// note, when set, follows the variables in the help (where the value
	// comes from, for a value --help must not print).
	note func(c *Config) string
	add  func(c *Config, f *kingpin.FlagClause)
}

// settings lists every setting, in the order --help shows them.
var settings = []setting{
	{flag: "source.dir", env: []string{"SOURCE_DIR"},
		help: "Folder of post-mortem records (.md with front matter, .yaml, .json). Empty: the bundled examples.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.SourceDir).StringVar(&c.SourceDir) }},
	{flag: "source.exclude", env: []string{"SOURCE_EXCLUDE"},
		help: "Leave out the files and folders matching this glob, relative to the folder (`**` spans folders, e.g. 'templates/**'); repeatable. The variable is comma separated.",
		add: func(c *Config, f *kingpin.FlagClause) {
			// A repeated flag appends to its variable: start empty, so that
			// the flags replace the environment's list instead of adding.
			fromEnv := c.Exclude
			c.Exclude = nil
			f.Default(fromEnv...).StringsVar(&c.Exclude)
		}},
	{flag: "source.max-file-size", env: []string{"SOURCE_MAX_FILE_SIZE"},
		help: "Largest record file read (e.g. 4MiB); a larger one is reported, not read.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.MaxFileSize.String()).SetValue(&c.MaxFileSize) }},
	{flag: "database.url", env: []string{"DATABASE_URL", "DATABASE_URL_FILE"},
		help: "PostgreSQL connection string (pgx format); serve and report read the records from it instead of files.",
		note: (*Config).databaseURLSource,
		add: func(c *Config, f *kingpin.FlagClause) {
			// The environment's URL is the value before parsing, not a
			// kingpin default: --help prints defaults, and this one holds
			// a password.
			c.DatabaseURL = c.EnvDatabaseURL()
			f.PlaceHolder("URL").StringVar(&c.DatabaseURL)
		}},
	{flag: "migrate", env: []string{"MIGRATE"},
		help: "Apply missing database migrations on the first refresh.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(fmt.Sprint(c.Migrate)).BoolVar(&c.Migrate) }},
	{flag: "taxonomy.file", env: []string{"TAXONOMY_FILE"},
		help: "YAML file with the allowed severities, origins, resolutions and detections. Empty: the defaults. serve reads it again on SIGHUP, with --quality.file.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.TaxonomyFile).StringVar(&c.TaxonomyFile) }},
	{flag: "windows", env: []string{"WINDOWS"},
		help: "Rolling windows, comma separated, as the `window` label (Prometheus durations).",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(strings.Join(c.Windows, ",")).SetValue((*commaList)(&c.Windows))
		}},
	{flag: "refresh.interval", env: []string{"REFRESH_INTERVAL"},
		help: "How often to rebuild the snapshot from the source (also on SIGHUP).",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(c.RefreshInterval.String()).SetValue(&c.RefreshInterval)
		}},
	{flag: "refresh.timeout", env: []string{"REFRESH_TIMEOUT"},
		help: "How long one refresh may take.",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(c.RefreshTimeout.String()).SetValue(&c.RefreshTimeout)
		}},
	{flag: "services.top", env: []string{"TOP_SERVICES"},
		help: "How many services get their own series in postmortem_incidents_by_service; the rest are summed as \"other\".",
		add:  func(c *Config, f *kingpin.FlagClause) { IntFlag(f.Default(fmt.Sprint(c.TopServices)), &c.TopServices) }},
	{flag: "report.services", env: []string{"REPORT_SERVICES"},
		help: "How many services the report's time to recover per service lists, the most incidents first.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.ReportServices)), &c.ReportServices)
		}},
	{flag: "overdue-items.limit", env: []string{"OVERDUE_ITEMS_LIMIT"},
		help: "At most this many series of postmortem_action_item_overdue_seconds, the most overdue first.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.OverdueItemsLimit)), &c.OverdueItemsLimit)
		}},
	{flag: "exception-items.limit", env: []string{"EXCEPTION_ITEMS_LIMIT"},
		help: "At most this many series of postmortem_action_item_exception_info (open items with an approved exception), the earliest due first.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.ExceptionsLimit)), &c.ExceptionsLimit)
		}},
	{flag: "periods", env: []string{"PERIODS"},
		help: "Calendar unit of the `period` label: month (2026-05), week (ISO, 2026-W21) or quarter (2026-Q2).",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.Unit).EnumVar(&c.Unit, snapshot.PeriodUnits...) }},
	{flag: "periods.count", env: []string{"PERIODS_COUNT"},
		help: fmt.Sprintf("How many calendar periods to publish, the current one included (1..%d).", MaxPeriods),
		add:  func(c *Config, f *kingpin.FlagClause) { IntFlag(f.Default(fmt.Sprint(c.Count)), &c.Count) }},
	{flag: "periods.timezone", env: []string{"PERIODS_TIMEZONE"},
		help: "IANA time zone of the period edges, e.g. Europe/Paris.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.TimeZone).StringVar(&c.TimeZone) }},
	{flag: "periods.by-team", env: []string{"PERIODS_BY_TEAM"},
		help: "The team label on the period metrics the trend dashboard narrows (about 350 series per team with 13 months): auto keeps it while the teams fit the series budget (56 teams with the defaults), true always, false never.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.ByTeam).EnumVar(&c.ByTeam, snapshot.TeamModes...) }},
	{flag: "metrics.detail", env: []string{"METRICS_DETAIL"},
		help: "Also publish histograms per (window, severity, team) and per-team time to mitigate and completion histograms, beyond the default series budget.",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(fmt.Sprint(c.MetricsDetail)).BoolVar(&c.MetricsDetail)
		}},
	{flag: "metrics.custom-labels", env: []string{"METRICS_CUSTOM_LABELS"},
		help: fmt.Sprintf("Custom fields (custom: in the records), comma separated, at most %d, counted by value in postmortem_incidents_by_custom; other custom fields never become labels.", MaxCustomLabels),
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(strings.Join(c.CustomLabels, ",")).SetValue((*commaList)(&c.CustomLabels))
		}},
	{flag: "metrics.custom-top", env: []string{"METRICS_CUSTOM_TOP"},
		help: fmt.Sprintf("How many values of each --metrics.custom-labels field get their own series (1..%d); the rest are summed as \"other\".", MaxCustomTop),
		add:  func(c *Config, f *kingpin.FlagClause) { IntFlag(f.Default(fmt.Sprint(c.CustomTop)), &c.CustomTop) }},
	{flag: "repeats.limit", env: []string{"REPEATS_LIMIT"},
		help: "At most this many series of postmortem_repeat_incident_info, the latest repeats first.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.RepeatsLimit)), &c.RepeatsLimit)
		}},
	{flag: "repeats.possible-within", env: []string{"REPEATS_POSSIBLE_WITHIN"},
		help: "An incident on the same service with the same origin as one started at most this long before it, neither naming the other in related, is listed as a possible repeat (postmortem_possible_repeat_info, at most --repeats.limit).",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(c.PossibleRepeats.String()).SetValue(&c.PossibleRepeats)
		}},
	{flag: "findings.limit", env: []string{"FINDINGS_LIMIT"},
		help: "At most this many series of postmortem_quality_finding_info, the latest incidents first.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.FindingsLimit)), &c.FindingsLimit)
		}},
	{flag: "web.listen-address", env: []string{"WEB_LISTEN_ADDRESS"},
		help: "Addresses on which to expose metrics and the web interface, comma separated.",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(strings.Join(c.ListenAddresses, ",")).SetValue((*commaList)(&c.ListenAddresses))
		}},
	{flag: "web.config.file", env: []string{"WEB_CONFIG_FILE"},
		help: "Path to a web configuration file that enables TLS or basic authentication (exporter-toolkit format).",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.WebConfigFile).StringVar(&c.WebConfigFile) }},
	{flag: "web.systemd-socket", env: []string{"WEB_SYSTEMD_SOCKET"},
		help: "Serve on the sockets systemd passes (socket activation, deploy/systemd/) instead of --web.listen-address.",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(fmt.Sprint(c.WebSystemdSocket)).BoolVar(&c.WebSystemdSocket)
		}},
	{flag: "web.telemetry-path", env: []string{"WEB_TELEMETRY_PATH"},
		help: "Path under which to expose metrics.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.TelemetryPath).StringVar(&c.TelemetryPath) }},
	{flag: "web.max-requests", env: []string{"WEB_MAX_REQUESTS"},
		help: "Maximum number of requests of the metrics served at once, and apart of /report; more get 503. 0 disables the limit.",
		add:  func(c *Config, f *kingpin.FlagClause) { IntFlag(f.Default(fmt.Sprint(c.MaxRequests)), &c.MaxRequests) }},
	{flag: "web.timeout", env: []string{"WEB_TIMEOUT"},
		help: "Maximum time to answer one request of the metrics or of /report.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.ScrapeTimeout.String()).SetValue(&c.ScrapeTimeout) }},
	{flag: "records.max-clock-skew", env: []string{"RECORDS_MAX_CLOCK_SKEW"},
		help: "How far in the future a record's time may be: clocks differ a little.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.MaxClockSkew.String()).SetValue(&c.MaxClockSkew) }},
	{flag: "records.max-duration", env: []string{"RECORDS_MAX_DURATION"},
		help: "Longest plausible time to detect, mitigate or recover, and action item from creation to closing or due day.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.MaxDuration.String()).SetValue(&c.MaxDuration) }},
	{flag: "records.max-action-items", env: []string{"RECORDS_MAX_ACTION_ITEMS"},
		help: "Most action items one record may have.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.MaxActionItems)), &c.MaxActionItems)
		}},
	{flag: "records.max-list-length", env: []string{"RECORDS_MAX_LIST_LENGTH"},
		help: "Most services, and most related ids, one record may list.",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.MaxListLength)), &c.MaxListLength)
		}},
	{flag: "records.max-label-length", env: []string{"RECORDS_MAX_LABEL_LENGTH"},
		help: "Most bytes in a value that becomes a label (id, team, service, related id, action item id, owner, team, approver).",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.MaxLabelLength)), &c.MaxLabelLength)
		}},
	{flag: "records.max-url-length", env: []string{"RECORDS_MAX_URL_LENGTH"},
		help: "Most bytes in the url of a record or an action item (a label too).",
		add: func(c *Config, f *kingpin.FlagClause) {
			IntFlag(f.Default(fmt.Sprint(c.MaxURLLength)), &c.MaxURLLength)
		}},
	{flag: "trackers.file", env: []string{"TRACKERS_FILE"},
		help: "YAML file of the trackers (Jira, GitHub, GitLab, Linear) that hold the action items' tickets, the owners map and the precedence (docs/trackers.md); tokens come from the variables or files it names. Empty: no sync. serve reads it again on SIGHUP, with --taxonomy.file and --quality.file.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.TrackersFile).StringVar(&c.TrackersFile) }},
	{flag: "trackers.interval", env: []string{"TRACKERS_INTERVAL"},
		help: "How often serve reads the tickets' states from the trackers (also at once when a refresh finds tickets not read yet).",
		add: func(c *Config, f *kingpin.FlagClause) {
			f.Default(c.TrackersInterval.String()).SetValue(&c.TrackersInterval)
		}},
	{flag: "quality.file", env: []string{"QUALITY_FILE"},
		help: "YAML file with the quality rules' severities (error, warning, off), limits and phrases (docs/quality.md). Empty: the defaults. serve reads it again on SIGHUP, with --taxonomy.file.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.QualityFile).StringVar(&c.QualityFile) }},
	{flag: "quality.roster-file", env: []string{"QUALITY_ROSTER_FILE"},
		help: "YAML file of the teams and their people (team: [name, ...]) for the roster rules (docs/quality.md). Empty: the roster rules find nothing. serve reads it again on SIGHUP, with --quality.file.",
		add:  func(c *Config, f *kingpin.FlagClause) { f.Default(c.RosterFile).StringVar(&c.RosterFile) }},
}

// allSettings names every setting.
func allSettings() Settings {
	all := make(Settings, len(settings))
	for i, s := range settings {
		all[i] = s.flag
	}
	return all
}

// FromEnv reads the settings named from the environment, reporting every
// bad variable at once; the others keep their defaults.
func FromEnv(environ map[string]string, only Settings) (Config, error) {
	read := map[string]string{}
	for _, s := range settings {
		if slices.Contains(only, s.flag) {
			for _, name := range s.env {
				if v, ok := environ[EnvPrefix+name]; ok {
					read[EnvPrefix+name] = v
				}
			}
		}
	}
	return parseEnv[Config](read)
}

// AddFlags registers on cmd the flags of the settings named, in the order
// of --help, with the values read from the environment as their defaults.
func (c *Config) AddFlags(cmd *kingpin.CmdClause, only Settings) {
	for _, s := range settings {
		if !slices.Contains(only, s.flag) {
			continue
		}
		vars := make([]string, len(s.env))
		for i, name := range s.env {
			vars[i] = EnvPrefix + name
		}
		help := s.help + " Env: " + strings.Join(vars, " or ")
		if s.note != nil {
			help += s.note(c)
		}
		s.add(c, cmd.Flag(s.flag, help+"."))
	}
}

// databaseURLSource says which variable the database URL is set from,
// never the value.
func (c *Config) databaseURLSource() string {
	switch {
	case c.DatabaseURL != "":
		return " (now set from " + EnvPrefix + "DATABASE_URL)"
	case c.DatabaseURLFile != "":
		return " (now set from " + EnvPrefix + "DATABASE_URL_FILE)"
	}
	return ""
}
