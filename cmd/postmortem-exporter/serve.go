package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	promcollectors "github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres"
	pgsource "github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/source"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/server"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/report"
)

func registerServe(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	// A bad variable only matters to serve: report it when serve runs, so
	// that validate or generate still work.
	cmd := app.Command("serve", "Serve the post-mortem metrics (the default command).").Default()
	settings := settingsFlags(cmd, environ, config.Serve)
	return cmd, func(ctx context.Context, env *environment) int {
		cfg, err := settings()
		if err == nil {
			err = serve(ctx, cfg, lookupIn(environ), env.logger())
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter serve:", err)
			return exitError
		}
		return exitOK
	}
}

// serve refreshes the snapshot and syncs the trackers' tickets in the
// background, and serves the snapshot until ctx is done. lookup reads the
// variables the trackers file names.
func serve(ctx context.Context, cfg *config.Config, lookup func(string) (string, bool), logger *slog.Logger) error {
	syncer, err := newSyncer(cfg, lookup, logger)
	if err != nil {
		return err
	}
	source, rules, err := configuredSource(cfg, syncer, logger)
	if err != nil {
		return err
	}
	load := cfg.RecordConfig
	synced := make(chan struct{}, 1)
	if syncer != nil {
		// The trackers file is reloaded with the taxonomy and the quality
		// rules: when any fails, the current ones are all kept.
		load = func() (record.Config, error) {
			rules, err := cfg.RecordConfig()
			if err != nil {
				return rules, err
			}
			return rules, syncer.Reload()
		}
	}
	refresher := refresh.New(refresh.Config{
		Source: source, Rules: rules, Load: load, Wake: synced,
		Timeout: time.Duration(cfg.RefreshTimeout), Logger: logger, Now: time.Now,
	})

	// The snapshot's metrics are encoded once per snapshot; the refresh
	// status and the runtime's are gathered on every scrape.
	exporter := collectors.New(refresher, logger)
	live := prometheus.NewRegistry()
	live.MustRegister(
		exporter.Status(),
		// The build date too, which scripts/release sets with the version.
		versioncollector.NewCollector("postmortem_exporter",
			versioncollector.WithExtraConstLabels(prometheus.Labels{"builddate": version.BuildDate})),
		promcollectors.NewGoCollector(),
		promcollectors.NewProcessCollector(promcollectors.ProcessCollectorOpts{}),
	)
	handler, err := server.Handler(server.Metrics{Live: live, Snapshot: exporter.Snapshot}, server.Options{
		TelemetryPath: cfg.TelemetryPath,
		MaxRequests:   cfg.MaxRequests,
		Timeout:       time.Duration(cfg.ScrapeTimeout),
		Ready:         refresher.Ready,
		Report: report.Handler(func() *snapshot.Snapshot {
			s, _ := refresher.Current()
			return s
		}, cfg.ReportServices, logger),
	}, logger)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go refresher.Run(ctx, time.Duration(cfg.RefreshInterval), hangups(ctx))
	if syncer != nil {
		live.MustRegister(collectors.Trackers(syncer.Statuses))
		go syncer.Run(ctx, time.Duration(cfg.TrackersInterval), func() {
			select {
			case synced <- struct{}{}:
			default: // a refresh is already pending
			}
		})
	}

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	flags := &web.FlagConfig{WebListenAddresses: &cfg.ListenAddresses, WebSystemdSocket: &cfg.WebSystemdSocket, WebConfigFile: &cfg.WebConfigFile}
	served := make(chan error, 1)
	go func() { served <- web.ListenAndServe(srv, flags, logger) }()
	addresses := strings.Join(cfg.ListenAddresses, ",")
	if cfg.WebSystemdSocket {
		addresses = "systemd sockets" // the toolkit logs each one's address
	}
	logger.Info("serving post-mortem metrics", "version", version.Version, "records_source", source.Name(), "addresses", addresses)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
		return drain(srv, logger)
	}
}

// drainTimeout is how long SIGTERM waits for the scrapes in flight: well
// within the few seconds a supervisor gives before it kills.
const drainTimeout = 4 * time.Second

// drain stops accepting connections and lets the scrapes in flight finish,
// closing whatever is still open after drainTimeout.
func drain(srv *http.Server, logger *slog.Logger) error {
	logger.Info("shutting down: finishing the scrapes in flight", "timeout", drainTimeout)
	ctx, stop := context.WithTimeout(context.Background(), drainTimeout)
	defer stop()
	err := srv.Shutdown(ctx)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		logger.Warn("scrapes still in flight after the drain timeout; closing their connections", "timeout", drainTimeout)
		return srv.Close()
	case err != nil && !errors.Is(err, http.ErrServerClosed):
		return err
	}
	logger.Info("shut down")
	return nil
}

// configuredSource checks the configuration and returns the records
// source it names, merging the tickets' states syncer keeps (nil: none), with the taxonomy and quality rules to check records
// against (which SIGHUP reloads: see refresh.Refresher.Reload).
func configuredSource(cfg *config.Config, syncer *ticketsync.Syncer, logger *slog.Logger) (refresh.Source, record.Config, error) {
	rules, err := cfg.RecordConfig()
	if err != nil {
		return nil, rules, err
	}
	opts, err := cfg.SnapshotOptions(rules.Taxonomy)
	if err != nil {
		return nil, rules, err
	}
	limits, err := cfg.Limits()
	if err != nil {
		return nil, rules, err
	}
	var merge func(*record.Result, record.Rules)
	if syncer != nil {
		merge = syncer.Merge
	}
	source, err := newSource(cfg, limits, opts, merge, logger)
	return source, rules, err
}

// newSource returns the configured records source: PostgreSQL, a folder,
// or the bundled examples when none is configured.
func newSource(cfg *config.Config, limits record.Limits, opts snapshot.Options, merge func(*record.Result, record.Rules), logger *slog.Logger) (refresh.Source, error) {
	if cfg.DatabaseURL != "" && cfg.SourceDir != "" {
		// Serving one and silently ignoring the other would show the
		// wrong organisation's figures.
		return nil, errors.New("a records folder (--source.dir, " + config.EnvPrefix + "SOURCE_DIR) and a database (--database.url, " +
			config.EnvPrefix + "DATABASE_URL or _FILE) are both set: one source is read, so unset the other")
	}
	if cfg.DatabaseURL != "" {
		// The pool connects lazily: a database that is down at start-up
		// only delays readiness.
		pool, err := postgres.Open(context.Background(), cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("database.url: %w", err)
		}
		return &pgsource.Source{
			Pool: pool, Limits: limits, Options: opts, Migrate: cfg.Migrate, Logger: logger,
			StatementTimeout: time.Duration(cfg.RefreshTimeout),
		}, nil
	}
	readOptions, err := cfg.FileSource.ReadOptions()
	if err != nil {
		return nil, err
	}
	src := &files.Source{Limits: limits, Options: opts, ReadOptions: readOptions, Logger: logger, Merge: merge}
	if cfg.SourceDir == "" {
		logger.Info("no source configured: serving the bundled example post-mortems", "anchor", examples.Anchor.Format(time.DateOnly))
		src.FS, src.Dir, src.Shift = examples.Postmortems(), examples.Dir, examples.Shift
		return src, nil
	}
	src.Dir = cfg.SourceDir // opened afresh on every refresh
	return src, nil
}

// hangups turns SIGHUP into reload requests (the taxonomy and quality
// rules files are read again, then the snapshot refreshed) until ctx is
// done.
func hangups(ctx context.Context) <-chan struct{} {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGHUP)
	trigger := make(chan struct{}, 1)
	go func() {
		defer signal.Stop(signals)
		for {
			select {
			case <-ctx.Done():
				return
			case <-signals:
				select {
				case trigger <- struct{}{}:
				default: // a reload is already pending
				}
			}
		}
	}()
	return trigger
}
