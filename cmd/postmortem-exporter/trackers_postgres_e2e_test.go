package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestTicketsSameFilesAndPostgres serves one records folder twice: from
// the files, syncing the fake Jira itself, and from PostgreSQL filled by
// `import --trackers.file` from the same Jira. PM-1's item names OPS-1,
// PM-2's names no ticket; both are open and were due ten days ago. After
// each import, both exporters must serve the same series (every incident
// metric; the trackers' own health is the syncing exporter's alone):
//   - OPS-1 in progress: both items overdue, PM-1-1's state from the
//     tracker, PM-2-1's from the record; no drift;
//   - OPS-1 closed: only PM-2-1 overdue, one done item, one tracker_drift
//     finding (record open, ticket done);
//   - the token revoked: the import exits 2 naming the tracker and not
//     showing the token, and imports OPS-1's last known state (closed):
//     the series stay as they were.
//
// Plain SQL sees the ticket and the item's source of state.
func TestTicketsSameFilesAndPostgres(t *testing.T) {
	jira, apiURL := newFakeJiraCloud(t)
	records, trackersFile := writeTrackedIncident(t, apiURL)
	testenv.WriteIncident(t, records, testenv.Incident{ID: "PM-2", Severity: "sev2", Team: "payments", StartedAgo: 30 * 24 * time.Hour, Recover: time.Hour,
		Extra: "status: in_review\naction_items:\n  - id: PM-2-1\n    title: runbook\n    owner: bob\n    due: " +
			time.Now().UTC().Add(-10*24*time.Hour).Format(time.DateOnly) + "\n    status: open\n"})
	pg := testenv.StartPostgres(t)
	environ := map[string]string{"JIRA_TOKEN": jiraToken}
	importTickets := func() (int, string) {
		t.Helper()
		code, stdout, stderr := runCLIEnv(t, environ, "import", "--database.url="+pg.URL, "--trackers.file="+trackersFile, records)
		checkNoPassword(t, "import --trackers.file", stdout+stderr)
		return code, stdout + stderr
	}
	if code, out := importTickets(); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	fromFiles := testenv.StartExporterWith(t, testenv.ExporterOptions{Env: []string{"JIRA_TOKEN=" + jiraToken}, Race: true, Args: []string{
		"--source.dir=" + records, "--trackers.file=" + trackersFile, "--trackers.interval=1s", "--refresh.interval=1h"}})
	fromDB := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true,
		Env: []string{"POSTMORTEM_DATABASE_URL_FILE=" + writeSecret(t, pg.URL)}, Args: []string{"--refresh.interval=1h"}})

	check := func(step string, overdue []string, done, drift float64) {
		t.Helper()
		// The files exporter syncs every second: wait for the ticket's
		// state, then compare with a fresh snapshot of PostgreSQL.
		testenv.Eventually(t, 30*time.Second, func() error {
			return sameOverdue(parseMetrics(t, fromFiles.Scrape(t)), overdue)
		})
		files, db := parseMetrics(t, fromFiles.Scrape(t)), refreshed(t, fromDB)
		for what, f := range map[string]map[string]*dto.MetricFamily{"files": files, "postgres": db} {
			if err := sameOverdue(f, overdue); err != nil {
				t.Errorf("%s: %s: %v", step, what, err)
			}
			if got := sum(f, collectors.MetricActionItems, map[string]string{"status": "done"}); got != done {
				t.Errorf("%s: %s: %v done items, want %v", step, what, got, done)
			}
			if got := sum(f, collectors.MetricQualityFindings, map[string]string{"rule": "tracker_drift"}); got != drift {
				t.Errorf("%s: %s: %v tracker_drift findings, want %v", step, what, got, drift)
			}
		}
		if diff := differences(withoutTrackers(seriesOf(files)), seriesOf(db)); len(diff) > 0 {
			t.Errorf("%s: the files and PostgreSQL disagree on %d series:\n%s", step, len(diff), strings.Join(diff, "\n"))
		}
	}
	check("OPS-1 in progress", []string{"PM-1-1 tracker", "PM-2-1 record"}, 0, 0)

	jira.set("done", false)
	if code, out := importTickets(); code != exitOK || !strings.Contains(out, "tracker_drift: record says open, ticket OPS-1 says done") {
		t.Fatalf("import after OPS-1 closed: exit %d, want 0 and the drift listed\n%s", code, out)
	}
	check("OPS-1 closed", []string{"PM-2-1 record"}, 1, 1)
	var status, source, ticketStatus string
	conn, err := pgx.Connect(context.Background(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), `SELECT a.status, a.state_source, t.status FROM action_items a
		JOIN tracker_tickets t ON t.url = a.url WHERE a.id = 'PM-1-1' AND t.ticket_key = 'OPS-1'`).Scan(&status, &source, &ticketStatus); err != nil {
		t.Fatalf("read PM-1-1 and its ticket in plain SQL: %v", err)
	}
	if status != "done" || source != "tracker" || ticketStatus != "done" {
		t.Errorf("in plain SQL, PM-1-1 is %s from the %s, its ticket %s; want done from the tracker, ticket done", status, source, ticketStatus)
	}

	jira.set("done", true)
	code, out := importTickets()
	if code != exitError || !strings.Contains(out, "tracker "+jiraSite) || !strings.Contains(out, "last known states") {
		t.Errorf("import with the token revoked: exit %d, want %d naming the tracker and the last known states\n%s", code, exitError, out)
	}
	// The files exporter keeps OPS-1's last known state too.
	check("the token revoked: OPS-1's last known state (closed) kept", []string{"PM-2-1 record"}, 1, 1)
}

// sameOverdue checks the overdue series of a scrape: want lists "id
// state_source", sorted.
func sameOverdue(families map[string]*dto.MetricFamily, want []string) error {
	var got []string
	for _, m := range families[collectors.MetricActionItemOverdue].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		got = append(got, labels["id"]+" "+labels[collectors.LabelStateSource])
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("overdue items %q, want %q", got, want)
	}
	return nil
}

// withoutTrackers leaves out the trackers' own series: only the exporter
// that syncs has them.
func withoutTrackers(series map[string]float64) map[string]float64 {
	for k := range series {
		if strings.HasPrefix(k, "postmortem_tracker_") {
			delete(series, k)
		}
	}
	return series
}
