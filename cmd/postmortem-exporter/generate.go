package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/internal/atomicfile"
)

// registerGenerate takes the settings of serve the files depend on (the
// same POSTMORTEM_* variables and flags, so a deployment runs both with
// one configuration) and the mixin's own: the job its rules match and the
// alert thresholds.
// The windows, the calendar period, the most severe severity and the days
// a post-mortem may wait for publication (the quality file's
// published_late limit) are the exporter's.
func registerGenerate(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("generate", "Write the Grafana dashboards (JSON), the Prometheus rules (YAML) and the example Alertmanager files, for the windows and periods of the serve settings given.")
	dir := cmd.Arg("dir", "Output folder.").Default("deploy").String()
	settings := settingsFlags(cmd, environ, config.Generate)
	mixin := dashboards.DefaultConfig()
	cmd.Flag("mixin.job", "Prometheus job of the exporter's targets, matched by the rules and the dashboards' default $job.").Default(mixin.Job).StringVar(&mixin.Job)
	cmd.Flag("mixin.grafana-url", "Where Grafana serves the dashboards: the team alerts' dashboard_url and the Alertmanager notifications link to the team drill-down there.").Default(mixin.GrafanaURL).StringVar(&mixin.GrafanaURL)
	cmd.Flag("mixin.overdue-item-for", "How long an action item stays overdue before its alert fires (a Prometheus duration).").Default(mixin.OverdueItemFor).StringVar(&mixin.OverdueItemFor)
	config.IntFlag(cmd.Flag("mixin.team-overdue-items", "Overdue items of one team above which its alert fires.").Default(fmt.Sprint(mixin.TeamOverdueItems)), &mixin.TeamOverdueItems)
	cmd.Flag("mixin.mttr-regression-factor", "Alert when the MTTR of the shortest window is this many times that of the longest.").Default(fmt.Sprint(mixin.MTTRRegressionFactor)).Float64Var(&mixin.MTTRRegressionFactor)
	cmd.Flag("mixin.on-time-target", "Share of action items done on time below which the dashboards show orange (red below half).").Default(fmt.Sprint(mixin.OnTimeTarget)).Float64Var(&mixin.OnTimeTarget)
	cmd.Flag("mixin.customer-detected-limit", "Customer-detected share above which the dashboards show orange (red above twice as much).").Default(fmt.Sprint(mixin.CustomerDetectedLimit)).Float64Var(&mixin.CustomerDetectedLimit)
	return cmd, func(_ context.Context, env *environment) int {
		cfg, err := settings()
		var files map[string][]byte
		if err == nil {
			files, err = generateFiles(cfg, mixin)
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter generate:", err)
			return exitError
		}
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		// One batch: a failure (a full disk) leaves every file as it was,
		// not the rules new and the dashboards old, or a rules file empty.
		var batch atomicfile.Batch
		for _, name := range names {
			if err := batch.AddBytes(filepath.Join(*dir, name), 0o644, files[name]); err != nil {
				batch.Discard()
				fmt.Fprintln(env.stderr, "postmortem-exporter generate: nothing written:", err)
				return exitError
			}
		}
		if err := batch.Commit(); err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter generate:", err)
			return exitError
		}
		for _, name := range names {
			fmt.Fprintln(env.stdout, "wrote", filepath.Join(*dir, name))
		}
		return exitOK
	}
}

// generateFiles checks the serve settings the files depend on and builds
// the files with the exporter's windows and period.
func generateFiles(cfg *config.Config, mixin dashboards.Config) (map[string][]byte, error) {
	var errs []error
	windows, err := config.ParseWindows(cfg.Windows)
	if err != nil {
		errs = append(errs, err)
	}
	rules, err := cfg.RecordConfig()
	if err != nil {
		errs = append(errs, err)
	} else if _, err := cfg.SnapshotOptions(rules.Taxonomy); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	mixin.Windows = make([]string, len(windows))
	for i, w := range windows {
		mixin.Windows[i] = w.Name
	}
	mixin.PeriodUnit = cfg.Periods.Unit
	mixin.TopSeverity = rules.Taxonomy.Severities[0]
	mixin.UnpublishedDays = rules.Quality.PublishWithinDays // the published_late rule's limit
	return mixin.Files()
}
