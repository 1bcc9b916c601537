package main

import (
	"context"
	"fmt"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres"
)

// databaseURL registers --database.url with POSTMORTEM_DATABASE_URL (or
// the file named by POSTMORTEM_DATABASE_URL_FILE) as its default. The
// returned function gives the URL once flags are parsed.
func databaseURL(cmd *kingpin.CmdClause, environ map[string]string) func() (string, error) {
	cfg, envErr := config.FromEnv(environ)
	url := cmd.Flag("database.url", "PostgreSQL connection string (pgx format). Env: POSTMORTEM_DATABASE_URL or POSTMORTEM_DATABASE_URL_FILE.").
		Default(cfg.EnvDatabaseURL()).String()
	return func() (string, error) {
		switch {
		case *url != "":
			return *url, nil
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
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, 0, fmt.Errorf("database: %w", err)
	}
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, 0, err
	}
	return pool, applied, nil
}

func registerImport(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("import", "Validate record files and upsert the valid ones into PostgreSQL; exit 1 when any file is invalid.")
	dir := cmd.Arg("dir", "Folder of records, searched recursively.").Required().String()
	url := databaseURL(cmd, environ)
	checkRules := rulesFlags(cmd, environ)
	prune := cmd.Flag("prune", "Delete incidents whose file is gone.").Bool()
	return cmd, func(ctx context.Context, env *environment) int {
		fail := func(err error) int {
			fmt.Fprintln(env.stderr, "postmortem-exporter import:", err)
			return exitError
		}
		rules, err := checkRules()
		if err != nil {
			return fail(err)
		}
		records, res, err := checkFolder(*dir, rules)
		if err != nil {
			return fail(err)
		}
		for _, p := range res.Problems {
			fmt.Fprintln(env.stdout, p)
		}
		var keep []string
		for _, r := range records {
			keep = append(keep, r.ID)
		}
		pool, _, err := connect(ctx, url)
		if err != nil {
			return fail(err)
		}
		defer pool.Close()
		if err := postgres.StoreTaxonomy(ctx, pool, rules.Taxonomy); err != nil {
			return fail(err)
		}
		rep, err := postgres.Import(ctx, pool, res.Valid, *prune, keep)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.stdout, "%s: %d inserted, %d updated, %d unchanged, %d pruned, %d invalid files not imported\n",
			*dir, rep.Inserted, rep.Updated, rep.Unchanged, rep.Pruned, invalidFiles(res))
		if len(res.Problems) > 0 {
			return exitInvalid
		}
		return exitOK
	}
}

func registerMigrate(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("migrate", "Apply the database migrations this exporter needs and store the taxonomy every writer must follow.")
	url := databaseURL(cmd, environ)
	taxonomy := taxonomyFlag(cmd)
	return cmd, func(ctx context.Context, env *environment) int {
		fail := func(err error) int {
			fmt.Fprintln(env.stderr, "postmortem-exporter migrate:", err)
			return exitError
		}
		tax, err := taxonomy()
		if err != nil {
			return fail(err)
		}
		pool, applied, err := connect(ctx, url)
		if err != nil {
			return fail(err)
		}
		defer pool.Close()
		if err := postgres.StoreTaxonomy(ctx, pool, tax); err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.stdout, "applied %d migrations; the database schema is up to date\n", applied)
		return exitOK
	}
}

func registerSynthesize(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("synthesize", "Write a synthetic organisation of incidents and action items into PostgreSQL (COPY), for demos and benchmarks.")
	url := databaseURL(cmd, environ)
	incidents := cmd.Flag("incidents", "How many incidents.").Default("1000").Int()
	items := cmd.Flag("items-per-incident", "Action items per incident.").Default("5").Int()
	teams := cmd.Flag("teams", "How many teams.").Default("200").Int()
	seed := cmd.Flag("seed", "Random seed: the same seed writes the same data.").Default("1").Uint64()
	return cmd, func(ctx context.Context, env *environment) int {
		if *incidents < 0 || *items < 0 || *teams < 1 {
			fmt.Fprintln(env.stderr, "postmortem-exporter synthesize: --incidents and --items-per-incident must be >= 0, --teams >= 1")
			return exitError
		}
		pool, _, err := connect(ctx, url)
		if err == nil {
			defer pool.Close()
			err = postgres.Synthetic{Incidents: *incidents, ItemsPerRecord: *items, Teams: *teams, Seed: *seed, End: time.Now().UTC()}.Write(ctx, pool)
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter synthesize:", err)
			return exitError
		}
		fmt.Fprintf(env.stdout, "wrote %d incidents with %d action items each\n", *incidents, *items)
		return exitOK
	}
}
