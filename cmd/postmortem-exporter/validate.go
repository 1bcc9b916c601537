package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// validationReport is validate's JSON output.
type validationReport struct {
	Dir      string           `json:"dir"`
	Records  int              `json:"records"`
	Valid    int              `json:"valid"`
	Invalid  int              `json:"invalid"`
	Problems []record.Problem `json:"problems"`
}

func registerValidate(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("validate", "Check post-mortem record files; exit 1 when any is invalid. For the CI of a post-mortem repository.")
	dir := cmd.Arg("dir", "Folder of records, searched recursively.").Default(".").String()
	checkRules := rulesFlags(cmd, environ)
	output := cmd.Flag("output", "Output format.").Default("text").Enum("text", "json")
	return cmd, func(_ context.Context, env *environment) int {
		rules, err := checkRules()
		var res record.Result
		if err == nil {
			_, res, err = checkFolder(*dir, rules)
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter validate:", err)
			return exitError
		}
		report := validationReport{
			Dir: *dir, Valid: len(res.Valid), Invalid: invalidFiles(res),
			Problems: res.Problems,
		}
		report.Records = report.Valid + report.Invalid
		if report.Problems == nil {
			report.Problems = []record.Problem{}
		}
		if *output == "json" {
			enc := json.NewEncoder(env.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				fmt.Fprintln(env.stderr, "postmortem-exporter validate:", err)
				return exitError
			}
		} else {
			for _, p := range report.Problems {
				fmt.Fprintln(env.stdout, p)
			}
			fmt.Fprintf(env.stdout, "%s: %d records: %d valid, %d invalid (%d problems)\n",
				*dir, report.Records, report.Valid, report.Invalid, len(report.Problems))
		}
		if report.Invalid > 0 {
			return exitInvalid
		}
		return exitOK
	}
}

// taxonomyFlag registers --taxonomy.file on a command. The returned
// function loads the taxonomy once flags are parsed (the defaults without
// the flag).
func taxonomyFlag(cmd *kingpin.CmdClause) func() (record.Taxonomy, error) {
	path := cmd.Flag("taxonomy.file", "YAML file with the allowed severities, origins, resolutions and detections.").String()
	return func() (record.Taxonomy, error) { return record.LoadTaxonomy(*path) }
}

// rulesFlags registers --taxonomy.file and the flags of the record limits
// (POSTMORTEM_RECORDS_* by default) on a command. The returned function
// gives the rules, as of the current time, once flags are parsed.
func rulesFlags(cmd *kingpin.CmdClause, environ map[string]string) func() (record.Rules, error) {
	taxonomy := taxonomyFlag(cmd)
	limits, envErr := config.RecordLimitsFromEnv(environ)
	limits.AddFlags(cmd)
	return func() (record.Rules, error) {
		if envErr != nil {
			return record.Rules{}, fmt.Errorf("environment: %w", envErr)
		}
		tax, err := taxonomy()
		if err != nil {
			return record.Rules{}, err
		}
		lim, err := limits.Limits()
		if err != nil {
			return record.Rules{}, err
		}
		return record.Rules{Taxonomy: tax, Limits: lim, Now: time.Now()}, nil
	}
}

// checkFolder reads every record file under dir and checks them against
// the rules. It returns every record read, valid or not, and the result
// of the check.
func checkFolder(dir string, rules record.Rules) ([]*record.Record, record.Result, error) {
	records, problems, _, err := files.Read(os.DirFS(dir), dir)
	if err != nil {
		return nil, record.Result{}, err
	}
	return records, record.Check(records, problems, rules), nil
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
