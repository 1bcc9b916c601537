package source

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/internal/pgtest"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestReadsShareOneSnapshot checks that the reads of a refresh, spread
// over several connections, all see the database as of the instant the
// refresh's first transaction began: a row committed after it is seen by
// none of them.
func TestReadsShareOneSnapshot(t *testing.T) {
	pg := pgtest.Database(t)
	ctx := context.Background()
	insert := func(id string) {
		t.Helper()
		if _, err := pg.Exec(ctx, `INSERT INTO incidents (id, source_path, content_hash, title, severity, team, started_at, detected_at, origin, detection, status)
			VALUES ($1, 'sql', '', 't', 'sev2', 'a', now() - interval '2 days', now() - interval '1 day', 'unknown', 'internal', 'draft')`, id); err != nil {
			t.Fatal(err)
		}
	}
	insert("PM-1")
	tx, err := pg.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	// The transaction's snapshot is taken by its first statement.
	if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	insert("PM-2")

	// Read 0 waits until another read has counted, so that the reads run
	// on at least two connections.
	othersCounted := make(chan struct{}, 6)
	counts := make([]int, 6)
	connections := map[uint32]bool{}
	var reads []read
	for i := range counts {
		reads = append(reads, func(ctx context.Context, q pgx.Tx) (func(), error) {
			if i == 0 {
				select {
				case <-othersCounted:
				case <-time.After(10 * time.Second):
					return nil, errors.New("no other read ran while the first one waited")
				}
			}
			var pid uint32
			err := q.QueryRow(ctx, `SELECT count(*), pg_backend_pid() FROM incidents`).Scan(&counts[i], &pid)
			othersCounted <- struct{}{}
			return func() { connections[pid] = true }, err
		})
	}
	if err := runReads(ctx, pg, tx, "SELECT 1", 3, reads); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(counts, func(n int) bool { return n != 1 }) {
		t.Fatalf("the reads counted %v incidents; all should see 1, as when the refresh began", counts)
	}
	if len(connections) < 2 {
		t.Fatalf("the reads ran on %d connection(s), want several", len(connections))
	}
}

// TestReadsWithABusyPool checks that a refresh does not wait for
// connections the pool cannot give: with one connection, the refresh's own
// transaction does every read.
func TestReadsWithABusyPool(t *testing.T) {
	config, err := pgxpool.ParseConfig(testenv.StartPostgres(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	config.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), config)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	var applied []int
	var reads []read
	for i := range 4 {
		reads = append(reads, func(ctx context.Context, q pgx.Tx) (func(), error) {
			var n int
			err := q.QueryRow(ctx, `SELECT $1::int`, i).Scan(&n)
			return func() { applied = append(applied, n) }, err
		})
	}
	if err := runReads(ctx, pool, tx, "SELECT 1", 3, reads); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("the reads waited for a connection until the deadline")
	}
	if !slices.Equal(applied, []int{0, 1, 2, 3}) {
		t.Fatalf("applied %v, want the four reads in order", applied)
	}
}
