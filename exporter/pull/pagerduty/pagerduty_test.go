package pagerduty

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apischema"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pulltest"
)

// now is the clock of the tests: after every incident of the fixture.
var now = time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)

func newSource(t *testing.T, base string, mapping pull.SourceMapping) *Source {
	t.Helper()
	s, err := New(Config{API: apiclient.Config{BaseURL: base, MinWait: 10 * time.Millisecond}, Token: token, Mapping: mapping,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pd1001 is PD-1001 of testdata/incidents.json as the source must give it,
// worked out by hand: triggered (created) at 10:00, which is its
// detection and, with a finding, its start; first acknowledged at 10:04
// (the earlier of its two acknowledge_log_entry, listed after the later
// one, on the second page of its log entries); resolved at its resolved_at; P1 is the severity's word; the team
// is the escalation policy's (teams[0]), the service not being in the
// mapping's team map; an integration triggered it: automated, with a
// finding; origin, resolution and status are the honest placeholders,
// each with its finding.
const pd1001 = `
	source_id: PINC1001
	id: PD-1001
	url: https://example.pagerduty.com/incidents/PINC1001
	updated_at: 2026-05-20T11:00:00Z
	acknowledged_at: 2026-05-20T10:04:00Z <- log_entries[acknowledge_log_entry]
	detected_at: 2026-05-20T10:00:00Z <- created_at
	detection: "automated" <- first_trigger_log_entry.agent.type
	origin: "unknown"
	resolution: "other"
	resolved_at: 2026-05-20T10:50:00Z <- resolved_at
	services: [checkout-api] <- service.summary
	severity: "P1" <- priority.name
	started_at: 2026-05-20T10:00:00Z <- created_at
	status: "draft"
	team: "Payments" <- teams[0] (the escalation policy's team)
	title: "Checkout returned 500s" <- title
	custom[escalation_policy]: "Checkout EP"
	custom[priority]: "P1"
	custom[service]: "checkout-api"
	custom[urgency]: "high"
	finding: started_at <- created_at = "2026-05-20T10:00:00Z": not provided by pagerduty: the time it was triggered, until a person sets when the impact began
	finding: resolution <-  = "other": not provided by pagerduty: other until a person says how it was resolved
	finding: detection <- first_trigger_log_entry.agent.type = "integration_reference": derived from how the incident was triggered in pagerduty, until a person confirms it
	finding: origin <-  = "unknown": not provided by pagerduty: unknown until a person sets it
	finding: status <-  = "draft": pagerduty holds no post-mortem: a draft for the team to complete
`

// pd1007 has no trigger log entry (so no detection, and a finding), no
// team (so the service names it), no priority (so the urgency is the
// severity's word).
const pd1007 = `
	source_id: PINC1007
	id: PD-1007
	url: https://example.pagerduty.com/incidents/PINC1007
	updated_at: 2026-05-23T08:00:00Z
	detected_at: 2026-05-23T07:00:00Z <- created_at
	origin: "unknown"
	resolution: "other"
	resolved_at: 2026-05-23T07:40:00Z <- resolved_at
	services: [ci] <- service.summary
	severity: "low" <- urgency
	started_at: 2026-05-23T07:00:00Z <- created_at
	status: "draft"
	team: "ci" <- service.summary
	title: "Disk full on build agents" <- title
	custom[service]: "ci"
	custom[urgency]: "low"
	finding: started_at <- created_at = "2026-05-23T07:00:00Z": not provided by pagerduty: the time it was triggered, until a person sets when the impact began
	finding: resolution <-  = "other": not provided by pagerduty: other until a person says how it was resolved
	finding: detection <- first_trigger_log_entry.agent.type = "": not provided by pagerduty: the trigger's agent is unknown
	finding: origin <-  = "unknown": not provided by pagerduty: unknown until a person sets it
	finding: status <-  = "draft": pagerduty holds no post-mortem: a draft for the team to complete
`

func TestPull(t *testing.T) {
	fake := newFake(t)
	got, next, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), pull.SourceMapping{}), "")
	if err != nil {
		t.Fatal(err)
	}
	// A full pull lists every incident (date_range=all) on pages of 5:
	// offsets 0, 5 and 10, with the teams and trigger entries included.
	const list = "date_range=all&include%5B%5D=teams&include%5B%5D=first_trigger_log_entries&limit=100&offset="
	if want := []string{list + "0&total=false", list + "5&total=false", list + "10&total=false"}; !slices.Equal(fake.Lists, want) {
		t.Errorf("lists asked for:\n%q\nwant\n%q", fake.Lists, want)
	}
	if len(got) != 12 {
		t.Fatalf("%d incidents, want the 12 of the fixture", len(got))
	}
	// Open incidents: PD-1002 (acknowledged, created 2026-05-31T11:00) and
	// PD-1003 (triggered): the next pull starts at the older.
	if next != "2026-05-31T11:00:00Z" {
		t.Errorf("next cursor %q, want 2026-05-31T11:00:00Z", next)
	}
	// Log entries of the 10 incidents acknowledged or resolved and not
	// merged: PD-1001's and PD-1008's five entries take two pages of 3.
	slices.Sort(fake.LogsAsked)
	if want := []string{"PINC1001", "PINC1001", "PINC1002", "PINC1005", "PINC1006", "PINC1007", "PINC1008", "PINC1008", "PINC1009", "PINC1010", "PINC1011", "PINC1012"}; !slices.Equal(fake.LogsAsked, want) {
		t.Errorf("log entries asked for %q, want %q", fake.LogsAsked, want)
	}
	byID := pulltest.ByID(got)
	pulltest.Compare(t, byID["PD-1001"], pd1001)
	pulltest.Compare(t, byID["PD-1007"], pd1007)

	for _, c := range []struct{ id, line string }{
		// Merged into PD-1001: gone, named by its summary.
		{"PD-1004", "gone: merged into [#1001] Checkout returned 500s in pagerduty"},
		// Acknowledged, not resolved: no resolution, no resolved_at; a
		// person triggered it: internal.
		{"PD-1002", `detection: "internal" <- first_trigger_log_entry.agent.type`},
		{"PD-1002", "acknowledged_at: 2026-05-31T11:05:00Z <- log_entries[acknowledge_log_entry]"},
		// Triggered only: no acknowledgement; a service triggered it.
		{"PD-1003", `detection: "automated" <- first_trigger_log_entry.agent.type`},
		// No resolved_at: the resolve log entry's time.
		{"PD-1005", "resolved_at: 2026-05-21T13:30:00Z <- log_entries[resolve_log_entry]"},
		// Neither: the last status change.
		{"PD-1006", "resolved_at: 2026-05-22T09:15:00Z <- last_status_change_at"},
		{"PD-1006", `title: "Ошибка оплаты — 決済エラー ✨" <- title`},
		// The acknowledgement is on the second page of log entries.
		{"PD-1008", "acknowledged_at: 2026-05-24T12:12:00Z <- log_entries[acknowledge_log_entry]"},
		{"PD-1009", `custom[incident_type]: "Security"`},
		{"PD-1010", `title: "" <- title`},
	} {
		if d := pulltest.Describe(byID[c.id]); !strings.Contains(d, c.line) {
			t.Errorf("%s has no line %q:\n%s", c.id, c.line, d)
		}
	}
	for _, id := range []string{"PD-1002", "PD-1003"} {
		if _, ok := byID[id].Fields["resolution"]; ok {
			t.Errorf("%s is not resolved and got a resolution", id)
		}
	}
	if _, ok := byID["PD-1003"].Fields["acknowledged_at"]; ok {
		t.Error("PD-1003 was never acknowledged and got acknowledged_at")
	}
	if title := byID["PD-1005"].Fields["title"]; title != "'; DROP TABLE incidents; --\n<img src=x onerror=alert(1)> {{ .Token }}" {
		t.Errorf("PD-1005 title %q", title)
	}
}

func TestPullIncremental(t *testing.T) {
	fake := newFake(t)
	src := newSource(t, fake.Serve(t), pull.SourceMapping{})
	// Since the oldest open incident's creation, until now: PD-1002 and
	// PD-1003; PD-1002 is still open, the cursor stays at it.
	got, next, err := pulltest.Collect(context.Background(), src, "2026-05-31T11:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if want := "include%5B%5D=teams&include%5B%5D=first_trigger_log_entries&limit=100&offset=0&since=2026-05-31T11%3A00%3A00Z&total=false&until=2026-06-02T00%3A00%3A00Z"; len(fake.Lists) != 1 || fake.Lists[0] != want {
		t.Errorf("lists asked for %q, want %q", fake.Lists, want)
	}
	if len(got) != 2 || got[0].ID != "PD-1002" || got[1].ID != "PD-1003" || next != "2026-05-31T11:00:00Z" {
		t.Errorf("pulled %d incidents, cursor %q; want PD-1002 and PD-1003, 2026-05-31T11:00:00Z", len(got), next)
	}

	// A cursor older than the API's six-month range lists everything.
	fake.Lists = nil
	if got, _, err = pulltest.Collect(context.Background(), src, "2025-06-01T00:00:00Z"); err != nil || len(got) != 12 {
		t.Fatalf("pull from an old cursor: %d incidents, error %v", len(got), err)
	}
	if !strings.HasPrefix(fake.Lists[0], "date_range=all&") {
		t.Errorf("pull from an old cursor asked %q", fake.Lists[0])
	}

	if _, _, err := pulltest.Collect(context.Background(), src, "last week"); err == nil || !strings.Contains(err.Error(), `cursor "last week"`) {
		t.Errorf("a cursor that is no time: error %v", err)
	}
}

// TestTeamFromServiceMap: a service named in the mapping file's team map
// gives the team (mapped later by the pull), before the escalation
// policy's team.
func TestTeamFromServiceMap(t *testing.T) {
	m, err := pull.ParseMapping([]byte("pagerduty:\n  team:\n    Checkout-API: payments\n"))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(t)
	got, _, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), m.For(Name)), "")
	if err != nil {
		t.Fatal(err)
	}
	byID := pulltest.ByID(got)
	if d := pulltest.Describe(byID["PD-1001"]); !strings.Contains(d, `team: "checkout-api" <- service.summary`) {
		t.Errorf("PD-1001:\n%s", d)
	}
	// A service not in the map: the escalation policy's team still.
	if d := pulltest.Describe(byID["PD-1008"]); !strings.Contains(d, `team: "Infrastructure" <- teams[0] (the escalation policy's team)`) {
		t.Errorf("PD-1008:\n%s", d)
	}
}

func TestFaults(t *testing.T) {
	serve := func(t *testing.T, fault func(http.ResponseWriter, *http.Request, int) bool) string {
		fake := newFake(t)
		fake.Fault = fault
		return fake.Serve(t)
	}
	pulltest.RunFaults(t, unauthorized, token, serve, func(api apiclient.Config) (pull.Source, error) {
		return New(Config{API: api, Token: token})
	}, 12)
}

// TestPaginationThatDoesNotAdvance: an empty page that says there are
// more ends the pull with an error instead of asking for it for ever.
func TestPaginationThatDoesNotAdvance(t *testing.T) {
	fake := newFake(t)
	fake.Hollow = true
	_, next, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), pull.SourceMapping{}), "")
	if err == nil || !strings.Contains(err.Error(), "is empty and says there are more") || next != "" {
		t.Errorf("error %v, cursor %q", err, next)
	}
}

func TestTokenRequired(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "pagerduty: no API token") {
		t.Errorf("error %v", err)
	}
}

// TestSchemaRefusesDrift: the schema the fixtures and requests are
// checked against refuses what PagerDuty's description refuses.
func TestSchemaRefusesDrift(t *testing.T) {
	schema := apischema.LoadJSON(t, "testdata/pagerduty.schema.json")
	const good = `{"id":"P1","type":"incident","incident_number":1,"title":"t","created_at":"2026-05-01T10:00:00Z","status":"resolved","urgency":"high"}`
	if err := schema.Check("Incident", []byte(good)); err != nil {
		t.Fatalf("a documented incident refused: %v", err)
	}
	for name, c := range map[string]struct{ def, doc string }{
		"unknown status":           {"Incident", strings.Replace(good, `"resolved"`, `"closed"`, 1)},
		"unknown urgency":          {"Incident", strings.Replace(good, `"high"`, `"medium"`, 1)},
		"a field the API lacks":    {"Incident", strings.Replace(good, `"title":"t"`, `"title":"t","severity":"sev1"`, 1)},
		"no incident number":       {"Incident", strings.Replace(good, `"incident_number":1,`, ``, 1)},
		"unknown log entry type":   {"LogEntry", `{"id":"R","type":"ack_log_entry","created_at":"2026-05-01T10:00:00Z"}`},
		"a limit beyond 100":       {"ListIncidentsQuery", `{"limit":["101"],"offset":["0"]}`},
		"since without until":      {"ListIncidentsQuery", `{"limit":["100"],"offset":["0"],"since":["2026-05-01T10:00:00Z"]}`},
		"date_range beside since":  {"ListIncidentsQuery", `{"limit":["100"],"offset":["0"],"date_range":["all"],"since":["2026-05-01T10:00:00Z"],"until":["2026-05-02T10:00:00Z"]}`},
		"an include the API lacks": {"ListIncidentsQuery", `{"limit":["100"],"offset":["0"],"include[]":["log_entries"]}`},
	} {
		if err := schema.Check(c.def, []byte(c.doc)); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

// TestPullIntoFolder: the pull writes one record per incident not merged
// away (11 of 12), as the drafts docs/pull.md describes, and a second pull
// from its cursor changes no byte.
func TestPullIntoFolder(t *testing.T) {
	m, err := pull.ParseMapping([]byte("pagerduty:\n  severity: {P1: sev1, P2: sev2, P3: sev3, high: sev2, low: sev4}\n"))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(t)
	dir, sum := pulltest.Stable(t, newSource(t, fake.Serve(t), m.For(Name)), m.For(Name))
	if sum.Incidents != 12 || sum.Written != 11 || sum.Skipped != 0 {
		t.Errorf("first pull: %s; want 12 incidents, 11 written", sum)
	}
	data, err := os.ReadFile(filepath.Join(dir, "PD-1007.md"))
	if err != nil {
		t.Fatal(err)
	}
	// No priority: the urgency "low" is sev4 by the mapping.
	for _, want := range []string{"severity: sev4\n", "origin: unknown\n", "resolution: other\n", "status: draft\n", "team: ci\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("PD-1007.md lacks %q:\n%s", want, data)
		}
	}
}

// TestLogEntriesFault: log entries that cannot be read fail the whole
// pull, naming the incident, and give no cursor.
func TestLogEntriesFault(t *testing.T) {
	fake := newFake(t)
	fake.Fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Path != "/incidents/PINC1008/log_entries" {
			return false
		}
		w.WriteHeader(http.StatusNotFound)
		return true
	}
	got, next, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), pull.SourceMapping{}), "")
	if err == nil || !strings.Contains(err.Error(), "log entries of incident 1008") || !strings.Contains(err.Error(), "404") || next != "" {
		t.Errorf("error %v, cursor %q", err, next)
	}
	for _, inc := range got {
		if inc.ID == "PD-1008" {
			t.Error("PD-1008 was emitted without its log entries")
		}
	}
}
