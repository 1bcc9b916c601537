package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// recordsOf hands the records to WriteCSV.
func recordsOf(records []record.Checked) Records {
	return func(_ context.Context, fn func(record.Checked) error) error {
		for _, r := range records {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
}

// readCSV parses the CSV back into rows keyed by column name.
func readCSV(t *testing.T, data []byte) []map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("header: %v", rows)
	}
	var out []map[string]string
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, name := range rows[0] {
			m[name] = row[i]
		}
		out = append(out, m)
	}
	return out
}

// TestCSVRoundTrip writes the examples and reads them back: every record
// and every action item is one row, holding its fields.
func TestCSVRoundTrip(t *testing.T) {
	// Read as `report --format csv` reads files: its findings counted.
	src := &files.Source{FS: examples.Postmortems(), Dir: examples.Dir, Limits: record.DefaultLimits()}
	_, res, err := src.Check(context.Background(), time.Now(), record.Config{Taxonomy: record.DefaultTaxonomy()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 || len(res.Valid) < 15 {
		t.Fatalf("examples: %d valid, problems %v", len(res.Valid), res.Problems)
	}
	var b bytes.Buffer
	n, err := WriteCSV(context.Background(), &b, recordsOf(res.ValidChecked()))
	if err != nil || n != len(res.Valid) {
		t.Fatalf("WriteCSV: %d records, %v", n, err)
	}
	rows := readCSV(t, b.Bytes())
	byKey := map[string]map[string]string{}
	for _, row := range rows {
		key := row["kind"] + " " + row["id"]
		if byKey[key] != nil {
			t.Errorf("%s is in the CSV twice", key)
		}
		byKey[key] = row
	}
	items, withFindings := 0, 0
	for _, r := range res.Valid {
		row := byKey[KindIncident+" "+r.ID]
		if row == nil {
			t.Errorf("incident %s is not in the CSV", r.ID)
			continue
		}
		want := map[string]string{
			"title": r.Title, "severity": r.Severity, "team": r.Team, "url": r.URL, "origin": r.Origin,
			"resolution": r.Resolution, "detection": r.Detection, "status": r.Status, "source": r.Path,
			"services": strings.Join(r.Services, ";"), "related": strings.Join(r.Related, ";"),
			"moderator": r.Moderator, "bar_raiser": r.BarRaiser, "learnings": strings.Join(r.Learnings, "\n"),
		}
		if sr := r.SecurityReview; sr != nil {
			want["security_review_by"], want["security_review_outcome"] = sr.By, sr.Outcome
		}
		var rules []string
		for _, f := range res.Verdict(r).Findings {
			rules = append(rules, f.Rule)
		}
		slices.Sort(rules)
		want["findings"] = strings.Join(rules, ";")
		withFindings += min(1, len(rules))
		for field, v := range want {
			if row[field] != v {
				t.Errorf("incident %s %s = %q, want %q", r.ID, field, row[field], v)
			}
		}
		for field, v := range map[string]time.Time{"started_at": r.StartedAt, "detected_at": r.DetectedAt,
			"mitigated_at": r.MitigatedAt, "resolved_at": r.ResolvedAt, "published_at": r.PublishedAt} {
			if got := parseInstant(t, row[field]); !got.Equal(v) {
				t.Errorf("incident %s %s = %q, want %v", r.ID, field, row[field], v)
			}
		}
		if got, want := row["time_to_detect_seconds"], r.DetectedAt.Sub(r.StartedAt).Seconds(); got != seconds(want) {
			t.Errorf("incident %s time_to_detect_seconds = %s, want %v", r.ID, got, want)
		}
		for _, a := range r.ActionItems {
			items++
			row := byKey[KindActionItem+" "+a.ID]
			if row == nil {
				t.Errorf("action item %s is not in the CSV", a.ID)
				continue
			}
			want := map[string]string{"incident": r.ID, "title": a.Title, "owner": a.Owner, "team": a.Team,
				"status": a.Status, "exception": a.Exception, "exception_approver": a.ExceptionApprover, "url": a.URL,
				"due": a.Due.Format("2006-01-02")}
			for field, v := range want {
				if row[field] != v {
					t.Errorf("item %s %s = %q, want %q", a.ID, field, row[field], v)
				}
			}
			if !parseInstant(t, row["created_at"]).Equal(a.CreatedAt) || !parseInstant(t, row["closed_at"]).Equal(a.ClosedAt) {
				t.Errorf("item %s created_at %q closed_at %q, want %v %v", a.ID, row["created_at"], row["closed_at"], a.CreatedAt, a.ClosedAt)
			}
		}
	}
	if len(rows) != len(res.Valid)+items {
		t.Errorf("%d rows, want %d incidents and %d items", len(rows), len(res.Valid), items)
	}
	if withFindings == 0 {
		t.Error("the examples should have findings to compare")
	}
}

// TestCSVAwkwardFields: commas, quotes and line breaks survive; a cell a
// spreadsheet would run as a formula gets a leading apostrophe.
func TestCSVAwkwardFields(t *testing.T) {
	r := hostile()
	r.Title = "Checkout \"failed\", then\nrecovered, twice"
	r.ActionItems[0].Exception = "approved by \"cto\", see\r\nthread"
	r.ActionItems[0].Title = "=HYPERLINK(\"http://evil\")"
	r.SecurityReview = &record.SecurityReview{By: "dana, CISO", Outcome: "no data \"left\",\nrotated", Date: time.Date(2026, 5, 21, 0, 0, 0, 0, time.UTC)}
	r.Learnings = []string{"retries need idempotency keys", "canaries, always"}
	var b bytes.Buffer
	if _, err := WriteCSV(context.Background(), &b, recordsOf([]record.Checked{{Record: r}})); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	if len(rows) != 2 {
		t.Fatalf("%d rows, want the incident and its item", len(rows))
	}
	if rows[0]["title"] != r.Title {
		t.Errorf("title = %q, want %q", rows[0]["title"], r.Title)
	}
	// encoding/csv reads a quoted \r\n as \n, as spreadsheets do.
	if want := "approved by \"cto\", see\nthread"; rows[1]["exception"] != want {
		t.Errorf("exception = %q, want %q", rows[1]["exception"], want)
	}
	for field, want := range map[string]string{"security_review_by": "dana, CISO", "security_review_outcome": "no data \"left\",\nrotated",
		"security_review_date": "2026-05-21T00:00:00Z", "learnings": "retries need idempotency keys\ncanaries, always"} {
		if rows[0][field] != want {
			t.Errorf("%s = %q, want %q", field, rows[0][field], want)
		}
	}
	if want := "'" + r.ActionItems[0].Title; rows[1]["title"] != want {
		t.Errorf("formula title = %q, want %q", rows[1]["title"], want)
	}
}

func parseInstant(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("instant %q: %v", s, err)
	}
	return v
}

// spreadsheetRows reads data as a spreadsheet does whose import splits on
// the comma, the semicolon and the tab at once (LibreOffice's "Separated
// by" with all three ticked; Excel opening a .csv in a locale whose list
// separator is the semicolon splits on it alone): outside quotes each of
// them ends a cell and a line feed ends a row; "" inside quotes is a quote.
func spreadsheetRows(data string) [][]string {
	var rows [][]string
	var row []string
	var cell strings.Builder
	quoted := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case quoted && c == '"' && i+1 < len(data) && data[i+1] == '"':
			cell.WriteByte('"')
			i++
		case c == '"' && (quoted || cell.Len() == 0):
			quoted = !quoted
		case !quoted && strings.IndexByte(",;\t", c) >= 0:
			row = append(row, cell.String())
			cell.Reset()
		case !quoted && c == '\n':
			rows = append(rows, append(row, cell.String()))
			row = nil
			cell.Reset()
		default:
			cell.WriteByte(c)
		}
	}
	return rows
}

// TestCSVSpreadsheetSeparators: a spreadsheet that splits on semicolons
// and tabs as well as commas still reads every row as the header's
// columns, with each cell whole, and a formula hidden after a semicolon
// does not become a cell of its own (without quoting, "ok;=1+2" would be
// read as the cells "ok" and "=1+2", which the spreadsheet computes).
func TestCSVSpreadsheetSeparators(t *testing.T) {
	r := hostile()
	r.Title = "Checkout; then search\tdown"
	r.Services = []string{"checkout", "search"} // joined as "checkout;search"
	r.Moderator = "ok;=1+2"
	r.ActionItems[0].Title = "retry;@SUM(A1)"
	var b bytes.Buffer
	if _, err := WriteCSV(context.Background(), &b, recordsOf([]record.Checked{{Record: r}})); err != nil {
		t.Fatal(err)
	}
	rows := spreadsheetRows(b.String())
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the header, the incident and its item:\n%s", len(rows), b.String())
	}
	for i, row := range rows {
		if len(row) != len(csvHeader) {
			t.Fatalf("row %d has %d cells, want %d: %q", i, len(row), len(csvHeader), row)
		}
	}
	cell := func(row int, column string) string { return rows[row][slices.Index(csvHeader, column)] }
	for _, c := range []struct {
		row          int
		column, want string
	}{
		{1, "title", r.Title},
		{1, "services", "checkout;search"},
		{1, "moderator", "ok;=1+2"},
		{2, "title", "retry;@SUM(A1)"},
	} {
		if got := cell(c.row, c.column); got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.column, got, c.want)
		}
	}
}

// TestCSVAcknowledgeAndCustom: the time to acknowledge is acknowledged_at
// − started_at (14:12 − 14:02 = 600 s), empty without acknowledged_at; the
// custom fields are one JSON object with sorted keys, a number written as
// a number and a formula-like string kept inside the JSON text.
func TestCSVAcknowledgeAndCustom(t *testing.T) {
	started := time.Date(2026, 5, 20, 14, 2, 0, 0, time.UTC)
	acked := &record.Record{ID: "PM-1", Title: "t", Severity: "sev2", Team: "payments", StartedAt: started,
		DetectedAt: started.Add(7 * time.Minute), AcknowledgedAt: started.Add(10 * time.Minute),
		Custom: map[string]any{"Root cause type": "Deploy", "cost": json.Number("1.5"), "formula": "=1+1", "paged": true}}
	plain := &record.Record{ID: "PM-2", Title: "t", Severity: "sev3", Team: "search", StartedAt: started, DetectedAt: started}
	var b bytes.Buffer
	if _, err := WriteCSV(context.Background(), &b, recordsOf([]record.Checked{{Record: acked}, {Record: plain}})); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b.Bytes())
	if got := rows[0]; got["acknowledged_at"] != "2026-05-20T14:12:00Z" || got["time_to_acknowledge_seconds"] != "600" ||
		got["custom"] != `{"Root cause type":"Deploy","cost":1.5,"formula":"=1+1","paged":true}` {
		t.Errorf("acknowledged record: %q, %q, %q", got["acknowledged_at"], got["time_to_acknowledge_seconds"], got["custom"])
	}
	if got := rows[1]; got["acknowledged_at"] != "" || got["time_to_acknowledge_seconds"] != "" || got["custom"] != "" {
		t.Errorf("record without them: %q, %q, %q", got["acknowledged_at"], got["time_to_acknowledge_seconds"], got["custom"])
	}
}
