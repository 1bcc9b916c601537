package forumorg_test

import (
	"encoding/csv"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// checkCSV runs `report --format csv` on the organisation's folder and
// compares every row with the record as it was meant: the timestamps,
// written in five forms and offsets, read as the same instants, the
// optional fields left out read as absent, the derived durations, and
// the invalid records left out.
func checkCSV(t *testing.T, s servedOrganisation) {
	cmd := exec.Command(testenv.BuildExporter(t), "report", "--format=csv", "--source.dir="+s.dir,
		"--as-of="+s.want.Settings.AsOf.Format(time.RFC3339Nano))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("report --format csv: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("report --format csv: %d rows: %v", len(rows), err)
	}
	header := rows[0]
	got := map[string]map[string]string{} // kind/id → column → cell
	for _, row := range rows[1:] {
		cells := map[string]string{}
		for i, col := range header {
			cells[col] = row[i]
		}
		got[cells["kind"]+"/"+cells["id"]] = cells
	}
	want := map[string]map[string]string{}
	for _, in := range s.org.Valid() {
		want["incident/"+in.ID] = incidentCells(in)
		for _, it := range in.Items {
			want["action_item/"+it.ID] = itemCells(in, it)
		}
	}
	if len(got) != len(want) {
		t.Errorf("csv: %d rows, want %d (the invalid records left out)", len(got), len(want))
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			t.Errorf("csv: no row %s", key)
			continue
		}
		for col, value := range w {
			if g[col] != value {
				t.Errorf("csv: %s %s = %q, want %q", key, col, g[col], value)
			}
		}
	}
}

// csvTime is how the CSV writes an instant: RFC 3339 in UTC, empty when
// absent.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvSeconds is a duration from started_at, empty when the end is absent.
func csvSeconds(start, end time.Time) string {
	if end.IsZero() {
		return ""
	}
	return strconv.FormatFloat(end.Sub(start).Seconds(), 'f', -1, 64)
}

func incidentCells(in forumorg.Incident) map[string]string {
	impact := forumorg.Impact{}
	if in.Impact != nil {
		impact = *in.Impact
	}
	return map[string]string{
		"customers_affected": strconv.FormatInt(impact.CustomersAffected, 10), "failed_requests": strconv.FormatInt(impact.FailedRequests, 10),
		"data_loss": strconv.FormatBool(impact.DataLoss), "security_incident": strconv.FormatBool(in.Security),
		"title": in.Title, "severity": in.Severity, "team": in.Team, "services": strings.Join(in.Services, ";"),
		"started_at": csvTime(in.Started), "detected_at": csvTime(in.Detected), "mitigated_at": csvTime(in.Mitigated),
		"resolved_at": csvTime(in.Resolved), "published_at": csvTime(in.Published),
		"time_to_detect_seconds":   csvSeconds(in.Started, in.Detected),
		"time_to_mitigate_seconds": csvSeconds(in.Started, in.Mitigated),
		"time_to_recover_seconds":  csvSeconds(in.Started, in.Resolved),
		"origin":                   in.Origin, "resolution": in.Resolution, "detection": in.Detection,
		"related": strings.Join(in.Related, ";"), "status": in.Status,
	}
}

func itemCells(in forumorg.Incident, it forumorg.Item) map[string]string {
	return map[string]string{
		"incident": in.ID, "title": it.Title, "team": in.Team, "owner": it.Owner, "status": it.Status,
		"created_at": csvTime(it.Created), "due": it.Due.Format(time.DateOnly), "closed_at": csvTime(it.Closed),
	}
}
