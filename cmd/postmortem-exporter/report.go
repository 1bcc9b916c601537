package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	pgsource "github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/source"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/internal/atomicfile"
	"github.com/postmortem-exporter/postmortem-exporter/report"
)

// reportFlags are the report command's own flags; the source, windows,
// periods and limits are serve's (config.Report).
type reportFlags struct {
	format, output, asOf           string
	window, team, severity, period string
}

func registerReport(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("report", "Write the forum's agenda (timeliness, trends per period, learnings, quality bar) as one HTML page, "+
		"Markdown tables, or a CSV of every record and action item, from the source serve is configured with. "+
		"--windows and --periods, --periods.count, --periods.timezone shape it as they shape the metrics.")
	settings := settingsFlags(cmd, environ, config.Report)
	var f reportFlags
	cmd.Flag("format", "html (one self-contained page, charts included), md (Markdown tables) or csv (every record and action item).").
		Default(report.FormatHTML).EnumVar(&f.format, report.Formats...)
	cmd.Flag(report.ParamWindow, "The rolling window of the per-window tables, one of --windows. Empty: the longest.").StringVar(&f.window)
	cmd.Flag(report.ParamTeam, "Narrow every table kept per team to this team. Empty: every team.").StringVar(&f.team)
	cmd.Flag(report.ParamSeverity, "Narrow every table kept per severity to this severity. Empty: every severity.").StringVar(&f.severity)
	cmd.Flag(report.ParamPeriod, "The calendar unit of the trends: month, week or quarter. Empty: --periods.").StringVar(&f.period)
	cmd.Flag("output", "File to write; - is standard output.").Short('o').Default("-").StringVar(&f.output)
	cmd.Flag("as-of", "Compute the report as of this instant (RFC 3339) instead of now.").PlaceHolder("TIME").StringVar(&f.asOf)
	return cmd, func(ctx context.Context, env *environment) int {
		cfg, err := settings()
		if err == nil {
			err = writeReport(ctx, cfg, f, env)
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter report:", err)
			return exitError
		}
		return exitOK
	}
}

// writeReport builds the report from the configured source and writes it.
func writeReport(ctx context.Context, cfg *config.Config, f reportFlags, env *environment) error {
	logger := env.logger()
	asOf := time.Now()
	if f.asOf != "" {
		t, err := time.Parse(time.RFC3339, f.asOf)
		if err != nil {
			return fmt.Errorf("as-of: %w", err)
		}
		asOf = t
	}
	source, rules, err := configuredSource(cfg, nil, logger)
	if err != nil {
		return err
	}
	if f.format == report.FormatCSV {
		records, err := csvRecords(source, rules, asOf, logger)
		if err != nil {
			return err
		}
		return writeOutput(f.output, env.stdout, func(w io.Writer) error {
			_, err := report.WriteCSV(ctx, w, records)
			return err
		})
	}
	snap, err := source.Snapshot(ctx, asOf, rules)
	if err != nil {
		return fmt.Errorf("read the records: %w", err)
	}
	if len(snap.Problems) > 0 {
		logger.Warn("invalid records are left out of the report's figures; its Invalid records table and `postmortem-exporter validate` list them", "problems", len(snap.Problems))
	}
	r, err := report.New(snap, report.Options{Window: f.window, Team: f.team, Severity: f.severity, Period: f.period, TopServices: cfg.ReportServices})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := report.Write(&body, r, f.format); err != nil {
		return err
	}
	return writeOutput(f.output, env.stdout, func(w io.Writer) error {
		_, err := body.WriteTo(w)
		return err
	})
}

// csvRecords returns the records of source for the CSV: the files are read
// and checked as a refresh does (the bundled examples shifted like the
// snapshot), PostgreSQL's rows are streamed.
func csvRecords(source refresh.Source, rules record.Config, asOf time.Time, logger *slog.Logger) (report.Records, error) {
	switch s := source.(type) {
	case *files.Source:
		return func(ctx context.Context, fn func(record.Checked) error) error {
			_, res, err := s.Check(ctx, asOf, rules)
			if err != nil {
				return err
			}
			if len(res.Problems) > 0 {
				logger.Warn("invalid records are left out of the CSV; `postmortem-exporter validate` lists them", "problems", len(res.Problems))
			}
			for _, r := range res.ValidChecked() {
				if err := fn(r); err != nil {
					return err
				}
			}
			return nil
		}, nil
	case *pgsource.Source:
		return func(ctx context.Context, fn func(record.Checked) error) error {
			invalid, err := store.EachRecord(ctx, s.Pool, rules.Rules(s.Limits, time.Now()), fn)
			if invalid > 0 {
				logger.Warn("invalid rows are left out of the CSV", "rows", invalid)
			}
			return err
		}, nil
	}
	return nil, fmt.Errorf("the CSV cannot be read from the %s source", source.Name())
}

// writeOutput writes to stdout for "-", else to the file, replaced only
// once the whole report is written: a failure leaves the previous one.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" || strings.TrimSpace(path) == "" {
		return write(stdout)
	}
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}
