// Command postmortem-exporter publishes incident post-mortem records as
// Prometheus metrics, validates them, and generates dashboards and rules.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1 // validate found invalid records
	exitError   = 2 // bad flags, configuration or I/O
)

// command is a subcommand's action, run after flags are parsed.
type command func(ctx context.Context, env *environment) int

// environment is what a command runs with.
type environment struct {
	stdout, stderr io.Writer
	logConfig      *promslog.Config
}

func main() {
	if version.Version == "" { // not set by -ldflags, e.g. under go run
		version.Version = "devel"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], environMap(os.Environ()), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the chosen subcommand (serve by default).
func run(ctx context.Context, args []string, environ map[string]string, stdout, stderr io.Writer) int {
	app := kingpin.New("postmortem-exporter", "Prometheus exporter and analytics for incident post-mortems.")
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	app.Version(version.Print("postmortem-exporter"))
	app.HelpFlag.Short('h')
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(app, logConfig)

	commands := map[string]command{}
	for _, register := range []func(*kingpin.Application, map[string]string) (*kingpin.CmdClause, command){
		registerServe,
		registerValidate,
		registerGenerate,
		registerImport,
		registerMigrate,
		registerSynthesize,
		registerSynthesizeFiles,
		registerReport,
	} {
		clause, cmd := register(app, environ)
		commands[clause.FullCommand()] = cmd
	}

	chosen, err := app.Parse(args)
	if err != nil {
		fmt.Fprintln(stderr, "postmortem-exporter:", config.NameFlagError(app, args, err))
		return exitError
	}
	return commands[chosen](ctx, &environment{stdout: stdout, stderr: stderr, logConfig: logConfig})
}

func (e *environment) logger() *slog.Logger {
	e.logConfig.Writer = e.stderr
	return promslog.New(e.logConfig)
}

func environMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
