// Package synthetic generates a realistic organisation's post-mortem
// records, the same for the same seed: for benchmarks, load tests and
// demonstrations at sizes no example folder has.
package synthetic

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Org describes a generated organisation: realistic incidents with
// action items, the same for the same seed. Incidents spread over the
// History before End; what would happen after End has not happened yet, so
// the newest incidents are still unresolved or in review and their items
// open, and a few items are never closed (they are the overdue ones). The
// first item of one incident in ten has an exception.
type Org struct {
	Incidents      int
	ItemsPerRecord int // action items per incident
	Teams          int
	Seed           uint64
	// End is the newest start time and the instant the data is written as of.
	End time.Time
	// History is how far back the incidents go; zero means five years.
	History time.Duration
}

// history returns how far back the incidents go.
func (s Org) history() time.Duration {
	if s.History == 0 {
		return 5 * 365 * 24 * time.Hour
	}
	return s.History
}

// Record returns the i-th synthetic record, derived from the seed and i
// alone, so a writer can stream records (or each table of a database
// separately) without holding them.
func (s Org) Record(i int) *record.Record {
	rng := rand.New(rand.NewPCG(s.Seed, uint64(i)))
	tax := record.DefaultTaxonomy()
	pick := func(values []string) string { return values[rng.IntN(len(values))] }
	minutes := func(n int) time.Duration { return time.Duration(rng.IntN(n)) * time.Minute }
	// Detection takes at most 3 hours: every incident is detected by End.
	started := s.End.Add(-3*time.Hour - time.Duration(rng.Int64N(int64(s.history())))).Truncate(time.Second)
	r := &record.Record{
		ID:         fmt.Sprintf("SYN-%08d", i),
		Title:      fmt.Sprintf("synthetic incident %d", i),
		Severity:   tax.Severities[min(rng.IntN(10), 3)], // sev1 10%, sev2 10%, sev3 10%, sev4 70%
		Team:       fmt.Sprintf("team-%03d", rng.IntN(s.Teams)),
		StartedAt:  started,
		DetectedAt: started.Add(time.Minute + minutes(180)),
		Origin:     pick(tax.Origins),
		Detection:  pick(tax.Detections),
		Status:     record.StatusDraft,
		Services:   []string{fmt.Sprintf("service-%03d", rng.IntN(300))},
		Impact:     record.Impact{CustomersAffected: rng.Int64N(10000), FailedRequests: rng.Int64N(100000), DataLoss: rng.IntN(200) == 0},
	}
	r.SecurityIncident = rng.IntN(100) == 0
	mitigated := r.DetectedAt.Add(minutes(120))
	resolved := mitigated.Add(minutes(48 * 60))
	published := resolved.Add(time.Duration(1+rng.IntN(14)) * 24 * time.Hour)
	resolution := pick(tax.Resolutions)
	if !mitigated.After(s.End) {
		r.MitigatedAt = mitigated
	}
	if !resolved.After(s.End) {
		r.ResolvedAt, r.Resolution, r.Status = resolved, resolution, record.StatusInReview
	}
	if !published.After(s.End) {
		r.PublishedAt, r.Status = published, record.StatusPublished
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
		closed := created.Add(time.Duration(1+rng.IntN(14*24)) * time.Hour)
		switch n := rng.IntN(1000); {
		case n < 1 || closed.After(s.End): // forgotten, or not done yet
		case n < 60:
			a.Status, a.ClosedAt = record.ItemWontDo, closed
		default:
			a.Status, a.ClosedAt = record.ItemDone, closed
		}
		// The first item of one incident in ten is a larger one a leader
		// approved with its own due day; every other one names the leader.
		if j == 0 && i%10 == 0 {
			a.Exception = "approved as a larger item"
			if i%20 == 0 {
				a.ExceptionApprover = "vp-engineering"
			}
		}
		r.ActionItems = append(r.ActionItems, a)
	}
	return r
}
