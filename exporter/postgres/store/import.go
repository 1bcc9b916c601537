package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// ImportReport counts what an import did.
type ImportReport struct {
	Inserted, Updated, Unchanged int
	// Adopted counts the incidents stored without a source name (before
	// migration 0008, or by plain SQL) that the import gave its own,
	// whether their content changed or not.
	Adopted int
	// RemovedItems lists the action items an update deleted because the
	// record no longer holds them, so that no item disappears unsaid.
	RemovedItems []RemovedItem
	// Conflicts lists the records not imported because their id is
	// stored from another source name: two repositories share the id.
	Conflicts []Conflict
}

// Conflict is a record left out of an import because its incident id is
// already stored from another source name, which is left as it was.
type Conflict struct {
	ID, Path string
	// Source is the source name the stored incident was imported from.
	Source string
}

// RemovedItem is an action item deleted by the update of its incident.
type RemovedItem struct {
	ID, Incident, Path string
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

// Import upserts valid records read from the repository called source
// (the incidents' source_name), one transaction per batch: a new record
// is inserted, a changed one updated with its action items, services and
// related ids replaced, an unchanged one (same content hash) left alone.
// A record whose id is stored from another non-empty source name is not
// written, and is listed in the report's Conflicts; an incident stored
// without a source name is adopted. Import never deletes an incident:
// that is Prune's job. progress may be nil.
func Import(ctx context.Context, pool *pgxpool.Pool, source string, records []record.Checked, progress Progress) (ImportReport, error) {
	var rep ImportReport
	if source == "" {
		return rep, errors.New("import: the source name is empty")
	}
	progress = OrSilent(progress)
	progress.Stage("upsert", int64(len(records)))
	for start := 0; start < len(records); start += ImportBatchSize {
		batch := records[start:min(start+ImportBatchSize, len(records))]
		// A failed batch is rolled back: count it only once committed.
		batchRep := ImportReport{}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return importBatch(ctx, tx, source, batch, &batchRep) }); err != nil {
			return rep, err
		}
		rep.Inserted += batchRep.Inserted
		rep.Updated += batchRep.Updated
		rep.Unchanged += batchRep.Unchanged
		rep.Adopted += batchRep.Adopted
		rep.RemovedItems = append(rep.RemovedItems, batchRep.RemovedItems...)
		rep.Conflicts = append(rep.Conflicts, batchRep.Conflicts...)
		progress.Add(int64(len(batch)))
	}
	return rep, nil
}

// PruneRequest says what a prune may delete.
type PruneRequest struct {
	// Source is the source name of the folder: only its incidents, and
	// those stored without a source name, are considered. It must not be
	// empty.
	Source string
	// Keep holds the id of every record read from the folder. An empty
	// Keep is refused: it would delete every incident.
	Keep []string
	// StillThere reports whether an incident's file (its stored
	// source_path) is still there though it gave no record with the
	// incident's id (skipped, unreadable, a link): such an incident is not
	// gone, and the prune is refused. Nil checks no file.
	StillThere func(sourcePath string) bool
	// MaxDelete is the most incidents one prune may delete; when more
	// would go, none do. It must be at least 1.
	MaxDelete int
	// DryRun lists what would be deleted and deletes nothing.
	DryRun bool
}

// Pruned is an incident that a prune deleted, or would delete.
type Pruned struct {
	ID, SourcePath string
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
// those stored without a source name) whose id is not in req.Keep (their
// action items, services and related ids go with them), and returns them
// sorted by id. The incidents of other source names are never touched.
// It deletes nothing and returns a *PruneRefusedError when Keep is empty,
// when more than req.MaxDelete incidents would go, or when the file of
// one of them is still present.
func Prune(ctx context.Context, pool *pgxpool.Pool, req PruneRequest) ([]Pruned, error) {
	if len(req.Keep) == 0 {
		return nil, &PruneRefusedError{Reason: "the folder holds no record; pruning would delete every incident"}
	}
	if req.MaxDelete < 1 {
		return nil, fmt.Errorf("prune: the most incidents to delete must be at least 1, got %d", req.MaxDelete)
	}
	if req.Source == "" {
		return nil, errors.New("prune: the source name is empty")
	}
	var pruned []Pruned
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// The candidates: at most one more than allowed, with the total.
		rows, err := tx.Query(ctx, `SELECT id, source_path, source_name = '', count(*) OVER () FROM incidents
WHERE source_name IN ($3, '') AND id <> ALL($1) ORDER BY id LIMIT $2`, req.Keep, req.MaxDelete+1, req.Source)
		if err != nil {
			return err
		}
		total := 0
		var p Pruned
		if _, err := pgx.ForEachRow(rows, []any{&p.ID, &p.SourcePath, &p.NoSource, &total}, func() error { pruned = append(pruned, p); return nil }); err != nil {
			return err
		}
		// A file still there says more (the wrong folder, a link) than a
		// count: it is checked first, on the candidates fetched.
		if present := stillThere(pruned, req.StillThere); len(present) > 0 {
			return &PruneRefusedError{Total: len(present), Candidates: present,
				Reason: "the files these incidents were imported from are still there, but no record with their id was read from them"}
		}
		if total > req.MaxDelete {
			return &PruneRefusedError{Total: total, Candidates: pruned,
				Reason: fmt.Sprintf("%d incidents would be deleted, more than the %d allowed (--prune.max-delete)", total, req.MaxDelete)}
		}
		if req.DryRun || len(pruned) == 0 {
			return nil
		}
		ids := make([]string, len(pruned))
		for i, p := range pruned {
			ids[i] = p.ID
		}
		// The source condition again: an import of another repository
		// may have adopted an incident without a source name meanwhile.
		rows, err = tx.Query(ctx, `DELETE FROM incidents WHERE id = ANY($1) AND source_name IN ($2, '') RETURNING id`, ids, req.Source)
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

// stillThere returns the candidates whose file is still there.
func stillThere(candidates []Pruned, there func(string) bool) []Pruned {
	var found []Pruned
	for _, c := range candidates {
		if there != nil && there(c.SourcePath) {
			found = append(found, c)
		}
	}
	return found
}

// storedIncident is what an import compares a record with.
type storedIncident struct {
	hash, source string
}

// importBatch upserts one batch of records of source.
func importBatch(ctx context.Context, tx pgx.Tx, source string, batch []record.Checked, rep *ImportReport) error {
	ids := make([]string, len(batch))
	for i, r := range batch {
		ids[i] = r.ID
	}
	// Locked, in id order, until the batch commits: no other import can
	// change their source name between this read and the writes.
	stored := map[string]storedIncident{}
	rows, err := tx.Query(ctx, `SELECT id, content_hash, source_name FROM incidents WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	var id string
	var s storedIncident
	if _, err := pgx.ForEachRow(rows, []any{&id, &s.hash, &s.source}, func() error { stored[id] = s; return nil }); err != nil {
		return fmt.Errorf("read hashes: %w", err)
	}
	var adopt []string // unchanged incidents stored without a source name
	for _, r := range batch {
		h, err := contentHash(r)
		if err != nil {
			return err
		}
		old, exists := stored[r.ID]
		switch {
		case exists && old.source != "" && old.source != source:
			rep.Conflicts = append(rep.Conflicts, Conflict{ID: r.ID, Path: r.Path, Source: old.source})
			continue
		case exists && old.hash == h:
			rep.Unchanged++
			if old.source == "" {
				adopt = append(adopt, r.ID)
			}
			continue
		}
		removed, err := writeRecord(ctx, tx, source, r, h, exists)
		var taken *sourceTakenError
		switch {
		case errors.As(err, &taken): // inserted by another import since the read
			rep.Conflicts = append(rep.Conflicts, Conflict{ID: r.ID, Path: r.Path, Source: taken.source})
			continue
		case err != nil:
			return fmt.Errorf("%s: %w", r.Path, err)
		case exists:
			rep.Updated++
		default:
			rep.Inserted++
		}
		if exists && old.source == "" {
			rep.Adopted++
		}
		rep.RemovedItems = append(rep.RemovedItems, removed...)
	}
	if len(adopt) > 0 {
		tag, err := tx.Exec(ctx, `UPDATE incidents SET source_name = $1 WHERE id = ANY($2) AND source_name = ''`, source, adopt)
		if err != nil {
			return fmt.Errorf("adopt incidents without a source name: %w", err)
		}
		rep.Adopted += int(tag.RowsAffected())
	}
	return nil
}

// sourceTakenError says an incident id is stored from another source
// name.
type sourceTakenError struct {
	source string
}

func (e *sourceTakenError) Error() string {
	return "the incident is stored from source " + e.source
}

// contentHash identifies a record's content, to skip unchanged ones; the
// content includes its findings, so that a change of the quality rules
// updates them.
func contentHash(r record.Checked) (string, error) {
	data, err := json.Marshal(struct {
		*record.Record
		Findings []record.Problem
	}{r.Record, r.Verdict.Findings})
	if err != nil {
		return "", fmt.Errorf("%s: %w", r.Path, err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// writeRecord upserts the incident of source and replaces its children.
// When the incident existed, it returns the stored action items that the
// record no longer holds. It writes nothing and returns a
// *sourceTakenError when the id is stored from another source name.
func writeRecord(ctx context.Context, tx pgx.Tx, source string, r record.Checked, hash string, exists bool) ([]RemovedItem, error) {
	var review record.SecurityReview
	if r.SecurityReview != nil {
		review = *r.SecurityReview
	}
	// The condition on the stored row holds for every row this batch
	// locked; it guards against an id inserted by another import since.
	var written bool
	err := tx.QueryRow(ctx, `
INSERT INTO incidents (id, source_path, content_hash, title, severity, security_incident, team, url,
	started_at, detected_at, mitigated_at, resolved_at, origin, resolution, detection,
	customers_affected, failed_requests, data_loss, p99_latency_ms, status, published_at,
	moderator, bar_raiser, learnings, security_review_by, security_review_outcome, security_review_date, source_name)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
	$22, $23, $24, $25, $26, $27, $28)
ON CONFLICT (id) DO UPDATE SET source_path = $2, content_hash = $3, title = $4, severity = $5,
	security_incident = $6, team = $7, url = $8, started_at = $9, detected_at = $10, mitigated_at = $11,
	resolved_at = $12, origin = $13, resolution = $14, detection = $15, customers_affected = $16,
	failed_requests = $17, data_loss = $18, p99_latency_ms = $19, status = $20, published_at = $21,
	moderator = $22, bar_raiser = $23, learnings = $24, security_review_by = $25, security_review_outcome = $26,
	security_review_date = $27, source_name = $28
WHERE incidents.source_name IN ($28, '')
RETURNING true`,
		r.ID, r.Path, hash, r.Title, r.Severity, r.SecurityIncident, r.Team, r.LabelURL(),
		r.StartedAt, r.DetectedAt, NullTime(r.MitigatedAt), NullTime(r.ResolvedAt), r.Origin, NullString(r.Resolution), r.Detection,
		r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Impact.P99LatencyMS, r.Status, NullTime(r.PublishedAt),
		r.Moderator, r.BarRaiser, orNoText(r.Learnings), NullString(review.By), NullString(review.Outcome), NullTime(review.Date),
		source).Scan(&written)
	if errors.Is(err, pgx.ErrNoRows) {
		taken := &sourceTakenError{}
		if err := tx.QueryRow(ctx, `SELECT source_name FROM incidents WHERE id = $1`, r.ID).Scan(&taken.source); err != nil {
			return nil, fmt.Errorf("incident: read its source name: %w", err)
		}
		return nil, taken
	}
	if err != nil {
		return nil, fmt.Errorf("incident: %w", err)
	}
	var removed []RemovedItem
	if exists {
		if removed, err = removedItems(ctx, tx, r.Record); err != nil {
			return nil, err
		}
	}
	for _, table := range []string{"action_items", "incident_services", "incident_related"} {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE incident_id = $1`, r.ID); err != nil {
			return nil, fmt.Errorf("%s: %w", table, err)
		}
	}
	for _, svc := range r.LabelServices() { // an over-long service or url is a finding, kept out of the database
		if _, err := tx.Exec(ctx, `INSERT INTO incident_services (incident_id, service) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, svc); err != nil {
			return nil, fmt.Errorf("service %s: %w", svc, err)
		}
	}
	for _, rel := range r.Related {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_related (incident_id, related_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, r.ID, rel); err != nil {
			return nil, fmt.Errorf("related %s: %w", rel, err)
		}
	}
	for i, a := range r.ActionItems {
		if !r.Verdict.ItemCounts(i) {
			continue // reported as a finding, left out like the file source leaves it out
		}
		_, err := tx.Exec(ctx, `
INSERT INTO action_items (id, incident_id, title, owner, team, created_at, due, status, closed_at, exception, url, exception_approver)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			a.ID, r.ID, a.Title, a.Owner, a.Team, a.CreatedAt, NullTime(a.Due), a.Status, NullTime(a.ClosedAt), a.Exception, r.LabelItemURL(a),
			a.ExceptionApprover)
		if err != nil {
			return nil, fmt.Errorf("action item %s: %w", a.ID, err)
		}
	}
	if err := writeFindings(ctx, tx, r); err != nil {
		return nil, err
	}
	return removed, nil
}

// removedItems returns the stored action items of r's incident that r no
// longer holds.
func removedItems(ctx context.Context, tx pgx.Tx, r *record.Record) ([]RemovedItem, error) {
	kept := make([]string, len(r.ActionItems))
	for i, a := range r.ActionItems {
		kept[i] = a.ID
	}
	rows, err := tx.Query(ctx, `SELECT id FROM action_items WHERE incident_id = $1 AND id <> ALL($2) ORDER BY id`, r.ID, kept)
	if err != nil {
		return nil, fmt.Errorf("action items: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("action items: %w", err)
	}
	removed := make([]RemovedItem, len(ids))
	for i, id := range ids {
		removed[i] = RemovedItem{ID: id, Incident: r.ID, Path: r.Path}
	}
	return removed, nil
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
