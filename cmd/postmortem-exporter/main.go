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
	"slices"
	"strings"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"golang.org/x/term"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/internal/redact"
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
	terminal       bool // stderr is a terminal
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
	terminal := isTerminal(stderr)
	// Errors, logs and help may quote an argument or a setting: none shows
	// the credentials of a URL or a password value, nor, once the flags
	// are parsed, the database password (see redactingWriter).
	redacting := &redactingWriter{w: stderr}
	stderr = redacting
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
		registerPull,
	} {
		clause, cmd := register(app, environ)
		commands[clause.FullCommand()] = cmd
	}

	chosen, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "postmortem-exporter: %v%s\n", config.NameFlagError(app, args, err), takenBy(app, err))
		return exitError
	}
	redacting.masker = redact.NewMasker(databaseURLs(app, chosen, environ)...)
	return commands[chosen](ctx, &environment{stdout: stdout, stderr: stderr, terminal: terminal, logConfig: logConfig})
}

// takenBy says which subcommands take the flag of an "unknown long flag"
// error, when some do: " (a flag of serve, report)".
func takenBy(app *kingpin.Application, err error) string {
	_, rest, ok := strings.Cut(err.Error(), "unknown long flag '--")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "'")
	var commands []string
	for _, c := range app.Model().Commands {
		if slices.ContainsFunc(c.Flags, func(f *kingpin.FlagModel) bool { return f.Name == name }) {
			commands = append(commands, c.Name)
		}
	}
	if len(commands) == 0 {
		return ""
	}
	return " (a flag of " + strings.Join(commands, ", ") + ")"
}

func (e *environment) logger() *slog.Logger {
	e.logConfig.Writer = e.stderr
	return promslog.New(e.logConfig)
}

// redactingWriter masks, in what is written through it, one write (a log
// line, an error) at a time, the credentials of any URL and the password
// of each connection string given: a malformed one may have its password
// read as a database or a host name, which pgx's errors show.
type redactingWriter struct {
	w      io.Writer
	masker redact.Masker
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, r.masker.Mask(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// databaseURLs returns the database connection strings the chosen
// command may use: its --database.url and the environment's.
func databaseURLs(app *kingpin.Application, chosen string, environ map[string]string) []string {
	cfg, _ := config.FromEnv(environ, config.Database) // a bad variable is the command's to report
	urls := []string{cfg.EnvDatabaseURL()}
	if flag := app.GetCommand(chosen).GetFlag("database.url"); flag != nil {
		urls = append(urls, flag.Model().Value.String())
	}
	return slices.DeleteFunc(urls, func(u string) bool { return strings.TrimSpace(u) == "" })
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
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

// settingsFlags registers the flags of the settings named on a command,
// with the environment as their defaults. The returned function gives
// them once flags are parsed, or the environment's error.
func settingsFlags(cmd *kingpin.CmdClause, environ map[string]string, only config.Settings) func() (*config.Config, error) {
	cfg, envErr := config.FromEnv(environ, only)
	cfg.AddFlags(cmd, only)
	return func() (*config.Config, error) {
		if envErr != nil {
			return nil, fmt.Errorf("environment: %w", envErr)
		}
		return &cfg, nil
	}
}
