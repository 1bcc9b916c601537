package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/postgres/store"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/internal/progress"
)

// defaultPruneMaxDelete is --prune.max-delete's default: a repository
// loses a few post-mortems at a time, not dozens; more usually means the
// wrong folder (a team's subfolder instead of the whole repository).
const defaultPruneMaxDelete = "10"

func registerImport(app *kingpin.Application, environ map[string]string) (*kingpin.CmdClause, command) {
	cmd := app.Command("import", "Validate record files and upsert the valid ones into PostgreSQL, printing every stored action item deleted, moved, kept or refused; exit 1 when any file is invalid, its id or an action item's is imported from another source name, or the database refused a record, 2 when --prune is refused or a tracker of --trackers.file cannot be read (its items are imported with their tickets' last known states).")
	dir := cmd.Arg("dir", "Folder of records, searched recursively.").Required().String()
	url := databaseURL(cmd, environ)
	checkRules := rulesFlags(cmd, environ)
	readOptions := sourceFlags(cmd, environ)
	sourceName := sourceNameFlag(cmd, environ)
	prune := cmd.Flag("prune", "Delete the incidents of this --source.name (or of none, imported before source names were kept) whose file is gone from the folder (paths are stored from the repository's root; a file outside the folder, excluded or hidden is never gone). Refused, deleting nothing, when any file is invalid (findings of the quality rules do not count), when the folder holds no record, when an incident's file is still there though no record with its id was read, or when more than --prune.max-delete incidents would go.").Bool()
	maxDelete := config.Int(cmd.Flag("prune.max-delete", "The most incidents one --prune may delete; when more would go, none do.").Default(defaultPruneMaxDelete))
	dryRun := cmd.Flag("prune.dry-run", "With --prune: list the incidents that would be deleted, delete none.").Bool()
	trackerSettings := settingsFlags(cmd, environ, config.Settings{"trackers.file"})
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
		trackerCfg, err := trackerSettings()
		if err != nil {
			return fail(err)
		}
		syncer, err := newSyncer(trackerCfg, lookupIn(environ), env.logger())
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
		root, folderPath, err := sourceRoot(*dir)
		if err != nil {
			return fail(err)
		}
		src := store.Source{Name: source, Root: root, Dir: *dir, Folder: folderPath}
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
		var trackersDown error
		if syncer != nil {
			meter.Stage("read the action items' tickets", 0)
			if trackersDown, err = syncTickets(ctx, pool, &folder.res, rules, syncer); err != nil {
				return fail(err)
			}
			for _, f := range folder.res.Findings {
				if f.Rule == record.RuleTrackerDrift {
					fmt.Fprintln(env.stdout, f)
				}
			}
		}
		rep, err := store.Import(ctx, pool, src, folder.res.ValidChecked(), meter)
		if err != nil {
			meter.Close()
			printImport(env.stdout, rep) // what the batches committed before the error did
			return fail(err)
		}
		if syncer != nil {
			if err := store.SaveTickets(ctx, pool, syncer.Known()); err != nil {
				return fail(err)
			}
		}
		meter.Finish(progress.Thousands(int64(len(folder.res.Valid))) + " records upserted")
		printImport(env.stdout, rep)
		if rep.Adopted > 0 {
			fmt.Fprintf(env.stdout, "%d incidents stored without a source name are now of source %s\n", rep.Adopted, source)
		}
		refused := len(rep.Conflicts) + len(rep.Refused)
		code := exitOK
		if len(folder.res.Problems) > 0 || refused > 0 || len(rep.ItemConflicts) > 0 {
			code = exitInvalid
		}
		pruned := "0 pruned"
		if *prune {
			req := store.PruneRequest{Source: src, Reads: opts.Reads, Whole: folderPath == "." && len(opts.Exclude) == 0,
				MaxDelete: *maxDelete, DryRun: *dryRun}
			deleted, err := pruneFolder(ctx, env.stdout, pool, folder, req)
			if err != nil {
				fail(err)
				code = exitError
			}
			pruned = fmt.Sprintf("%d pruned", deleted)
			if *dryRun {
				pruned = fmt.Sprintf("0 pruned (dry run: %d would be)", deleted)
			}
		}
		fmt.Fprintf(env.stdout, "%s (source %s): %d inserted, %d updated, %d unchanged, %s, %d invalid files not imported%s\n",
			*dir, source, rep.Inserted, rep.Updated, rep.Unchanged, pruned, invalidFiles(folder.res)+refused, itemCounts(rep))
		if trackersDown != nil {
			meter.Close()
			fmt.Fprintln(env.stderr, "postmortem-exporter import:", trackersDown, "(their items were imported with their tickets' last known states)")
			return exitError
		}
		return code
	}
}

// syncTickets reads the tickets of res's action items from their
// trackers, falls back on the states stored by earlier imports for those
// it could not read, and merges them into res with their tracker_drift
// findings. trackersDown names the trackers that could not be read; err
// is the database's.
func syncTickets(ctx context.Context, pool *pgxpool.Pool, res *record.Result, rules record.Rules, syncer *ticketsync.Syncer) (trackersDown, err error) {
	syncer.Merge(res, rules) // nothing read yet: this names the tickets to read
	trackersDown = syncer.Sync(ctx)
	known, err := store.LoadTickets(ctx, pool)
	if err != nil {
		return nil, err
	}
	syncer.Restore(known)
	syncer.Merge(res, rules)
	return trackersDown, nil
}

// printImport prints every stored action item the import deleted, moved,
// kept or could not write, and every record it could not write.
func printImport(w io.Writer, rep store.ImportReport) {
	for _, item := range rep.RemovedItems {
		fmt.Fprintf(w, "%s: action item %s of %s deleted: the record no longer holds it\n", item.Path, item.ID, item.Incident)
	}
	for _, m := range rep.MovedItems {
		fmt.Fprintf(w, "%s: action item %s moved from %s (%s) to %s\n", m.Path, m.ID, m.From, m.FromPath, m.To)
	}
	for _, k := range rep.KeptItems {
		fmt.Fprintf(w, "%s: action item %s of %s is invalid now (see above): its stored version is kept until the record is fixed\n", k.Path, k.ID, k.Incident)
	}
	for _, c := range rep.Conflicts {
		fmt.Fprintln(w, conflictProblem(c))
	}
	for _, c := range rep.ItemConflicts {
		fmt.Fprintln(w, record.Problem{Path: c.Path, Field: fmt.Sprintf("action_items[%d].id", c.Index), Code: record.CodeDuplicateID, Severity: record.SeverityError,
			Message: fmt.Sprintf("action item id %s is already imported for %s from %s (file %s): two repositories share the id; the item is not imported, the rest of %s is; rename one",
				c.ID, c.Other, c.OtherSource, c.OtherPath, c.Incident)})
	}
	for _, r := range rep.Renamed {
		fmt.Fprintf(w, "%s: now holds %s; %s, imported from it before, stays stored until import --prune deletes it\n", r.Path, r.NewID, r.ID)
	}
	for _, r := range rep.Refused {
		fmt.Fprintf(w, "%s: %s not imported, nothing of it written: the database refused it: %v\n", r.Path, r.ID, r.Err)
	}
}

// itemCounts is the summary's tail: how many stored action items the
// import deleted, moved, kept stored or left out, when it touched any.
func itemCounts(rep store.ImportReport) string {
	if len(rep.RemovedItems)+len(rep.MovedItems)+len(rep.KeptItems)+len(rep.ItemConflicts) == 0 {
		return ""
	}
	return fmt.Sprintf("; action items: %d deleted, %d moved, %d invalid kept as stored, %d not imported (id of another repository)",
		len(rep.RemovedItems), len(rep.MovedItems), len(rep.KeptItems), len(rep.ItemConflicts))
}

// conflictProblem reports a record left out because its id is stored
// from another source name, the way an invalid record is reported.
func conflictProblem(c store.Conflict) record.Problem {
	return record.Problem{Path: c.Path, Field: "id", Code: record.CodeDuplicateID, Severity: record.SeverityError,
		Message: fmt.Sprintf("id %s is already imported from %s: two repositories share the id; rename one (or, if %s is this repository, import with --source.name '%s'); its file there: %s",
			c.ID, c.Source, c.Source, c.Source, c.OtherPath)}
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
	renamed := f.storedPaths(req.Source) // a file read whose incident is pruned holds another id
	req.StillThere = f.stillThere(req.Source, renamed)
	pruned, err := store.Prune(ctx, pool, req)
	var refused *store.PruneRefusedError
	if errors.As(err, &refused) {
		lines := make([]string, len(refused.Candidates))
		for i, c := range refused.Candidates {
			lines[i] = fmt.Sprintf("%s (%s%s)", c.ID, req.Source.ShownPath(c.SourcePath, c.Root), noSourceNote(c))
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
		what := "is gone"
		if p.Root != "" && renamed[p.SourcePath] {
			what = "holds another id now"
		}
		fmt.Fprintf(stdout, "%s %s: its file %s %s%s\n", verb, p.ID, req.Source.ShownPath(p.SourcePath, p.Root), what, noSourceNote(p))
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

// stillThere reports whether the file an incident was imported from is
// still there though no record was read from it with the incident's id.
// A path stored from the repository's root is looked for under the root
// of src, and under the root it was imported from when that was another
// checkout (a refusal is the safe side). A path stored the old way,
// relative to an unknown working directory, is looked for as it is and
// as the tail of a file under the folder that gave no record.
// stored is the set of the folder's records' paths as stored
// (storedPaths).
func (f importFolder) stillThere(src store.Source, stored map[string]bool) func(store.Pruned) bool {
	asRead := make(map[string]bool, len(f.records)) // the files that gave a record, as read
	for _, r := range f.records {
		asRead[r.Path] = true
	}
	return func(c store.Pruned) bool {
		if c.Root == "" {
			return !asRead[c.SourcePath] && f.oldPathThere(c.SourcePath)
		}
		if stored[c.SourcePath] {
			return false // it holds a record with another id: the id changed
		}
		for _, root := range []string{src.Root, c.Root} {
			if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(c.SourcePath))); err == nil {
				return true
			}
		}
		return false
	}
}

// storedPaths is the set of the stored paths of the files that gave a
// record.
func (f importFolder) storedPaths(src store.Source) map[string]bool {
	stored := make(map[string]bool, len(f.records))
	for _, r := range f.records {
		stored[src.StoredPath(r.Path)] = true
	}
	return stored
}

// oldPathThere reports whether a path stored before migration 0010 names a
// file that is there: as it is (from this working directory), or as one
// of the files under the folder that gave no record.
func (f importFolder) oldPathThere(sourcePath string) bool {
	if _, err := os.Lstat(sourcePath); err == nil {
		return true
	}
	for _, name := range f.noRecord {
		if rel := strings.TrimPrefix(name, path.Clean(f.dir)+"/"); sourcePath == rel || strings.HasSuffix(sourcePath, "/"+rel) {
			return true
		}
	}
	return false
}
