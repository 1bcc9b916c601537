package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// ImportReport counts what an import did and lists every stored action
// item it deleted, moved, kept or could not write, so that none changes
// unsaid.
type ImportReport struct {
	Inserted, Updated, Unchanged int
	// Adopted counts the incidents stored without a source name (before
	// migration 0008, or by plain SQL) that the import gave its own,
	// whether their content changed or not.
	Adopted int
	// RemovedItems lists the action items deleted because no record of
	// the import holds them any more.
	RemovedItems []RemovedItem
	// MovedItems lists the action items that now belong to another
	// incident of the same source name: a record took over their id.
	MovedItems []MovedItem
	// KeptItems lists the action items a record still holds but that
	// turned invalid: their stored version is kept.
	KeptItems []KeptItem
	// Conflicts lists the records not imported because their id is
	// stored from another source name: two repositories share the id.
	Conflicts []Conflict
	// ItemConflicts lists the action items not imported because their id
	// is stored for an incident of another source name.
	ItemConflicts []ItemConflict
	// Refused lists the records the database refused (a constraint or a
	// trigger): nothing of them was written.
	Refused []RefusedRecord
	// Renamed lists the stored incidents whose file now holds a record
	// with another id: they stay until a prune deletes them.
	Renamed []Renamed
}

// merge adds what o reports to rep.
func (rep *ImportReport) merge(o ImportReport) {
	rep.Inserted += o.Inserted
	rep.Updated += o.Updated
	rep.Unchanged += o.Unchanged
	rep.Adopted += o.Adopted
	rep.RemovedItems = append(rep.RemovedItems, o.RemovedItems...)
	rep.MovedItems = append(rep.MovedItems, o.MovedItems...)
	rep.KeptItems = append(rep.KeptItems, o.KeptItems...)
	rep.Conflicts = append(rep.Conflicts, o.Conflicts...)
	rep.ItemConflicts = append(rep.ItemConflicts, o.ItemConflicts...)
	rep.Refused = append(rep.Refused, o.Refused...)
}

// Conflict is a record left out of an import because its incident id is
// already stored from another source name, which is left as it was.
type Conflict struct {
	ID, Path string
	// Source is the source name the stored incident was imported from,
	// OtherPath the stored path of its file there.
	Source, OtherPath string
}

// RemovedItem is an action item deleted by the update of its incident,
// whose record (read from Path) no longer holds it.
type RemovedItem struct {
	ID, Incident, Path string
}

// MovedItem is an action item of incident From (its file FromPath) that
// the record of incident To (read from Path) now holds.
type MovedItem struct {
	ID, From, FromPath, To, Path string
}

// KeptItem is an action item that the record of Incident (read from Path)
// still holds but that is invalid now (a finding says why): its stored
// version is kept, unchanged, until the record is fixed.
type KeptItem struct {
	ID, Incident, Path string
}

// ItemConflict is the action item at Index of the record of Incident
// (read from Path) that was not written: its id is stored for incident
// Other of another source name (its file OtherPath, in that repository).
// The rest of the record is written.
type ItemConflict struct {
	ID       string
	Index    int
	Incident string
	Path     string
	Other    string
	// OtherPath is the stored path of the other incident's file.
	OtherPath   string
	OtherSource string
}

// Renamed is incident ID, stored from the file at Path (named as the
// records read are), which now gives a record with the id NewID.
type Renamed struct {
	ID, Path, NewID string
}

// RefusedRecord is a record the database refused: nothing of it was
// written, and what was stored of its incident is left as it was.
type RefusedRecord struct {
	ID, Path string
	Err      error
}

// Progress hears how far a long write has come: Stage starts a step of
// total units (0: unknown), Add counts units done.
type Progress interface {
	Stage(name string, total int64)
	Add(n int64)
}

// silent is the Progress of a caller that passes none.
type silent struct{}

func (silent) Stage(string, int64) {}
func (silent) Add(int64)           {}

// OrSilent returns p, or a Progress that says nothing when p is nil.
func OrSilent(p Progress) Progress {
	if p == nil {
		return silent{}
	}
	return p
}

// ImportBatchSize is how many records one transaction upserts.
const ImportBatchSize = 500

// Import upserts valid records read from src (their paths stored
// relative to its root, their incidents of its source name), one
// transaction per batch: a new record is inserted, a changed one updated
// with its action items, services and related ids replaced, an unchanged
// one (same content hash) left alone. A record whose id is stored from
// another non-empty source name is not written, and is listed in the
// report's Conflicts; an incident stored without a source name is
// adopted. A record the database refuses is listed in Refused, nothing
// of it written, and does not stop the others (commitBatch).
// Action items are upserted by id: one stored for another incident of
// the same source moves to the record that holds it now, one stored for
// another source's incident is left out (ItemConflicts), an invalid one
// keeps its stored version (KeptItems). Import never deletes an
// incident, that is Prune's job: an incident whose file now holds
// another id is listed in Renamed. progress may be nil. After an error,
// the report tells what the batches committed before it did.
func Import(ctx context.Context, pool *pgxpool.Pool, src Source, records []record.Checked, progress Progress) (ImportReport, error) {
	if err := src.check(); err != nil {
		return ImportReport{}, fmt.Errorf("import: %w", err)
	}
	im := importer{src: src, removed: map[string]RemovedItem{}, moved: map[string]bool{}}
	progress = OrSilent(progress)
	progress.Stage("upsert", int64(len(records)))
	for start := 0; start < len(records); start += ImportBatchSize {
		batch := records[start:min(start+ImportBatchSize, len(records))]
		if err := im.commitBatch(ctx, pool, batch); err != nil {
			return im.report(), err
		}
		progress.Add(int64(len(batch)))
	}
	rep := im.report()
	renamed, err := renamedIncidents(ctx, pool, src, records)
	rep.Renamed = renamed
	return rep, err
}

// renamedIncidents returns the stored incidents of src, not among
// records, whose file now gives a record with another id.
func renamedIncidents(ctx context.Context, pool *pgxpool.Pool, src Source, records []record.Checked) ([]Renamed, error) {
	ids := make([]string, len(records))
	paths := make([]string, len(records))
	newID := make(map[string]string, len(records))
	for i, r := range records {
		ids[i], paths[i] = r.ID, src.StoredPath(r.Path)
		newID[paths[i]] = r.ID
	}
	rows, err := pool.Query(ctx, `SELECT id, source_path FROM incidents
WHERE source_name = $1 AND source_root <> '' AND source_path = ANY($2) AND id <> ALL($3) ORDER BY id`, src.Name, paths, ids)
	if err != nil {
		return nil, fmt.Errorf("renamed incidents: %w", err)
	}
	var renamed []Renamed
	var r Renamed
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.Path}, func() error {
		r.NewID, r.Path = newID[r.Path], src.ReadPath(r.Path)
		renamed = append(renamed, r)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("renamed incidents: %w", err)
	}
	return renamed, nil
}

// importer is one import under way.
type importer struct {
	src   Source
	rep   ImportReport // of the batches committed
	batch ImportReport // of the batch under way
	// careful writes each record of the batch under a savepoint.
	careful bool
	// removed holds the action items deleted so far by id, and moved the
	// ids of those a later record took over: moved, not removed.
	removed map[string]RemovedItem
	moved   map[string]bool
}

// report is what the import did: an item deleted from one record and
// written for another is a move.
func (im *importer) report() ImportReport {
	rep := im.rep
	rep.RemovedItems = slices.DeleteFunc(slices.Clone(rep.RemovedItems), func(r RemovedItem) bool { return im.moved[r.ID] })
	return rep
}

// errRetryCarefully says the database refused a record of a batch
// written without savepoints: the batch is rolled back and written again
// with them.
var errRetryCarefully = errors.New("a record was refused: the batch is written again, each record under a savepoint")

// commitBatch writes a batch in one transaction, and adds what it did to
// the report once committed. When the database refuses one of its
// records, the batch is rolled back and written again with each record
// under a savepoint, so that the refused ones are left out alone: a
// savepoint costs two round trips and a subtransaction per record, paid
// only by a batch that needs it.
func (im *importer) commitBatch(ctx context.Context, pool *pgxpool.Pool, batch []record.Checked) error {
	removed, moved := maps.Clone(im.removed), maps.Clone(im.moved)
	for _, careful := range []bool{false, true} {
		im.batch, im.careful = ImportReport{}, careful
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return im.importBatch(ctx, tx, batch) })
		if !errors.Is(err, errRetryCarefully) {
			if err == nil {
				im.rep.merge(im.batch)
			}
			return err
		}
		im.removed, im.moved = maps.Clone(removed), maps.Clone(moved)
	}
	return errRetryCarefully // not reached: a careful write lists refusals
}

// storedIncident is what an import compares a record with.
type storedIncident struct {
	hash, source, root, path string
}

// importBatch upserts one batch of records.
func (im *importer) importBatch(ctx context.Context, tx pgx.Tx, batch []record.Checked) error {
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.ID
	}
	// Locked, in id order, until the batch commits: no other import can
	// change their source name between this read and the writes.
	stored := map[string]storedIncident{}
	rows, err := tx.Query(ctx, `SELECT id, content_hash, source_name, source_root, source_path FROM incidents WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	var id string
	var s storedIncident
	if _, err := pgx.ForEachRow(rows, []any{&id, &s.hash, &s.source, &s.root, &s.path}, func() error { stored[id] = s; return nil }); err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	// Unchanged incidents to adopt, or whose path is stored the old way.
	// Another root alone is not written: an update of an incident costs
	// its rollups, and a checkout at another path is no change.
	var touch, touchPaths []string
	for _, r := range batch {
		storedPath := im.src.StoredPath(r.Path)
		h, err := contentHash(r, storedPath)
		if err != nil {
			return err
		}
		old, exists := stored[r.ID]
		switch {
		case exists && old.source != "" && old.source != im.src.Name:
			im.batch.Conflicts = append(im.batch.Conflicts, Conflict{ID: r.ID, Path: r.Path, Source: old.source, OtherPath: old.path})
			continue
		case exists && old.hash == h:
			im.batch.Unchanged++
			if old.source == "" || old.root == "" {
				touch, touchPaths = append(touch, r.ID), append(touchPaths, storedPath)
			}
			if old.source == "" {
				im.batch.Adopted++
			}
			continue
		}
		written, err := im.write(ctx, tx, r, storedPath, h, exists)
		if err != nil {
			return err
		}
		if written && exists && old.source == "" {
			im.batch.Adopted++
		}
	}
	if len(touch) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE incidents i SET source_name = $1, source_root = $2, source_path = t.path
FROM unnest($3::text[], $4::text[]) AS t (id, path) WHERE i.id = t.id AND i.source_name IN ($1, '')`,
			im.src.Name, im.src.Root, touch, touchPaths); err != nil {
			return fmt.Errorf("adopt incidents without a source name: %w", err)
		}
	}
	return nil
}

// write writes one changed or new record, under a savepoint when the
// batch is written carefully, adds what it did to the batch's report and
// says whether it wrote it. A record the database refuses is rolled back
// to its savepoint and listed, or, without one, returns
// errRetryCarefully; any other error is returned.
func (im *importer) write(ctx context.Context, tx pgx.Tx, r record.Checked, storedPath, hash string, exists bool) (bool, error) {
	w, rollback := tx, func() error { return nil }
	if im.careful {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return false, fmt.Errorf("%s: %w", r.Path, err)
		}
		w, rollback = sp, func() error { return sp.Rollback(ctx) }
	}
	done, err := writeRecord(ctx, w, im.src, r, storedPath, hash, exists, im.removed)
	if err == nil && im.careful {
		err = w.Commit(ctx)
	}
	var taken *sourceTakenError
	switch {
	case errors.As(err, &taken): // inserted by another import since the read: nothing written
		im.batch.Conflicts = append(im.batch.Conflicts, Conflict{ID: r.ID, Path: r.Path, Source: taken.source, OtherPath: taken.path})
		return false, rollback()
	case refusedByDatabase(err) && !im.careful:
		return false, errRetryCarefully
	case refusedByDatabase(err):
		im.batch.Refused = append(im.batch.Refused, RefusedRecord{ID: r.ID, Path: r.Path, Err: err})
		return false, rollback()
	case err != nil:
		return false, fmt.Errorf("%s: %w", r.Path, err)
	case exists:
		done.Updated++
	default:
		done.Inserted++
	}
	for _, item := range done.RemovedItems {
		im.removed[item.ID] = item
	}
	for _, item := range done.MovedItems {
		if _, ok := im.removed[item.ID]; ok {
			im.moved[item.ID] = true
			delete(im.removed, item.ID)
		}
	}
	im.batch.merge(done)
	return true, nil
}

// errItemTaken says an action item id was stored for another source's
// incident after the record's items were read.
var errItemTaken = errors.New("stored meanwhile for an incident of another source name by another import")

// refusedByDatabase reports an error about the record's data (a data
// exception, a constraint, a trigger's refusal), not about the database:
// the record is refused, the import goes on.
func refusedByDatabase(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "22", "23", "P0":
			return true
		}
	}
	return errors.Is(err, errItemTaken)
}

// sourceTakenError says an incident id is stored from another source
// name.
type sourceTakenError struct {
	source, path string
}

func (e *sourceTakenError) Error() string {
	return "the incident is stored from source " + e.source
}

// contentHash identifies a record's content as stored (its path the
// stored one, wherever it was read from), to skip unchanged ones; the
// content includes its findings, so that a change of the quality rules
// updates them.
func contentHash(r record.Checked, storedPath string) (string, error) {
	c := *r.Record
	c.Path = storedPath
	findings := slices.Clone(r.Verdict.Findings)
	for i := range findings {
		findings[i].Path = storedPath
	}
	data, err := json.Marshal(struct {
		*record.Record
		Findings []record.Problem
	}{&c, findings})
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.Path, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// NullTime is t as a nullable column: NULL for the zero time.
func NullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// orNoText returns list, or an empty list for nil: the column is NOT NULL.
func orNoText(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// NullString is s as a nullable column: NULL for "".
func NullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
