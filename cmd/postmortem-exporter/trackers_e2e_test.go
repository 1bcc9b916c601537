package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// jiraToken is the API token the Jira tests give: it holds the test
// password, which checkNoPassword looks for.
const jiraToken = "jira-" + testPassword

const jiraSite = "https://acme.atlassian.net"

// fakeJiraCloud answers Jira Cloud's search (POST /rest/api/3/search/jql)
// for one issue, OPS-1, whose state the test sets; every request and
// answer is checked against the schema written from Atlassian's
// description (exporter/trackers/jira/testdata, where its address and
// version are cited).
type fakeJiraCloud struct {
	t      *testing.T
	schema *apischema.JSON

	mu       sync.Mutex
	category string // statusCategory.key of OPS-1: new, indeterminate, done
	refuse   bool   // answer 401, quoting the Authorization header back
	// changed is when the state was last set, an hour ago: the time the
	// ticket was resolved, the same in every answer.
	changed time.Time
}

func newFakeJiraCloud(t *testing.T) (*fakeJiraCloud, string) {
	f := &fakeJiraCloud{t: t, schema: apischema.LoadJSON(t, "../../exporter/trackers/jira/testdata/jira.schema.json"), category: "indeterminate", changed: time.Now().UTC().Add(-time.Hour)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeJiraCloud) set(category string, refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.category, f.refuse, f.changed = category, refuse, time.Now().UTC().Add(-time.Hour)
}

func (f *fakeJiraCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	category, refuse, changed := f.category, f.refuse, f.changed
	f.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "bot@acme.com" || p != jiraToken {
		f.t.Errorf("%s %s: not basic auth with the account and its token", r.Method, r.URL.Path)
	}
	if refuse {
		f.answer(w, http.StatusUnauthorized, "errorCollection", map[string]any{
			"errorMessages": []string{"token revoked: " + r.Header.Get("Authorization") + " " + jiraToken}})
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/rest/api/3/search/jql" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		http.NotFound(w, r)
		return
	}
	if err := f.schema.Check("cloudSearchRequest", body); err != nil {
		f.t.Errorf("search request %s: %v", body, err)
	}
	if !strings.Contains(string(body), `key in (OPS-1)`) {
		f.t.Errorf("search request %s does not ask for OPS-1", body)
	}
	status := map[string]any{"name": "In Progress", "statusCategory": map[string]any{"id": 4, "key": category, "name": "In Progress"}}
	var resolution, resolved any
	if category == "done" {
		status = map[string]any{"name": "Done", "statusCategory": map[string]any{"id": 3, "key": "done", "name": "Done"}}
		resolution, resolved = map[string]any{"id": "10000", "name": "Done"}, changed.Format("2006-01-02T15:04:05.000-0700")
	}
	f.answer(w, http.StatusOK, "cloudSearchResults", map[string]any{"isLast": true, "issues": []any{map[string]any{
		"id": "10001", "key": "OPS-1", "self": jiraSite + "/rest/api/3/issue/10001",
		"fields": map[string]any{"status": status, "resolution": resolution, "resolutiondate": resolved,
			"assignee": map[string]any{"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": "erin@acme.com"},
			"duedate":  nil, "updated": changed.Format("2006-01-02T15:04:05.000-0700")},
	}}})
}

func (f *fakeJiraCloud) answer(w http.ResponseWriter, status int, def string, v any) {
	data, _ := json.Marshal(v)
	if err := f.schema.Check(def, data); err != nil {
		f.t.Errorf("the fake's answer %s does not match %s: %v", data, def, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeTrackedIncident writes PM-1, whose one action item (erin's, open,
// due ten days ago: overdue) names OPS-1, and the trackers file of the
// fake Jira; it returns the records folder and the trackers file.
func writeTrackedIncident(t *testing.T, apiURL string) (string, string) {
	t.Helper()
	records := t.TempDir()
	writeTrackedItem(t, records, "PM-1")
	file := filepath.Join(t.TempDir(), "trackers.yaml")
	writeTrackersFile(t, file, apiURL, "token_env: JIRA_TOKEN")
	return records, file
}

// writeTrackedItem writes the record id, whose one action item (erin's,
// open, due ten days ago: overdue) names the ticket OPS-1.
func writeTrackedItem(t *testing.T, dir, id string) {
	t.Helper()
	due := time.Now().UTC().Add(-10 * 24 * time.Hour).Format(time.DateOnly)
	testenv.WriteIncident(t, dir, testenv.Incident{ID: id, Severity: "sev2", Team: "payments", StartedAgo: 30 * 24 * time.Hour, Recover: time.Hour,
		Extra: "status: in_review\naction_items:\n  - id: " + id + "-1\n    title: contract tests\n    owner: erin\n    due: " + due +
			"\n    status: open\n    url: " + jiraSite + "/browse/OPS-1\n"})
}

// writeTrackersFile writes a trackers file of the fake Jira Cloud at
// apiURL, with token, its token_env or token_file line.
func writeTrackersFile(t *testing.T, path, apiURL, token string) {
	t.Helper()
	text := fmt.Sprintf("trackers:\n  - kind: jira\n    url: %s\n    api_url: %s\n    user: bot@acme.com\n    %s\n", jiraSite, apiURL, token)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTrackerClosesOverdueItem serves a record whose item is open and
// overdue, its Jira ticket in progress: the overdue series is there, its
// state from the tracker. The ticket is closed: after the next sync the
// series is gone and the record carries a tracker_drift finding. It is
// reopened: the series is back. The token is then revoked: the tracker is
// down and the last known state is served. The token shows nowhere: logs,
// metrics, report, validate's output.
func TestTrackerClosesOverdueItem(t *testing.T) {
	jira, apiURL := newFakeJiraCloud(t)
	records, trackersFile := writeTrackedIncident(t, apiURL)
	env := []string{"JIRA_TOKEN=" + jiraToken}
	// Built with -race: the sync loop, the refresh and the scrapes share
	// the ticket states.
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Env: env, Race: true, Args: []string{
		"--source.dir=" + records, "--trackers.file=" + trackersFile, "--trackers.interval=1s", "--refresh.interval=1h"}})
	t.Cleanup(func() { checkNoPassword(t, "serve (logs)", e.Output()) })

	overdue := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricActionItemOverdue, map[string]string{"id": "PM-1-1", "state_source": "tracker"})
	}
	drift := func() (float64, bool) {
		// Summed over the teams (payments is the only one) without --metrics.detail.
		return scrapeValue(t, e, collectors.MetricQualityFindings, map[string]string{"rule": record.RuleTrackerDrift})
	}
	up := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricTrackerUp, map[string]string{"tracker": jiraSite})
	}
	waitValue(t, "tracker up", 1, up)
	testenv.Eventually(t, 30*time.Second, func() error {
		if v, ok := overdue(); !ok || v < 9*86400 {
			return fmt.Errorf("overdue series of PM-1-1 from the tracker: %v (present %v), want ~9 days", v, ok)
		}
		return nil
	})

	jira.set("done", false)
	testenv.Eventually(t, 30*time.Second, func() error {
		if _, ok := scrapeValue(t, e, collectors.MetricActionItemOverdue, map[string]string{"id": "PM-1-1"}); ok {
			return fmt.Errorf("PM-1-1 is still overdue after its ticket was closed")
		}
		return nil
	})
	waitValue(t, "tracker_drift findings", 1, drift)
	waitValue(t, "done items", 1, func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricActionItems, map[string]string{"team": "payments", "status": "done"})
	})
	report := testenv.Get(t, "http://"+e.Addr+"/report?format=md")
	if !strings.Contains(report, record.RuleTitle(record.RuleTrackerDrift)) { // the rule in words
		t.Errorf("the report does not list the tracker_drift finding:\n%s", report)
	}
	checkNoPassword(t, "GET /report", report)

	// validate --trackers in the post-mortems' CI: the drift fails it.
	bin := testenv.BuildExporter(t)
	out := runBinary(t, bin, env, "validate", "--trackers", "--trackers.file="+trackersFile, records)
	want := "action_items[0].status: error: tracker_drift: record says open, ticket OPS-1 says done (Done (done), resolution Done)"
	if !strings.Contains(out, want) {
		t.Errorf("validate --trackers does not report the drift %q:\n%s", want, out)
	}
	checkNoPassword(t, "validate --trackers", out)

	jira.set("indeterminate", false)
	testenv.Eventually(t, 30*time.Second, func() error {
		if _, ok := overdue(); !ok {
			return fmt.Errorf("PM-1-1 is not overdue again after its ticket was reopened")
		}
		return nil
	})
	waitValue(t, "tracker_drift findings", 0, drift)

	// A revoked token: the tracker is down, the last state is kept.
	jira.set("done", true)
	waitValue(t, "tracker up", 0, up)
	if _, ok := overdue(); !ok {
		t.Errorf("PM-1-1's last known state (open, overdue) was dropped while the tracker refuses the token")
	}
	if v, _ := scrapeValue(t, e, collectors.MetricTrackerRequests, map[string]string{"tracker": jiraSite, "outcome": "client_error"}); v < 1 {
		t.Errorf("the 401 is not counted as a client_error request: %v", v)
	}
	checkNoPassword(t, "GET /metrics", e.Scrape(t))
	out = runBinary(t, bin, env, "validate", "--trackers", "--trackers.file="+trackersFile, records)
	if !strings.Contains(out, "tracker "+jiraSite) {
		t.Errorf("validate --trackers with a revoked token does not name the tracker:\n%s", out)
	}
	checkNoPassword(t, "validate --trackers (revoked)", out)

	// SIGHUP reloads the trackers file: with the record winning on status,
	// the closed ticket leaves the item overdue, from the record, and the
	// drift is still found; a file that turns bad is refused, naming it.
	jira.set("done", false)
	writeTrackersFile(t, trackersFile, apiURL, "token_env: JIRA_TOKEN\nprecedence:\n  status: record")
	hangup(t, e)
	waitValue(t, "tracker up", 1, up)
	waitValue(t, "tracker_drift findings", 1, drift)
	testenv.Eventually(t, 30*time.Second, func() error {
		if _, ok := scrapeValue(t, e, collectors.MetricActionItemOverdue, map[string]string{"id": "PM-1-1", "state_source": "record"}); !ok {
			return fmt.Errorf("with precedence status: record, PM-1-1 is not overdue from the record")
		}
		return nil
	})
	waitValue(t, "reload successful", 1, func() (float64, bool) { return scrapeValue(t, e, collectors.MetricConfigReloadSuccess, nil) })
	writeTrackersFile(t, trackersFile, apiURL, "token_env: JIRA_TOKEN\n    tokn_file: x")
	hangup(t, e)
	waitValue(t, "reload successful", 0, func() (float64, bool) { return scrapeValue(t, e, collectors.MetricConfigReloadSuccess, nil) })
	if !strings.Contains(e.Output(), trackersFile+": yaml: unmarshal errors") || !strings.Contains(e.Output(), "field tokn_file not found") {
		t.Errorf("the refused reload does not name the trackers file and the field:\n%s", e.Output())
	}
	waitValue(t, "tracker up", 1, up)
}

func hangup(t *testing.T, e *testenv.Exporter) {
	t.Helper()
	if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// TestServeRefusesBadTrackers: serve does not start with a trackers file
// it cannot use, and says why: a token variable that is not set (naming
// the file, line and field), and trackers with PostgreSQL, whose items would silently keep the records'
// states.
func TestServeRefusesBadTrackers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "trackers.yaml")
	writeTrackersFile(t, file, "http://127.0.0.1:1", "token_env: JIRA_TOKEN")
	for _, tc := range []struct {
		name    string
		environ map[string]string
		want    string
	}{
		{"token variable not set", nil, file + ":6: trackers[0].token_env: the variable JIRA_TOKEN is not set or empty"},
		{"with PostgreSQL", map[string]string{"JIRA_TOKEN": jiraToken, "POSTMORTEM_DATABASE_URL": "postgres://u:" + testPassword + "@db.invalid/pm"},
			"serve on PostgreSQL reads no tracker: it serves the ticket states `import --trackers.file` stored with the records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLIEnv(t, tc.environ, "serve", "--web.listen-address=127.0.0.1:0", "--trackers.file="+file)
			if code != exitError || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, exitError, tc.want)
			}
			checkNoPassword(t, tc.name, stderr)
		})
	}
}
