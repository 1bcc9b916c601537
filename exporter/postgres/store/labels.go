package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// StoreLabelLimits sets the label lengths that the database holds every
// writer to (table label_limits, migrations/0009_label_lengths.sql):
// `import` stores its own, so that what it writes and what plain SQL
// writes follow the same limits. Rows already stored are not checked
// again.
func StoreLabelLimits(ctx context.Context, pool *pgxpool.Pool, lim record.Limits) error {
	if _, err := pool.Exec(ctx, `UPDATE label_limits SET max_label_length = $1, max_url_length = $2`,
		lim.MaxLabelLength, lim.MaxURLLength); err != nil {
		return fmt.Errorf("store label limits: %w", err)
	}
	return nil
}
