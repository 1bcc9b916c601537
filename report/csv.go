package report

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Records hands every valid record to fn, one at a time, so that a source
// can stream them (PostgreSQL) instead of holding them all.
type Records func(ctx context.Context, fn func(record.Checked) error) error

// CSV columns. An incident row fills the incident's columns; an action
// item row has kind "action_item", its own id, title, team, url and
// status, the incident's id in "incident", and the item's columns. The
// columns added since the first release come last, so that a sheet that
// reads columns by position keeps working: custom holds the record's
// custom fields as one JSON object, keys sorted.
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
	"acknowledged_at", "time_to_acknowledge_seconds", "custom",
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
// written with a leading apostrophe, which spreadsheets hide; a cell it
// could split is quoted (see csvCell).
func WriteCSV(ctx context.Context, w io.Writer, records Records) (int, error) {
	out := bufio.NewWriter(w)
	writeCSVRow(out, csvHeader)
	n := 0
	err := records(ctx, func(r record.Checked) error {
		n++
		err := writeCSVRow(out, neutralize(incidentRow(r)))
		for _, a := range r.ActionItems {
			err = writeCSVRow(out, neutralize(itemRow(r.Record, a)))
		}
		return err // nil until a write fails, then that error
	})
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		return n, fmt.Errorf("write CSV: %w", err)
	}
	return n, nil
}

// writeCSVRow writes one row of cells separated by commas and ended by a
// line feed (RFC 4180 but for the line end, as encoding/csv writes). A
// write error is kept by out: every later write, the row's last included,
// and its Flush return it.
func writeCSVRow(out *bufio.Writer, row []string) error {
	for i, cell := range row {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(csvCell(cell))
	}
	return out.WriteByte('\n') // a bufio.Writer keeps its first write error
}

// csvSplitters are the characters a spreadsheet may split a cell on or
// end it at: the comma, the semicolon (the list separator of many locales,
// which LibreOffice and Excel there split on), the tab, the quote and line
// breaks.
const csvSplitters = ",;\t\"\r\n"

// csvCell quotes a cell that holds one of csvSplitters, starts with a
// space (which readers may trim) or is `\.` (PostgreSQL's end of COPY
// data), doubling its quotes; other cells are written as they are, as
// encoding/csv writes them.
func csvCell(cell string) string {
	first, _ := utf8.DecodeRuneInString(cell)
	if !strings.ContainsAny(cell, csvSplitters) && !unicode.IsSpace(first) && cell != `\.` {
		return cell
	}
	return `"` + strings.ReplaceAll(cell, `"`, `""`) + `"`
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
	if r.Acknowledged() {
		f["acknowledged_at"], f["time_to_acknowledge_seconds"] = instant(r.AcknowledgedAt), seconds(r.TimeToAcknowledge())
	}
	f["custom"] = r.CustomJSON()
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
