package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
)

// ticketColumns are the columns of tracker_tickets (migrations/0012), in
// the order LoadTickets scans and SaveTickets writes them.
const ticketColumns = `url, tracker, ticket_key, outcome, moved_to, status, tracker_status, closed_at, assignees, due, updated_at, read_at`

// LoadTickets returns the ticket states an import stored: the last known
// state of each ticket, for the next import to fall back on when its
// tracker does not answer.
func LoadTickets(ctx context.Context, pool *pgxpool.Pool) ([]ticketsync.Known, error) {
	rows, err := pool.Query(ctx, `SELECT `+ticketColumns+` FROM tracker_tickets ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("read tracker_tickets: %w", err)
	}
	known, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ticketsync.Known, error) {
		var k ticketsync.Known
		var closed, due, updated *time.Time
		t := &k.Ticket
		err := row.Scan(&k.URL, &k.Tracker, &t.Key, &t.Outcome, &t.MovedTo, &t.Status, &t.TrackerStatus, &closed, &t.Assignees, &due, &updated, &k.ReadAt)
		t.ClosedAt, t.Due, t.UpdatedAt, k.ReadAt = utc(closed), utc(due), utc(updated), k.ReadAt.UTC()
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("read tracker_tickets: %w", err)
	}
	return known, nil
}

// SaveTickets stores the state of each ticket in known, replacing what
// was stored for its url, in one transaction. The states of urls it does
// not hold stay: another repository's items may name them.
func SaveTickets(ctx context.Context, pool *pgxpool.Pool, known []ticketsync.Known) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var batch pgx.Batch
		for _, k := range known {
			t := k.Ticket
			assignees := t.Assignees
			if assignees == nil {
				assignees = []string{}
			}
			batch.Queue(`INSERT INTO tracker_tickets (`+ticketColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				ON CONFLICT (url) DO UPDATE SET tracker = $2, ticket_key = $3, outcome = $4, moved_to = $5, status = $6,
					tracker_status = $7, closed_at = $8, assignees = $9, due = $10, updated_at = $11, read_at = $12`,
				k.URL, k.Tracker, t.Key, t.Outcome, t.MovedTo, t.Status, t.TrackerStatus, NullTime(t.ClosedAt), assignees,
				NullTime(t.Due), NullTime(t.UpdatedAt), k.ReadAt)
		}
		if err := tx.SendBatch(ctx, &batch).Close(); err != nil {
			return fmt.Errorf("store tracker_tickets: %w", err)
		}
		return nil
	})
}
