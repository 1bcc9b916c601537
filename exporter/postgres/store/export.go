package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// exportQuery reads every incident with its services, related ids and
// action items, one row per incident in id order. The items come as JSON,
// read by the index on their incident, so the rows stream without a sort
// or a join of two whole tables.
const exportQuery = `
SELECT i.id, i.source_path, i.title, i.severity, i.security_incident, i.team, i.url,
       i.started_at, i.detected_at, i.mitigated_at, i.resolved_at,
       i.origin, coalesce(i.resolution, ''), i.detection,
       i.customers_affected, i.failed_requests, i.data_loss, i.p99_latency_ms,
       i.status, i.published_at, i.moderator, i.bar_raiser, i.learnings,
       i.security_review_by, i.security_review_outcome, i.security_review_date, i.acknowledged_at, i.custom,
       coalesce((SELECT array_agg(f.rule ORDER BY f.rule) FROM quality_findings f WHERE f.incident_id = i.id), '{}'),
       coalesce((SELECT array_agg(s.service ORDER BY s.service) FROM incident_services s WHERE s.incident_id = i.id), '{}'),
       coalesce((SELECT array_agg(r.related_id ORDER BY r.related_id) FROM incident_related r WHERE r.incident_id = i.id), '{}'),
       coalesce((SELECT json_agg(json_build_object('id', a.id, 'title', a.title, 'owner', a.owner, 'team', a.team,
                     'created_at', a.created_at, 'due', a.due, 'status', a.status, 'closed_at', a.closed_at,
                     'exception', a.exception, 'exception_approver', a.exception_approver, 'url', a.url) ORDER BY a.id)
                   FROM action_items a WHERE a.incident_id = i.id), '[]')
  FROM incidents i
 ORDER BY i.id`

// exportItem is an action item as exportQuery writes it in JSON.
type exportItem struct {
	ID, Title, Owner, Team, Status, Exception, URL string
	ExceptionApprover                              string     `json:"exception_approver"`
	CreatedAt                                      time.Time  `json:"created_at"`
	Due                                            string     // YYYY-MM-DD, empty for none
	ClosedAt                                       *time.Time `json:"closed_at"`
}

// EachRecord streams every incident of the database with its action items
// to fn, in id order, holding one record at a time: a CSV of a million
// incidents needs no more memory than one. Rows that break rules (the
// taxonomy, a plausible time) are not handed over but counted; it returns
// how many.
func EachRecord(ctx context.Context, pool *pgxpool.Pool, rules record.Rules, fn func(record.Checked) error) (invalid int, err error) {
	rows, err := pool.Query(ctx, exportQuery)
	if err != nil {
		return 0, fmt.Errorf("read incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanExport(rows)
		if err != nil {
			return invalid, fmt.Errorf("read incidents: %w", err)
		}
		if len(record.Validate(r.Record, rules)) > 0 {
			invalid++
			continue
		}
		if err := fn(r); err != nil {
			return invalid, err
		}
	}
	if err := rows.Err(); err != nil {
		return invalid, fmt.Errorf("read incidents: %w", err)
	}
	return invalid, nil
}

// scanExport scans a row of exportQuery into a record, with the rules of
// its stored findings.
func scanExport(rows pgx.Rows) (record.Checked, error) {
	r := &record.Record{}
	var mitigated, resolved, published, reviewed, acknowledged *time.Time
	var custom []byte
	var reviewBy, reviewOutcome *string
	var findings []string
	var items []byte
	if err := rows.Scan(&r.ID, &r.Path, &r.Title, &r.Severity, &r.SecurityIncident, &r.Team, &r.URL,
		&r.StartedAt, &r.DetectedAt, &mitigated, &resolved, &r.Origin, &r.Resolution, &r.Detection,
		&r.Impact.CustomersAffected, &r.Impact.FailedRequests, &r.Impact.DataLoss, &r.Impact.P99LatencyMS,
		&r.Status, &published, &r.Moderator, &r.BarRaiser, &r.Learnings, &reviewBy, &reviewOutcome, &reviewed, &acknowledged, &custom, &findings,
		&r.Services, &r.Related, &items); err != nil {
		return record.Checked{}, err
	}
	if reviewBy != nil || reviewOutcome != nil || reviewed != nil {
		r.SecurityReview = &record.SecurityReview{By: deref(reviewBy), Outcome: deref(reviewOutcome), Date: utc(reviewed)}
	}
	var verdict record.Verdict
	for _, rule := range findings {
		verdict.Findings = append(verdict.Findings, record.Problem{Path: r.Path, Team: r.Team, Rule: rule})
	}
	r.StartedAt, r.DetectedAt = r.StartedAt.UTC(), r.DetectedAt.UTC()
	r.MitigatedAt, r.ResolvedAt, r.PublishedAt, r.AcknowledgedAt = utc(mitigated), utc(resolved), utc(published), utc(acknowledged)
	var err error
	if r.Custom, err = record.ParseCustomJSON(custom); err != nil {
		return record.Checked{}, fmt.Errorf("incident %s: %w", r.ID, err)
	}
	var decoded []exportItem
	if err := json.Unmarshal(items, &decoded); err != nil {
		return record.Checked{}, fmt.Errorf("incident %s: action items: %w", r.ID, err)
	}
	for _, it := range decoded {
		var due time.Time
		if it.Due != "" {
			var err error
			if due, err = time.Parse(time.DateOnly, it.Due); err != nil {
				return record.Checked{}, fmt.Errorf("incident %s: action item %s: due: %w", r.ID, it.ID, err)
			}
		}
		r.ActionItems = append(r.ActionItems, record.ActionItem{ID: it.ID, Title: it.Title, Owner: it.Owner, Team: it.Team,
			CreatedAt: it.CreatedAt.UTC(), Due: due, Status: it.Status, ClosedAt: utc(it.ClosedAt),
			Exception: it.Exception, ExceptionApprover: it.ExceptionApprover, URL: it.URL})
	}
	return record.Checked{Record: r, Verdict: verdict}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// utc is a nullable column's time in UTC, the zero time for NULL.
func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
