package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PruneRequest says what a prune may delete.
type PruneRequest struct {
	// Source is the repository and the folder read: only the incidents of
	// its name (and those stored without a source name) whose file is in
	// the folder are considered.
	Source Source
	// Keep holds the id of every record read from the folder. An empty
	// Keep is refused: it would delete every incident.
	Keep []string
	// Reads reports whether the import read the file at a path relative
	// to the folder, or left it out (excluded, hidden): an incident whose
	// file was left out is out of scope, never gone. Nil reads every file.
	Reads func(fromFolder string) bool
	// Whole is true when the import read the whole repository, Folder "."
	// with nothing excluded: only then is an incident whose path is stored
	// the old way (Pruned.Root "", relative to an unknown working
	// directory) in scope.
	Whole bool
	// StillThere reports whether a candidate's file is still there though
	// it gave no record with the incident's id (skipped, unreadable, a
	// link): such an incident is not gone, and the prune is refused. Nil
	// checks no file.
	StillThere func(Pruned) bool
	// MaxDelete is the most incidents one prune may delete; when more
	// would go, none do. It must be at least 1.
	MaxDelete int
	// DryRun lists what would be deleted and deletes nothing.
	DryRun bool
}

// Pruned is an incident that a prune deleted, or would delete.
type Pruned struct {
	ID string
	// SourcePath is the stored path of its file: relative to the
	// repository's root, or, when Root is "", as an import before
	// migration 0010 was given it.
	SourcePath string
	// Root is the absolute path of the repository's root where the
	// incident was last imported, "" for a path stored the old way.
	Root string
	// NoSource is true for an incident stored without a source name
	// (before migration 0008, or by plain SQL): it may have come from
	// another repository.
	NoSource bool
}

// PruneRefusedError says why a prune deleted nothing and which incidents
// the refusal is about: Total of them, Candidates listing at most
// MaxDelete+1.
type PruneRefusedError struct {
	Reason     string
	Total      int
	Candidates []Pruned
}

func (e *PruneRefusedError) Error() string {
	return "prune refused, nothing deleted: " + e.Reason
}

// Prune deletes, in one transaction, the incidents of req.Source (and
// those stored without a source name) whose file is in the folder read
// and whose id is not in req.Keep (their action items, services and
// related ids go with them), and returns them sorted by id. The
// incidents of other source names, and those whose file is outside the
// folder or was left out of the read, are never touched. It deletes
// nothing and returns a *PruneRefusedError when Keep is empty, when more
// than req.MaxDelete incidents would go, or when the file of one of them
// is still present.
func Prune(ctx context.Context, pool *pgxpool.Pool, req PruneRequest) ([]Pruned, error) {
	if len(req.Keep) == 0 {
		return nil, &PruneRefusedError{Reason: "the folder holds no record; pruning would delete every incident"}
	}
	if req.MaxDelete < 1 {
		return nil, fmt.Errorf("prune: the most incidents to delete must be at least 1, got %d", req.MaxDelete)
	}
	if err := req.Source.check(); err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var pruned []Pruned
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		candidates, err := pruneCandidates(ctx, tx, req)
		if err != nil {
			return err
		}
		// A file still there says more (the wrong folder, a link) than a
		// count: it is checked first.
		if present := stillThere(candidates, req.StillThere); len(present) > 0 {
			return &PruneRefusedError{Total: len(present), Candidates: present[:min(len(present), req.MaxDelete+1)],
				Reason: "the files these incidents were imported from are still there, but no record with their id was read from them"}
		}
		if len(candidates) > req.MaxDelete {
			return &PruneRefusedError{Total: len(candidates), Candidates: candidates[:req.MaxDelete+1],
				Reason: fmt.Sprintf("%d incidents would be deleted, more than the %d allowed (--prune.max-delete)", len(candidates), req.MaxDelete)}
		}
		pruned = candidates
		if req.DryRun || len(pruned) == 0 {
			return nil
		}
		ids := make([]string, len(pruned))
		for i, p := range pruned {
			ids[i] = p.ID
		}
		// The source condition again: an import of another repository
		// may have adopted an incident without a source name meanwhile.
		rows, err := tx.Query(ctx, `DELETE FROM incidents WHERE id = ANY($1) AND source_name IN ($2, '') RETURNING id`, ids, req.Source.Name)
		if err != nil {
			return err
		}
		deleted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		pruned = slices.DeleteFunc(pruned, func(p Pruned) bool { return !slices.Contains(deleted, p.ID) })
		return nil
	})
	var refused *PruneRefusedError
	switch {
	case errors.As(err, &refused):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("prune: %w", err)
	}
	return pruned, nil
}

// pruneCandidates returns the incidents in the scope of req that no
// record read holds, sorted by id: of its source name or of none, with a
// file in the folder that the import read (or, for a path stored the old
// way, only when the whole repository was read).
func pruneCandidates(ctx context.Context, tx pgx.Tx, req PruneRequest) ([]Pruned, error) {
	rows, err := tx.Query(ctx, `SELECT id, source_path, source_root, source_name = '' FROM incidents
WHERE source_name IN ($1, '') AND id <> ALL($2)
  AND CASE WHEN source_root = '' THEN $3 ELSE $4 = '.' OR starts_with(source_path, $4 || '/') END
ORDER BY id`, req.Source.Name, req.Keep, req.Whole, req.Source.Folder)
	if err != nil {
		return nil, err
	}
	var candidates []Pruned
	var p Pruned
	_, err = pgx.ForEachRow(rows, []any{&p.ID, &p.SourcePath, &p.Root, &p.NoSource}, func() error {
		if p.Root != "" && req.Reads != nil {
			if rel, ok := req.Source.InFolder(p.SourcePath); !ok || !req.Reads(rel) {
				return nil
			}
		}
		candidates = append(candidates, p)
		return nil
	})
	return candidates, err
}

// stillThere returns the candidates whose file is still there.
func stillThere(candidates []Pruned, there func(Pruned) bool) []Pruned {
	var found []Pruned
	for _, c := range candidates {
		if there != nil && there(c) {
			found = append(found, c)
		}
	}
	return found
}
