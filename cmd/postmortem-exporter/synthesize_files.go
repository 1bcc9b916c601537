package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
	"github.com/postmortem-exporter/postmortem-exporter/internal/atomicfile"
)

// syntheticNarrative follows each synthetic front matter, about the size
// of a short real post-mortem.
const syntheticNarrative = `## Summary

A synthetic incident, written for benchmarks.

## Timeline

- Impact began; alerts fired; the change was rolled back.

## Learnings

- The deploy pipeline had no canary for this service.
`

func registerSynthesizeFiles(app *kingpin.Application, _ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("synthesize-files", "Write a synthetic organisation as record files, one folder per team, for benchmarks (scripts/bench).").Hidden()
	dir := cmd.Arg("dir", "Folder to write the records into; created.").Required().String()
	records := config.Int(cmd.Flag("records", "How many records.").Default("100000"))
	items := config.Int(cmd.Flag("items-per-incident", "Action items per record.").Default("5"))
	teams := config.Int(cmd.Flag("teams", "How many teams.").Default("200"))
	seed := cmd.Flag("seed", "Random seed: the same seed writes the same records.").Default("1").Uint64()
	return cmd, func(ctx context.Context, env *environment) int {
		if *records < 0 || *items < 0 || *teams < 1 {
			fmt.Fprintln(env.stderr, "postmortem-exporter synthesize-files: --records and --items-per-incident must be >= 0, --teams >= 1")
			return exitError
		}
		org := synthetic.Org{Incidents: *records, ItemsPerRecord: *items, Teams: *teams, Seed: *seed, End: time.Now().UTC()}
		if err := writeSyntheticFiles(ctx, org, *dir); err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter synthesize-files:", err)
			return exitError
		}
		fmt.Fprintf(env.stdout, "wrote %d records with %d action items each into %s\n", *records, *items, *dir)
		return exitOK
	}
}

// writeSyntheticFiles writes each record of org as dir/<team>/<id>.md.
func writeSyntheticFiles(ctx context.Context, org synthetic.Org, dir string) error {
	for i := range org.Incidents {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := org.Record(i)
		text, err := files.Format(r, syntheticNarrative)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, r.Team, r.ID+".md"), text, 0o644); err != nil {
			return err
		}
	}
	return nil
}
