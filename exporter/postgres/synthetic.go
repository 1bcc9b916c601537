package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Synthetic describes a generated organisation: realistic incidents with
// action items, the same for the same seed.
type Synthetic struct {
	Incidents      int
	ItemsPerRecord int // action items per incident
	Teams          int
	Seed           uint64
	// End is the newest start time; incidents spread over the year before.
	End time.Time
}

// incident returns the i-th synthetic record, derived from the seed and i
// alone, so each table can be streamed separately without holding rows.
func (s Synthetic) incident(i int) *record.Record {
	rng := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	tax := record.DefaultTaxonomy()
	pick := func(values []string) string { return values[rng.IntN(len(values))] }
	started := s.End.Add(-time.Duration(rng.Int64N(int64(400 * 24 * time.Hour)))).Truncate(time.Second)
	r := &record.Record{
		ID:         fmt.Sprintf("SYN-%08d", i),
		Title:      fmt.Sprintf("synthetic incident %d", i),
		Severity:   tax.Severities[min(rng.IntN(10), 3)], // sev1 10%, sev2 10%, sev3 10%, sev4 70%
		Team:       fmt.Sprintf("team-%03d", rng.IntN(s.Teams)),
		StartedAt:  started,
		DetectedAt: started.Add(time.Duration(1+rng.IntN(180)) * time.Minute),
		Origin:     pick(tax.Origins),
		Detection:  pick(tax.Detections),
		Status:     record.StatusPublished,
		Services:   []string{fmt.Sprintf("service-%03d", rng.IntN(300))},
		Impact:     record.Impact{CustomersAffected: rng.Int64N(10000), FailedRequests: rng.Int64N(100000), DataLoss: rng.IntN(200) == 0},
	}
	r.SecurityIncident = rng.IntN(100) == 0
	if rng.IntN(10) > 0 {
		r.MitigatedAt = r.DetectedAt.Add(time.Duration(rng.IntN(120)) * time.Minute)
		r.ResolvedAt = r.MitigatedAt.Add(time.Duration(rng.IntN(48*60)) * time.Minute)
		r.Resolution = pick(tax.Resolutions)
		r.PublishedAt = r.ResolvedAt.Add(time.Duration(1+rng.IntN(14)) * 24 * time.Hour)
	} else {
		r.Status = record.StatusDraft
	}
	if i > 0 && rng.IntN(20) == 0 {
		r.Related = []string{fmt.Sprintf("SYN-%08d", rng.IntN(i))}
	}
	created := r.DetectedAt
	for j := range s.ItemsPerRecord {
		a := record.ActionItem{
			ID: fmt.Sprintf("%s-%d", r.ID, j+1), Title: "synthetic action item",
			Owner: fmt.Sprintf("owner-%04d", rng.IntN(5000)), Team: r.Team, CreatedAt: created,
			Due: created.Truncate(24 * time.Hour).Add(time.Duration(1+rng.IntN(30)) * 24 * time.Hour), Status: record.ItemOpen,
		}
		switch n := rng.IntN(100); {
		case n < 65:
			a.Status, a.ClosedAt = record.ItemDone, created.Add(time.Duration(1+rng.IntN(60*24))*time.Hour)
		case n < 70:
			a.Status, a.ClosedAt = record.ItemWontDo, created.Add(time.Hour)
		}
		r.ActionItems = append(r.ActionItems, a)
	}
	return r
}

// Write streams the organisation into the database with COPY, one table at
// a time, each row generated as it is sent.
func (s Synthetic) Write(ctx context.Context, pool *pgxpool.Pool) error {
	tables := []struct {
		name    string
		columns []string
		rows    func(r *record.Record) [][]any
	}{
		{"incidents", []string{"id", "source_path", "content_hash", "title", "severity", "security_incident", "team", "started_at",
			"detected_at", "mitigated_at", "resolved_at", "origin", "resolution", "detection", "customers_affected",
			"failed_requests", "data_loss", "status", "published_at"},
			func(r *record.Record) [][]any {
				return [][]any{{r.ID, "synthetic", "", r.Title, r.Severity, r.SecurityIncident, r.Team, r.StartedAt,
					r.DetectedAt, nullTime(r.MitigatedAt), nullTime(r.ResolvedAt), r.Origin, nullString(r.Resolution), r.Detection,
					r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Status, nullTime(r.PublishedAt)}}
			}},
		{"incident_services", []string{"incident_id", "service"}, func(r *record.Record) [][]any {
			return [][]any{{r.ID, r.Services[0]}}
		}},
		{"incident_related", []string{"incident_id", "related_id"}, func(r *record.Record) [][]any {
			var rows [][]any
			for _, rel := range r.Related {
				rows = append(rows, []any{r.ID, rel})
			}
			return rows
		}},
		{"action_items", []string{"id", "incident_id", "title", "owner", "team", "created_at", "due", "status", "closed_at"},
			func(r *record.Record) [][]any {
				var rows [][]any
				for _, a := range r.ActionItems {
					rows = append(rows, []any{a.ID, r.ID, a.Title, a.Owner, a.Team, a.CreatedAt, a.Due, a.Status, nullTime(a.ClosedAt)})
				}
				return rows
			}},
	}
	for _, table := range tables {
		i, pending := 0, [][]any(nil)
		source := pgx.CopyFromFunc(func() ([]any, error) {
			for len(pending) == 0 && i < s.Incidents {
				pending = table.rows(s.incident(i))
				i++
			}
			if len(pending) == 0 {
				return nil, nil
			}
			row := pending[0]
			pending = pending[1:]
			return row, nil
		})
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{table.name}, table.columns, source); err != nil {
			return fmt.Errorf("copy %s: %w", table.name, err)
		}
	}
	return nil
}
