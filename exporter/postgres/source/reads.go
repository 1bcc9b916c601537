package source

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A read is one query of a refresh. It runs on one of the refresh's
// transactions and collects its rows; the function it returns adds them
// to the snapshot. The functions run after every read has finished, in
// the order of the reads, so the snapshot does not depend on which query
// came back first.
type read func(ctx context.Context, q pgx.Tx) (apply func(), err error)

// runReads runs the reads on tx and on up to workers-1 more transactions
// that see the same snapshot of the database as tx (pg_export_snapshot),
// then applies them in order. settings are run first in each added
// transaction.
func runReads(ctx context.Context, pool *pgxpool.Pool, tx pgx.Tx, settings string, workers int, reads []read) error {
	workers = min(workers, len(reads))
	var snapshotID string
	if workers > 1 {
		if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapshotID); err != nil {
			return fmt.Errorf("export snapshot: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int, len(reads))
	for i := range reads {
		next <- i
	}
	close(next)
	applies := make([]func(), len(reads))
	var firstErr error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	// Once tx has run out of reads, a transaction still waiting for a
	// connection has nothing left to do and gives up.
	joinCtx, noMoreJoins := context.WithCancel(ctx)
	defer noMoreJoins()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			q := tx
			if w == 0 {
				defer noMoreJoins()
			} else {
				joined, err := joinSnapshot(joinCtx, pool, snapshotID, settings)
				if err != nil {
					if joinCtx.Err() == nil {
						fail(err)
					}
					return
				}
				defer joined.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only; nothing to undo
				q = joined
			}
			for i := range next {
				apply, err := reads[i](ctx, q)
				if err != nil {
					fail(err)
					return
				}
				applies[i] = apply
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	for _, apply := range applies {
		apply()
	}
	return nil
}

// joinSnapshot begins a read-only transaction on the snapshot another
// transaction exported.
func joinSnapshot(ctx context.Context, pool *pgxpool.Pool, snapshotID, settings string) (pgx.Tx, error) {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	// The id comes from pg_export_snapshot; SET takes no parameters.
	if _, err := tx.Exec(ctx, fmt.Sprintf("SET TRANSACTION SNAPSHOT '%s'; %s", snapshotID, settings)); err != nil {
		tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the error above is the one to report
		return nil, fmt.Errorf("join the refresh's snapshot: %w", err)
	}
	return tx, nil
}
