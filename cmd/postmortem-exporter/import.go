package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/progress"
)

// defaultPruneMaxDelete is --prune.max-delete's default: a repository
// loses a few post-mortems at a time, not dozens; more usually means the
// wrong folder (a team's subfolder instead of the whole repository).
const defaultPruneMaxDelete = "10"

func registerImport(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("import", "Validate record files and upsert the valid ones into PostgreSQL; exit 1 when any file is invalid or its id is imported from another source name, 2 when --prune is refused.")
	dir := cmd.Arg("dir", "Folder of records, searched recursively.").Required().String()
	url := databaseURL(cmd, environ)
	checkRules := rulesFlags(cmd, environ)
	readOptions := sourceFlags(cmd, environ)
	sourceName := sourceNameFlag(cmd, environ)
	prune := cmd.Flag("prune", "Delete the incidents of this --source.name (or of none, imported before source names were kept) whose file is gone from the folder. Refused, deleting nothing, when any file is invalid (findings of the quality rules do not count), when the folder holds no record, when an incident's file is still there though no record with its id was read, or when more than --prune.max-delete incidents would go.").Bool()
	maxDelete := config.Int(cmd.Flag("prune.max-delete", "The most incidents one --prune may delete; when more would go, none do.").Default(defaultPruneMaxDelete))
	dryRun := cmd.Flag("prune.dry-run", "With --prune: list the incidents that would be deleted, delete none.").Bool()
	return cmd, func(ctx context.Context, env *environment) int {
		var meter *progress.Meter
		fail := func(err error) int {
			if meter != nil {
				meter.Close() // the error starts a line of its own
			}
			fmt.Fprintln(env.stderr, "postmortem-exporter import:", err)
			return exitError
		}
		if *maxDelete < 1 {
			return fail(fmt.Errorf("--prune.max-delete must be at least 1, got %d", *maxDelete))
		}
		rules, err := checkRules()
		if err != nil {
			return fail(err)
		}
		source, note := sourceName(*dir)
		if note != "" {
			fmt.Fprintln(env.stderr, "postmortem-exporter import:", note)
		}
		opts, err := readOptions()
		if err != nil {
			return fail(err)
		}
		// Reading counts nothing, but its line shows the time going by.
		meter = env.meter("import", "records")
		meter.Stage("read "+*dir, 0)
		folder, err := readFolder(ctx, *dir, opts, rules)
		meter.Close() // ends the line before the problems are printed
		if err != nil {
			return fail(err)
		}
		for _, p := range append(slices.Clone(folder.res.Problems), folder.res.Findings...) {
			fmt.Fprintln(env.stdout, p)
		}
		meter = env.meter("import", "records")
		defer meter.Close()
		pool, _, err := connect(ctx, url)
		if err != nil {
			return fail(err)
		}
		defer pool.Close()
		if err := store.StoreTaxonomy(ctx, pool, rules.Taxonomy); err != nil {
			return fail(err)
		}
		if err := store.StoreLabelLimits(ctx, pool, rules.Limits); err != nil {
			return fail(err)
		}
		rep, err := store.Import(ctx, pool, source, folder.res.ValidChecked(), meter)
		if err != nil {
			return fail(err)
		}
		meter.Finish(progress.Thousands(int64(len(folder.res.Valid))) + " records upserted")
		for _, item := range rep.RemovedItems {
			fmt.Fprintf(env.stdout, "%s: action item %s of %s deleted: the record no longer holds it\n", item.Path, item.ID, item.Incident)
		}
		for _, c := range rep.Conflicts {
			fmt.Fprintln(env.stdout, conflictProblem(c))
		}
		if rep.Adopted > 0 {
			fmt.Fprintf(env.stdout, "%d incidents stored without a source name are now of source %s\n", rep.Adopted, source)
		}
		code := exitOK
		if len(folder.res.Problems) > 0 || len(rep.Conflicts) > 0 {
			code = exitInvalid
		}
		pruned := "0 pruned"
		if *prune {
			deleted, err := pruneFolder(ctx, env.stdout, pool, folder, store.PruneRequest{Source: source, MaxDelete: *maxDelete, DryRun: *dryRun})
			if err != nil {
				fail(err)
				code = exitError
			}
			pruned = fmt.Sprintf("%d pruned", deleted)
			if *dryRun {
				pruned = fmt.Sprintf("0 pruned (dry run: %d would be)", deleted)
			}
		}
		fmt.Fprintf(env.stdout, "%s (source %s): %d inserted, %d updated, %d unchanged, %s, %d invalid files not imported\n",
			*dir, source, rep.Inserted, rep.Updated, rep.Unchanged, pruned, invalidFiles(folder.res)+len(rep.Conflicts))
		return code
	}
}

// conflictProblem reports a record left out because its id is stored
// from another source name, the way an invalid record is reported.
func conflictProblem(c store.Conflict) record.Problem {
	return record.Problem{Path: c.Path, Field: "id", Code: record.CodeDuplicateID, Severity: record.SeverityError,
		Message: fmt.Sprintf("id %s is already imported from %s: two repositories share the id; rename one (or, if %s is this repository, import with --source.name '%s')",
			c.ID, c.Source, c.Source, c.Source)}
}

// importFolder is what import read from a folder.
type importFolder struct {
	dir      string
	records  []*record.Record // every record read, valid or not
	res      record.Result
	noRecord []string // files that gave no record: not records, or with a problem
}

// readFolder reads and checks every record file under dir.
func readFolder(ctx context.Context, dir string, opts files.Options, rules record.Rules) (importFolder, error) {
	read, res, err := files.CheckDir(ctx, dir, opts, rules)
	if err != nil {
		return importFolder{}, err
	}
	f := importFolder{dir: dir, records: read.Records, res: res, noRecord: read.Ignored}
	for _, skip := range read.Skipped {
		f.noRecord = append(f.noRecord, skip.Path)
	}
	for _, p := range f.res.Problems {
		f.noRecord = append(f.noRecord, p.Path)
	}
	return f, nil
}

// pruneFolder deletes the incidents whose file is gone from the folder,
// printing each, and returns how many it deleted (or would, in a dry run).
// It refuses, deleting nothing, when any file of the folder has a problem
// of the incident core: a file that does not parse holds an id nobody can
// read, and an invalid one may have lost the id it had (the safe rule is
// that any such problem blocks a prune, not only the ones that hide an
// id). A finding of a quality rule, error or warning, does not: it is on
// a record whose core, id included, is sound.
func pruneFolder(ctx context.Context, stdout io.Writer, pool *pgxpool.Pool, f importFolder, req store.PruneRequest) (int, error) {
	if bad := problemFiles(f.res); len(bad) > 0 {
		return 0, fmt.Errorf("prune refused, nothing deleted: which incidents these files hold is unknown (fix or remove them, then prune again):\n  %s",
			strings.Join(bad, "\n  "))
	}
	for _, r := range f.records {
		req.Keep = append(req.Keep, r.ID)
	}
	req.StillThere = f.stillThere
	pruned, err := store.Prune(ctx, pool, req)
	var refused *store.PruneRefusedError
	if errors.As(err, &refused) {
		lines := make([]string, len(refused.Candidates))
		for i, c := range refused.Candidates {
			lines[i] = fmt.Sprintf("%s (%s%s)", c.ID, c.SourcePath, noSourceNote(c))
		}
		if more := refused.Total - len(refused.Candidates); more > 0 {
			lines = append(lines, fmt.Sprintf("and %d more", more))
		}
		if len(lines) == 0 {
			return 0, fmt.Errorf("%w (folder %s)", err, f.dir)
		}
		return 0, fmt.Errorf("%w:\n  %s", err, strings.Join(lines, "\n  "))
	}
	if err != nil {
		return 0, err
	}
	verb := "pruned"
	if req.DryRun {
		verb = "would prune"
	}
	for _, p := range pruned {
		fmt.Fprintf(stdout, "%s %s: its file %s is gone%s\n", verb, p.ID, p.SourcePath, noSourceNote(p))
	}
	return len(pruned), nil
}

// noSourceNote marks an incident stored without a source name, which a
// prune considers whatever repository it came from.
func noSourceNote(p store.Pruned) string {
	if p.NoSource {
		return ", stored without a source name"
	}
	return ""
}

// problemFiles returns the files with a problem, sorted.
func problemFiles(res record.Result) []string {
	seen := map[string]bool{}
	var paths []string
	for _, p := range res.Problems {
		if !seen[p.Path] {
			seen[p.Path] = true
			paths = append(paths, p.Path)
		}
	}
	sort.Strings(paths)
	return paths
}

// stillThere reports whether sourcePath, the file an incident was
// imported from, is still there though no record was read from it: read
// as stored (the folder named as it was then), or as one of the files
// under the folder that gave no record (the folder named otherwise).
func (f importFolder) stillThere(sourcePath string) bool {
	for _, r := range f.records {
		if r.Path == sourcePath {
			return false // it holds a record with another id: the id changed
		}
	}
	if _, err := os.Lstat(sourcePath); err == nil {
		return true
	}
	for _, name := range f.noRecord {
		if rel := strings.TrimPrefix(name, path.Clean(f.dir)+"/"); strings.HasSuffix(sourcePath, "/"+rel) {
			return true
		}
	}
	return false
}
