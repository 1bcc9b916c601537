package source

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// The forum report's lists (snapshot.Agenda): the open items due soon,
// read by the partial index on the open items' due day, the unpublished
// post-mortems by theirs, and the titles of what the snapshot lists.
// Origin by resolution and the incidents per service come with the
// quality detail (listStored, stored.go). The list of post-mortems
// published late is not read: it would read every published post-mortem
// (docs/report.md).

// addDueSoon reads the open items whose due day is in the next
// snapshot.DueSoonDays days.
func (r *refresh) addDueSoon(ctx context.Context, q pgx.Tx) (func(), error) {
	first, last := snapshot.DueSoonHorizon(r.asOf)
	list, err := r.readOpenItems(ctx, q, "action items due soon", `a.due BETWEEN $2 AND $3`, []any{first, last}, r.b.ListDueSoon)
	return func() {
		r.b.ListAgenda(false)
		list()
	}, err
}

// addUnpublished reads the incidents whose post-mortem is not published,
// by the partial index that holds only them.
func (r *refresh) addUnpublished(ctx context.Context, q pgx.Tx) (func(), error) {
	incidents, err := collect(ctx, q, "unpublished post-mortems", `
		SELECT id, team, severity, status, url, started_at, resolved_at FROM incidents
		 WHERE status <> 'published' AND started_at <= $1`, []any{r.asOf},
		func(row pgx.CollectableRow) (*record.Record, error) {
			inc := &record.Record{}
			var resolved *time.Time
			err := row.Scan(&inc.ID, &inc.Team, &inc.Severity, &inc.Status, &inc.URL, &inc.StartedAt, &resolved)
			inc.StartedAt, inc.ResolvedAt = inc.StartedAt.UTC(), utc(resolved)
			return inc, err
		})
	return func() {
		for _, inc := range incidents {
			if !r.invalid[inc.ID] {
				r.b.ListUnpublished(inc)
			}
		}
	}, err
}

// addTitles sets the titles of the items and incidents snap lists.
func addTitles(ctx context.Context, q pgx.Tx, snap *snapshot.Snapshot) error {
	var items, incidents []string
	for _, it := range snap.OverdueItems {
		items, incidents = append(items, it.ID), append(incidents, it.Incident)
	}
	for _, it := range snap.DueSoon {
		items, incidents = append(items, it.ID), append(incidents, it.Incident)
	}
	for _, it := range snap.ExceptionItems {
		items, incidents = append(items, it.ID), append(incidents, it.Incident)
	}
	for _, rp := range snap.Repeats {
		incidents = append(incidents, rp.Incident, rp.Earlier)
	}
	for _, it := range snap.Unpublished {
		incidents = append(incidents, it.ID)
	}
	if d := snap.QualityDetail; d != nil {
		for _, f := range d.Findings {
			incidents = append(incidents, f.Incident)
		}
		for _, rp := range d.PossibleRepeats {
			incidents = append(incidents, rp.Incident, rp.Earlier)
		}
	}
	type title struct{ ID, Title string }
	titles, err := collect(ctx, q, "titles", `SELECT id, title FROM action_items WHERE id = ANY ($1)
		UNION ALL SELECT id, title FROM incidents WHERE id = ANY ($2)`, []any{items, incidents}, pgx.RowToStructByPos[title])
	if err != nil {
		return fmt.Errorf("report lists: %w", err)
	}
	snap.Titles = make(map[string]string, len(titles))
	for _, t := range titles {
		snap.Titles[t.ID] = t.Title
	}
	return nil
}
