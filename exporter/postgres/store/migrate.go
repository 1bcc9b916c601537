// Package store keeps post-mortem records in PostgreSQL: the schema and
// its migrations.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		number, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(number)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", e.Name())
		}
		data, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// ErrSchemaNewer means the database was migrated by a newer exporter.
var ErrSchemaNewer = errors.New("the database schema is newer than this exporter")

// ErrSchemaOlder means the database needs `postmortem-exporter migrate`.
var ErrSchemaOlder = errors.New("the database schema is older than this exporter: run `postmortem-exporter migrate` or serve with --migrate")

// migrationLock is the advisory lock that keeps replicas from migrating at once.
const migrationLock = 0x706d6578 // "pmex"

// Migrate applies the migrations the database lacks, each in its own
// transaction with its version recorded, and returns how many it applied.
// It refuses a database whose schema is newer than this binary.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	all, err := migrations()
	if err != nil {
		return 0, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock) //nolint:errcheck // released with the session anyway
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS postmortem_schema_version (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, fmt.Errorf("version table: %w", err)
	}
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return 0, err
	}
	if latest := all[len(all)-1].version; current > latest {
		return 0, fmt.Errorf("%w: database at version %d, this exporter knows up to %d", ErrSchemaNewer, current, latest)
	}
	applied := 0
	for _, m := range all {
		if m.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO postmortem_schema_version (version, name) VALUES ($1, $2)`, m.version, m.name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		applied++
	}
	return applied, nil
}

// CheckSchema returns nil when the database is at this binary's version,
// ErrSchemaOlder or ErrSchemaNewer otherwise.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	current, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	switch latest := all[len(all)-1].version; {
	case current > latest:
		return fmt.Errorf("%w: database at version %d, this exporter knows up to %d", ErrSchemaNewer, current, latest)
	case current < latest:
		return fmt.Errorf("%w (database at version %d, want %d)", ErrSchemaOlder, current, latest)
	}
	return nil
}

// schemaVersion is the highest applied migration, 0 for an empty database.
func schemaVersion(ctx context.Context, conn *pgxpool.Conn) (int, error) {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('postmortem_schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM postmortem_schema_version`).Scan(&version); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return version, nil
}
