package main

import (
	"context"
	"fmt"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/synthload"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
	"github.com/postmortem-exporter/postmortem-exporter/internal/progress"
)

func registerSynthesize(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("synthesize", "Write a synthetic organisation of incidents and action items into an empty PostgreSQL database (COPY), for demos and benchmarks.")
	url := databaseURL(cmd, environ)
	incidents := config.Int(cmd.Flag("incidents", "How many incidents.").Default("1000"))
	items := config.Int(cmd.Flag("items-per-incident", "Action items per incident.").Default("5"))
	teams := config.Int(cmd.Flag("teams", "How many teams.").Default("200"))
	seed := cmd.Flag("seed", "Random seed: the same seed writes the same data.").Default("1").Uint64()
	return cmd, func(ctx context.Context, env *environment) int {
		if *incidents < 0 || *items < 0 || *teams < 1 {
			fmt.Fprintln(env.stderr, "postmortem-exporter synthesize: --incidents and --items-per-incident must be >= 0, --teams >= 1")
			return exitError
		}
		meter := env.meter("synthesize", "incidents")
		defer meter.Close()
		pool, _, err := connect(ctx, url)
		if err == nil {
			defer pool.Close()
			err = synthload.WriteSynthetic(ctx, pool, synthetic.Org{
				Incidents: *incidents, ItemsPerRecord: *items, Teams: *teams, Seed: *seed, End: time.Now().UTC(),
			}, meter)
		}
		if err != nil {
			meter.Close() // the error starts a line of its own
			fmt.Fprintln(env.stderr, "postmortem-exporter synthesize:", err)
			return exitError
		}
		meter.Finish(fmt.Sprintf("%s incidents and %s action items written",
			progress.Thousands(int64(*incidents)), progress.Thousands(int64(*incidents)*int64(*items))))
		fmt.Fprintf(env.stdout, "wrote %d incidents with %d action items each\n", *incidents, *items)
		return exitOK
	}
}
