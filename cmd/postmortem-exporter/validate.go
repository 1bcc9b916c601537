package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// validationReport is validate's JSON output.
type validationReport struct {
	Dir     string `json:"dir"`
	Records int    `json:"records"`
	Valid   int    `json:"valid"`
	Invalid int    `json:"invalid"`
	// Problems of the incident core: they make records invalid.
	Problems []record.Problem `json:"problems"`
	// Findings of the quality rules, with their severity; the records
	// they are on stay valid.
	Findings []record.Problem `json:"findings"`
	Errors   int              `json:"errors"`   // findings of severity error
	Warnings int              `json:"warnings"` // findings of severity warning
	// Skipped are files named like records that are not records (a
	// README without front matter); never an error.
	Skipped []files.Skip `json:"skipped"`
}

func registerValidate(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("validate", "Check post-mortem record files; exit 1 when any is invalid or has a finding of severity error (or, with --strict, a warning). For the CI of a post-mortem repository.")
	dir := cmd.Arg("dir", "Folder of records, searched recursively.").Default(".").String()
	checkRules := rulesFlags(cmd, environ)
	readOptions := sourceFlags(cmd, environ)
	output := cmd.Flag("output", "Output format.").Default("text").Enum("text", "json")
	strict := cmd.Flag("strict", "Fail (exit 1) on warnings too.").Bool()
	withTrackers := cmd.Flag("trackers", "Read the action items' tickets once from the trackers of --trackers.file and report where a record and its ticket disagree (tracker_drift, an error by default); exit 2 when a tracker cannot be read.").Bool()
	trackerSettings := settingsFlags(cmd, environ, config.Settings{"trackers.file"})
	return cmd, func(ctx context.Context, env *environment) int {
		rules, err := checkRules()
		var opts files.Options
		if err == nil {
			opts, err = readOptions()
		}
		var folder *files.Folder
		var res record.Result
		if err == nil {
			folder, res, err = files.CheckDir(ctx, *dir, opts, rules)
		}
		if err == nil && *withTrackers {
			err = checkTrackers(ctx, &res, rules, trackerSettings, lookupIn(environ), env.logger())
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter validate:", err)
			return exitError
		}
		report := validationReport{
			Dir: *dir, Valid: len(res.Valid), Invalid: invalidFiles(res),
			Problems: orEmpty(res.Problems), Findings: orEmpty(res.Findings), Errors: res.Errors(), Skipped: folder.Skipped,
		}
		report.Records = report.Valid + report.Invalid
		report.Warnings = len(report.Findings) - report.Errors
		if report.Skipped == nil {
			report.Skipped = []files.Skip{}
		}
		if *output == "json" {
			enc := json.NewEncoder(env.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				fmt.Fprintln(env.stderr, "postmortem-exporter validate:", err)
				return exitError
			}
		} else {
			printValidation(env.stdout, report)
		}
		if report.Invalid > 0 || report.Errors > 0 || *strict && report.Warnings > 0 {
			return exitInvalid
		}
		return exitOK
	}
}

// checkTrackers reads the tickets of res's items once and merges them,
// with their tracker_drift findings, into res.
func checkTrackers(ctx context.Context, res *record.Result, rules record.Rules, settings func() (*config.Config, error),
	lookup func(string) (string, bool), logger *slog.Logger) error {
	cfg, err := settings()
	if err != nil {
		return err
	}
	if cfg.TrackersFile == "" {
		return errors.New("--trackers needs a trackers file: --trackers.file or " + config.EnvPrefix + "TRACKERS_FILE")
	}
	syncer, err := newSyncer(cfg, lookup, logger)
	if err != nil {
		return err
	}
	syncer.Merge(res, rules) // nothing read yet: this names the tickets to read
	if err := syncer.Sync(ctx); err != nil {
		return err
	}
	syncer.Merge(res, rules)
	return nil
}

// printValidation prints the core problems, then the findings of severity
// error, then the warnings, then the skipped files, then a summary line.
func printValidation(w io.Writer, report validationReport) {
	for _, p := range report.Problems {
		fmt.Fprintln(w, p)
	}
	for _, severity := range []record.Severity{record.SeverityError, record.SeverityWarning} {
		for _, f := range report.Findings {
			if f.Severity == severity {
				fmt.Fprintln(w, f)
			}
		}
	}
	for _, skip := range report.Skipped {
		fmt.Fprintf(w, "%s: skipped: %s\n", skip.Path, skip.Reason)
	}
	fmt.Fprintf(w, "%s: %d records: %d valid, %d invalid (%d problems)", report.Dir, report.Records, report.Valid, report.Invalid, len(report.Problems))
	if len(report.Findings) > 0 {
		fmt.Fprintf(w, "; findings: %d errors, %d warnings", report.Errors, report.Warnings)
	}
	switch n := len(report.Skipped); {
	case n == 1:
		fmt.Fprint(w, "; 1 file skipped")
	case n > 1:
		fmt.Fprintf(w, "; %d files skipped", n)
	}
	fmt.Fprintln(w)
}

func orEmpty(ps []record.Problem) []record.Problem {
	if ps == nil {
		return []record.Problem{}
	}
	return ps
}

// taxonomyFlag registers --taxonomy.file on a command. The returned
// function loads the taxonomy once flags are parsed (the defaults without
// the flag or its variable).
func taxonomyFlag(cmd *kingpin.CmdClause, environ map[string]string) func() (record.Taxonomy, error) {
	settings := settingsFlags(cmd, environ, config.Settings{"taxonomy.file"})
	return func() (record.Taxonomy, error) {
		cfg, err := settings()
		if err != nil {
			return record.Taxonomy{}, err
		}
		return record.LoadTaxonomy(cfg.TaxonomyFile)
	}
}

// sourceFlags registers the file source flags (--source.exclude,
// --source.max-file-size) on a command. The returned function checks them
// once flags are parsed.
func sourceFlags(cmd *kingpin.CmdClause, environ map[string]string) func() (files.Options, error) {
	settings := settingsFlags(cmd, environ, config.Folder)
	return func() (files.Options, error) {
		cfg, err := settings()
		if err != nil {
			return files.Options{}, err
		}
		return cfg.FileSource.ReadOptions()
	}
}

// rulesFlags registers --taxonomy.file, the flags of the record limits
// and --quality.file on a command. The returned function gives the rules,
// as of the current time, once flags are parsed.
func rulesFlags(cmd *kingpin.CmdClause, environ map[string]string) func() (record.Rules, error) {
	settings := settingsFlags(cmd, environ, config.Rules)
	return func() (record.Rules, error) {
		cfg, err := settings()
		if err != nil {
			return record.Rules{}, err
		}
		limits, err := cfg.Limits()
		if err != nil {
			return record.Rules{}, err
		}
		rules, err := cfg.RecordConfig()
		return rules.Rules(limits, time.Now()), err
	}
}

// invalidFiles counts the files with a problem, whether or not a record
// could be read from them.
func invalidFiles(res record.Result) int {
	paths := map[string]bool{}
	for _, p := range res.Problems {
		paths[p.Path] = true
	}
	return len(paths)
}
