package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// writeFindings replaces the stored findings of r's incident, each with
// the action item it is about.
func writeFindings(ctx context.Context, tx pgx.Tx, r record.Checked) error {
	if _, err := tx.Exec(ctx, `DELETE FROM quality_findings WHERE incident_id = $1`, r.ID); err != nil {
		return fmt.Errorf("quality findings: %w", err)
	}
	for _, f := range r.Verdict.Findings {
		if _, err := tx.Exec(ctx, `INSERT INTO quality_findings (incident_id, team, rule, severity, field, line, message, item)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.Team, f.Rule, string(f.Severity), f.Field, f.Line, f.Message, r.Verdict.ItemID(r.Record, f)); err != nil {
			return fmt.Errorf("quality finding %s: %w", f.Rule, err)
		}
	}
	return nil
}
