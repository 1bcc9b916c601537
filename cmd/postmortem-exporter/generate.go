package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
)

func registerGenerate(app *kingpin.Application, _ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("generate", "Write the Grafana dashboards (JSON) and the Prometheus rules (YAML).")
	dir := cmd.Arg("dir", "Output folder.").Default("deploy").String()
	return cmd, func(_ context.Context, env *environment) int {
		files, err := dashboards.DefaultConfig().Files()
		if err != nil {
			fmt.Fprintln(env.stderr, "postmortem-exporter generate:", err)
			return exitError
		}
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			path := filepath.Join(*dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
				err = os.WriteFile(path, files[name], 0o644)
			}
			if err != nil {
				fmt.Fprintln(env.stderr, "postmortem-exporter generate:", err)
				return exitError
			}
			fmt.Fprintln(env.stdout, "wrote", path)
		}
		return exitOK
	}
}
