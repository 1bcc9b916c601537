package main

import (
	"context"
	"fmt"

	"github.com/alecthomas/kingpin/v2"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
)

func registerMigrate(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("migrate", "Apply the database migrations this exporter needs and store the taxonomy every writer must follow.")
	url := databaseURL(cmd, environ)
	taxonomy := taxonomyFlag(cmd, environ)
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
		if err := store.StoreTaxonomy(ctx, pool, tax); err != nil {
			return fail(err)
		}
		fmt.Fprintf(env.stdout, "applied %d migrations; the database schema is up to date\n", applied)
		return exitOK
	}
}
