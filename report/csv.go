package report

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Records hands every valid record to fn, one at a time, so that a source
// can stream them (PostgreSQL) instead of holding them all.
type Records func(ctx context.Context, fn func(record.Checked) error) error

// CSV columns. An incident row fills the incident's columns; an action
// item row has kind "action_item", its own id, title, team, url and
// status, the incident's id in "incident", and the item's columns.
var csvHeader = []string{
	"kind", "id", "incident", "title", "severity", "security_incident", "team", "services", "url",
	"started_at", "detected_at", "mitigated_at", "resolved_at",
	"time_to_detect_seconds", "time_to_mitigate_seconds", "time_to_recover_seconds",
	"origin", "resolution", "detection",
	"customers_affected", "failed_requests", "data_loss", "p99_latency_ms",
	"related", "status", "published_at",
	"moderator", "bar_raiser", "learnings", "security_review_by", "security_review_outcome", "security_review_date",
	"findings",
	"owner", "created_at", "due", "closed_at", "exception", "exception_approver",
	"source",
}

// CSV row kinds.
const (
	KindIncident   = "incident"
	KindActionItem = "action_item"
)

// ListSeparator joins the items of a list field (services, related,
// findings) in one CSV cell; learnings, which are sentences, are joined
// with line breaks.
const ListSeparator = ";"

// WriteCSV writes one row per incident, followed by one per action item
// of that incident, with every field, for a spreadsheet. Times are RFC
// 3339 in UTC, due days YYYY-MM-DD. A cell that a spreadsheet would run as
// a formula (it starts with =, +, -, @, a tab or a carriage return) is
// written with a leading apostrophe, which spreadsheets hide.
func WriteCSV(ctx context.Context, w io.Writer, records Records) (int, error) {
	out := csv.NewWriter(w)
	if err := out.Write(csvHeader); err != nil {
		return 0, fmt.Errorf("write CSV: %w", err)
	}
	n := 0
	err := records(ctx, func(r record.Checked) error {
		n++
		if err := out.Write(neutralize(incidentRow(r))); err != nil {
			return err
		}
		for _, a := range r.ActionItems {
			if err := out.Write(neutralize(itemRow(r.Record, a))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("write CSV: %w", err)
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return n, fmt.Errorf("write CSV: %w", err)
	}
	return n, nil
}

func incidentRow(r record.Checked) []string {
	f := map[string]string{
		"kind": KindIncident, "id": r.ID, "title": r.Title, "severity": r.Severity,
		"security_incident": strconv.FormatBool(r.SecurityIncident), "team": r.Team,
		"services": strings.Join(r.Services, ListSeparator), "url": r.URL,
		"started_at": instant(r.StartedAt), "detected_at": instant(r.DetectedAt),
		"mitigated_at": instant(r.MitigatedAt), "resolved_at": instant(r.ResolvedAt),
		"time_to_detect_seconds": seconds(r.TimeToDetect()),
		"origin":                 r.Origin, "resolution": r.Resolution, "detection": r.Detection,
		"customers_affected": strconv.FormatInt(r.Impact.CustomersAffected, 10),
		"failed_requests":    strconv.FormatInt(r.Impact.FailedRequests, 10),
		"data_loss":          strconv.FormatBool(r.Impact.DataLoss),
		"p99_latency_ms":     strconv.FormatInt(r.Impact.P99LatencyMS, 10),
		"related":            strings.Join(r.Related, ListSeparator), "status": r.Status,
		"published_at": instant(r.PublishedAt), "source": r.Path,
		"moderator": r.Moderator, "bar_raiser": r.BarRaiser, "learnings": strings.Join(r.Learnings, "\n"),
		"findings": strings.Join(findingRules(r), ListSeparator),
	}
	if sr := r.SecurityReview; sr != nil {
		f["security_review_by"], f["security_review_outcome"], f["security_review_date"] = sr.By, sr.Outcome, instant(sr.Date)
	}
	if r.Mitigated() {
		f["time_to_mitigate_seconds"] = seconds(r.TimeToMitigate())
	}
	if r.Resolved() {
		f["time_to_recover_seconds"] = seconds(r.TimeToRecover())
	}
	return columns(f)
}

func itemRow(r *record.Record, a record.ActionItem) []string {
	f := map[string]string{
		"kind": KindActionItem, "id": a.ID, "incident": r.ID, "title": a.Title, "team": a.Team, "url": a.URL,
		"status": a.Status, "owner": a.Owner, "created_at": instant(a.CreatedAt), "closed_at": instant(a.ClosedAt),
		"exception": a.Exception, "exception_approver": a.ExceptionApprover, "source": r.Path, "due": snapshot.DueDay(a.Due),
	}
	return columns(f)
}

// findingRules returns the rules of r's findings in name order, a rule as
// often as it found something.
func findingRules(r record.Checked) []string {
	rules := make([]string, len(r.Verdict.Findings))
	for i, f := range r.Verdict.Findings {
		rules[i] = f.Rule
	}
	slices.Sort(rules)
	return rules
}

// columns orders a row's fields as the header; a column it lacks is empty.
func columns(fields map[string]string) []string {
	row := make([]string, len(csvHeader))
	for i, name := range csvHeader {
		row[i] = fields[name]
	}
	return row
}

// neutralize prefixes the cells a spreadsheet would take for a formula.
func neutralize(row []string) []string {
	for i, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			row[i] = "'" + cell
		}
	}
	return row
}

func instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func seconds(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }
