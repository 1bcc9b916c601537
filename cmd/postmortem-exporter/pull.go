package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/confluence"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/document"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/gdocs"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/incidentio"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull/pagerduty"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// exitConflicts is pull's exit code when it pulled but left fields a
// person edited by hand (exitError: it failed and changed no file).
const exitConflicts = 1

// pullSetup is what a source is built from once the flags are parsed.
type pullSetup struct {
	environ map[string]string
	mapping pull.SourceMapping
	files   []string
}

// pullSource is one --from: it registers its flags and returns how to
// build the source from them.
type pullSource struct {
	name     string
	register func(cmd *kingpin.CmdClause) func(pullSetup) (pull.Source, error)
}

// pullSources are the sources of --from, in the order --help lists them.
var pullSources = []pullSource{
	{"incidentio", registerIncidentIO},
	{"pagerduty", registerPagerDuty},
	{"confluence", registerConfluence},
	{"gdocs", registerGDocs},
	{"document", func(*kingpin.CmdClause) func(pullSetup) (pull.Source, error) {
		return func(s pullSetup) (pull.Source, error) {
			return &document.Files{Paths: s.files, Mapping: s.mapping}, nil
		}
	}},
}

func registerPull(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	names := pullSourceNames()
	cmd := app.Command("pull", "Write record files from an incident tool, a wiki or post-mortem documents into a folder (docs/pull.md): one file per incident, byte-stable, keeping what people added, never deleting. Tokens come from the environment, never a flag: POSTMORTEM_INCIDENTIO_TOKEN, POSTMORTEM_PAGERDUTY_TOKEN, POSTMORTEM_CONFLUENCE_TOKEN, POSTMORTEM_GDOCS_TOKEN (an OAuth access token), or a file named by the same variable with _FILE. Exit 0 when pulled, 1 when pulled with conflicts (fields edited by hand, listed and left alone), 2 when it failed (no file changed).")
	from := cmd.Flag("from", "Where to pull from: "+strings.Join(names, ", ")+".").Required().Enum(names...)
	to := cmd.Flag("to", "Folder of records to write (created when missing); its state file is .postmortem-pull.yaml.").Required().String()
	docs := cmd.Arg("file", "With --from=document: the Markdown or HTML documents to read.").Strings()
	mappingFile := cmd.Flag("mapping.file", "YAML file saying how each source's values become the taxonomy's (docs/pull.md). Env: "+config.EnvPrefix+"MAPPING_FILE.").
		Default(environ[config.EnvPrefix+"MAPPING_FILE"]).String()
	full := cmd.Flag("full", "Pull everything, not only what changed since the last pull.").Bool()
	overwrite := cmd.Flag("overwrite", "Take the source's value of a field a person edited by hand (reported as a conflict otherwise).").Bool()
	settings := settingsFlags(cmd, environ, config.Settings{"taxonomy.file"})
	builders := map[string]func(pullSetup) (pull.Source, error){}
	for _, s := range pullSources {
		builders[s.name] = s.register(cmd)
	}
	return cmd, func(ctx context.Context, env *environment) int {
		fail := func(err error) int {
			fmt.Fprintln(env.stderr, "postmortem-exporter pull:", err)
			return exitError
		}
		if *from == "document" && len(*docs) == 0 {
			return fail(errors.New("--from=document needs the documents to read: pull --from=document --to=DIR FILE..."))
		}
		if *from != "document" && len(*docs) > 0 {
			return fail(fmt.Errorf("--from=%s reads no files (%s...): give them with --from=document", *from, (*docs)[0]))
		}
		cfg, err := settings()
		if err != nil {
			return fail(err)
		}
		taxonomy, err := record.LoadTaxonomy(cfg.TaxonomyFile)
		if err != nil {
			return fail(err)
		}
		mapping, err := pull.LoadMapping(*mappingFile)
		if err != nil {
			return fail(err)
		}
		src, err := builders[*from](pullSetup{environ: environ, mapping: mapping.For(*from), files: *docs})
		if err != nil {
			return fail(err)
		}
		meter := env.meter("pull "+*from, "incidents")
		meter.Stage("pull into "+*to, 0)
		sum, err := pull.Run(ctx, src, pull.Options{Dir: *to, Mapping: mapping.For(*from), Taxonomy: taxonomy,
			Full: *full, Overwrite: *overwrite, Progress: func() { meter.Add(1) }})
		if err != nil {
			meter.Close()
			return fail(err)
		}
		meter.Finish(sum.String())
		for _, c := range sum.Conflicts {
			fmt.Fprintln(env.stdout, "conflict:", c)
		}
		for _, g := range sum.Gone {
			fmt.Fprintln(env.stdout, "gone:", g)
		}
		if len(sum.Conflicts) > 0 {
			return exitConflicts
		}
		return exitOK
	}
}

func registerIncidentIO(cmd *kingpin.CmdClause) func(pullSetup) (pull.Source, error) {
	base := cmd.Flag("incidentio.url", "incident.io's API root (for tests).").Default(incidentio.DefaultBaseURL).String()
	return func(s pullSetup) (pull.Source, error) {
		tok, err := secret(s.environ, "INCIDENTIO_TOKEN")
		if err != nil {
			return nil, err
		}
		return incidentio.New(incidentio.Config{API: apiclient.Config{BaseURL: *base}, Token: tok, Mapping: s.mapping})
	}
}

func registerPagerDuty(cmd *kingpin.CmdClause) func(pullSetup) (pull.Source, error) {
	base := cmd.Flag("pagerduty.url", "PagerDuty's REST API root: https://api.eu.pagerduty.com for an EU account.").Default(pagerduty.DefaultBaseURL).String()
	return func(s pullSetup) (pull.Source, error) {
		tok, err := secret(s.environ, "PAGERDUTY_TOKEN")
		if err != nil {
			return nil, err
		}
		return pagerduty.New(pagerduty.Config{API: apiclient.Config{BaseURL: *base}, Token: tok, Mapping: s.mapping})
	}
}

func registerConfluence(cmd *kingpin.CmdClause) func(pullSetup) (pull.Source, error) {
	base := cmd.Flag("confluence.url", "Confluence's root: https://SITE.atlassian.net/wiki (Cloud), or the Data Center address with its context path.").String()
	flavor := cmd.Flag("confluence.flavor", "cloud (REST v2, the account's email in "+config.EnvPrefix+"CONFLUENCE_USER and its API token) or datacenter (REST v1, a personal access token).").Default(confluence.Cloud).Enum(confluence.Cloud, confluence.DataCenter)
	space := cmd.Flag("confluence.space", "Key of the space whose pages are post-mortems.").String()
	label := cmd.Flag("confluence.label", "Only the pages with this label.").String()
	ancestor := cmd.Flag("confluence.ancestor", "Only the pages under the page of this id.").String()
	return func(s pullSetup) (pull.Source, error) {
		tok, err := secret(s.environ, "CONFLUENCE_TOKEN")
		if err != nil {
			return nil, err
		}
		return confluence.New(confluence.Config{API: apiclient.Config{BaseURL: *base}, Flavor: *flavor,
			User: s.environ[config.EnvPrefix+"CONFLUENCE_USER"], Token: tok,
			Space: *space, Label: *label, Ancestor: *ancestor, Mapping: s.mapping})
	}
}

func registerGDocs(cmd *kingpin.CmdClause) func(pullSetup) (pull.Source, error) {
	base := cmd.Flag("gdocs.url", "Google APIs' root (for tests).").Default(gdocs.DefaultBaseURL).String()
	folder := cmd.Flag("gdocs.folder", "Id of the Drive folder holding the post-mortem documents.").String()
	return func(s pullSetup) (pull.Source, error) {
		tok, err := secret(s.environ, "GDOCS_TOKEN")
		if err != nil {
			return nil, err
		}
		return gdocs.New(gdocs.Config{API: apiclient.Config{BaseURL: *base}, Token: tok, Folder: *folder, Mapping: s.mapping})
	}
}

// secret is the value of POSTMORTEM_<name>, or the content of the file
// POSTMORTEM_<name>_FILE names, trimmed; "" when neither is set. The
// value is never shown.
func secret(environ map[string]string, name string) (string, error) {
	v, f := environ[config.EnvPrefix+name], environ[config.EnvPrefix+name+"_FILE"]
	switch {
	case v != "" && f != "":
		return "", fmt.Errorf("%s%s and %s%s_FILE are both set: give one", config.EnvPrefix, name, config.EnvPrefix, name)
	case f != "":
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("%s%s_FILE: %w", config.EnvPrefix, name, err)
		}
		return strings.TrimSpace(string(data)), nil
	}
	return strings.TrimSpace(v), nil
}

// pullSourceNames are the names --from takes.
func pullSourceNames() []string {
	var names []string
	for _, s := range pullSources {
		names = append(names, s.name)
	}
	return names
}
