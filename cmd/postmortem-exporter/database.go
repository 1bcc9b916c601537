package main

import (
	"context"
	"fmt"

	"github.com/alecthomas/kingpin/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/internal/progress"
)

// databaseURL registers --database.url, which overrides
// POSTMORTEM_DATABASE_URL (or the file named by
// POSTMORTEM_DATABASE_URL_FILE), never printed by --help. The returned
// function gives the URL once flags are parsed.
func databaseURL(cmd *kingpin.CmdClause, environ map[string]string) func() (string, error) {
	cfg, envErr := config.FromEnv(environ, config.Database)
	cfg.AddFlags(cmd, config.Database)
	return func() (string, error) {
		switch {
		case cfg.DatabaseURL != "":
			return cfg.DatabaseURL, nil
		case envErr != nil:
			return "", fmt.Errorf("environment: %w", envErr)
		}
		return "", fmt.Errorf("no database: set --database.url or POSTMORTEM_DATABASE_URL")
	}
}

// connect opens a pool on the configured database and applies the
// migrations it lacks, returning how many.
func connect(ctx context.Context, databaseURL func() (string, error)) (*pgxpool.Pool, int, error) {
	url, err := databaseURL()
	if err != nil {
		return nil, 0, err
	}
	pool, err := postgres.Open(ctx, url)
	if err != nil {
		return nil, 0, fmt.Errorf("database: %w", err)
	}
	applied, err := store.Migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, 0, fmt.Errorf("database: %w", postgres.RedactError(err, url))
	}
	return pool, applied, nil
}

// meter returns a progress meter for job on the command's stderr: a line
// redrawn in place when stderr is a terminal, one summary line otherwise.
// The caller closes it.
func (e *environment) meter(job, unit string) *progress.Meter {
	return progress.New(e.stderr, e.terminal, job, unit)
}
