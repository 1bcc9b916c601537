package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TaxonomyFields pairs the fields of table taxonomy with their values.
func TaxonomyFields(tax record.Taxonomy) map[string][]string {
	return map[string][]string{
		"severity": tax.Severities, "origin": tax.Origins, "resolution": tax.Resolutions, "detection": tax.Detections,
	}
}

// StoreTaxonomy replaces the taxonomy that the database makes every writer
// follow (table taxonomy, migrations/0003_taxonomy.sql). Rows already
// stored are not checked again; the source reports those outside its own
// taxonomy as invalid. Concurrent calls (two `migrate` or `import` runs at
// once) take turns: each replaces the whole table.
func StoreTaxonomy(ctx context.Context, pool *pgxpool.Pool, tax record.Taxonomy) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Without the lock, a second writer's DELETE waits for the first
		// one's, finds nothing left to delete once it commits, and its
		// INSERT then collides with the rows the first one wrote.
		if _, err := tx.Exec(ctx, `LOCK TABLE taxonomy IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM taxonomy`); err != nil {
			return err
		}
		for field, values := range TaxonomyFields(tax) {
			if _, err := tx.Exec(ctx, `INSERT INTO taxonomy (field, value) SELECT $1, unnest($2::text[])`, field, values); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store taxonomy: %w", err)
	}
	return nil
}
