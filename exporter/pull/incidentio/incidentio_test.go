package incidentio

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

func newSource(t *testing.T, base string, pageSize int, mapping pull.SourceMapping) *Source {
	t.Helper()
	s, err := New(Config{API: apiclient.Config{BaseURL: base, MinWait: 10 * time.Millisecond}, Token: token, PageSize: pageSize, Mapping: mapping})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inc101 is INC-101 of testdata/incidents.json as the source must give it,
// worked out by hand: every timestamp by incident.io's own name ("Reported"
// is the detection, "Accepted" the acknowledgement, "Fixed" the mitigation,
// "Closed" the publication), the custom field "Team" fills team by its
// name, the others and the roles with an assignee stay custom (by e-mail),
// the deleted follow-up is left out.
const inc101 = `
	source_id: 01INC0101
	id: INC-101
	url: https://app.incident.io/example/incidents/101
	updated_at: 2026-05-24T10:00:00Z
	acknowledged_at: 2026-05-20T14:12:00Z <- incident_timestamp_values[Accepted]
	detected_at: 2026-05-20T14:09:00Z <- incident_timestamp_values[Reported]
	mitigated_at: 2026-05-20T14:31:00Z <- incident_timestamp_values[Fixed]
	published_at: 2026-05-24T10:00:00Z <- incident_timestamp_values[Closed]
	resolved_at: 2026-05-20T15:10:00Z <- incident_timestamp_values[Resolved]
	severity: "Critical" <- severity.name
	started_at: 2026-05-20T14:02:00Z <- incident_timestamp_values[Impact started]
	status: "closed" <- incident_status.category
	team: "Payments" <- custom_field_entries[Team]
	title: "Checkout returned 500s after the payment SDK upgrade" <- name
	custom[Affected services]: "checkout-api, payments-db"
	custom[Customers affected]: "1200"
	custom[Incident Lead]: "alice@example.com"
	custom[Incident type]: "Default"
	custom[Post-mortem document]: "https://docs.example.com/pm/INC-101"
	custom[Reporter]: "bob@example.com"
	custom[Root cause type]: "Bad deploy"
	item 0: source_id: 01FU0001
	item 0: closed_at: 2026-06-02T09:00:00Z
	item 0: created_at: 2026-05-24T10:00:00Z
	item 0: owner: "alice@example.com" <- follow_ups.assignee
	item 0: status: "completed" <- follow_ups.status
	item 0: title: "Contract tests for the payment SDK" <- follow_ups.title
	item 0: url: "https://example.atlassian.net/browse/PAY-42"
	item 1: source_id: 01FU0002
	item 1: created_at: 2026-05-24T10:00:00Z
	item 1: owner: "bob@example.com" <- follow_ups.assignee
	item 1: status: "outstanding" <- follow_ups.status
	item 1: title: "Canary the SDK upgrades" <- follow_ups.title
	narrative: "## Summary\n\nCheckout failed for **all** customers for 61 minutes.\n"
`

// inc103: times given at +02:00 are the same instants in UTC; the
// "Accepted" timestamp without a value gives no acknowledgement; a lead
// with no e-mail is kept by name; a follow-up not done keeps its
// completion time as closed_at.
const inc103 = `
	source_id: 01INC0103
	id: INC-103
	url: https://app.incident.io/example/incidents/103
	updated_at: 2026-05-23T12:00:00Z
	detected_at: 2026-05-22T09:00:00Z <- incident_timestamp_values[Reported]
	published_at: 2026-05-25T09:00:00Z <- incident_timestamp_values[Closed]
	resolved_at: 2026-05-22T11:00:00Z <- incident_timestamp_values[Resolved]
	severity: "Major" <- severity.name
	started_at: 2026-05-22T08:40:00Z <- incident_timestamp_values[Impact started]
	status: "closed" <- incident_status.category
	team: "Zahlungen-Team" <- custom_field_entries[Team]
	title: "Zahlungsausfall für Kunden in Köln – 支付失败 🚨" <- name
	custom[Customer impact]: "Kunden in Köln konnten nicht zahlen — 顧客"
	custom[Incident Lead]: "Zoë Ångström"
	item 0: source_id: 01FU0005
	item 0: closed_at: 2026-05-28T10:00:00Z
	item 0: created_at: 2026-05-24T10:00:00Z
	item 0: status: "not_doing" <- follow_ups.status
	item 0: title: "Köln-Region: Failover üben" <- follow_ups.title
`

// inc109 has no timestamp at all: detected when it was created, and
// started then too, with a finding until a person says when.
const inc109 = `
	source_id: 01INC0109
	id: INC-109
	url: https://app.incident.io/example/incidents/109
	updated_at: 2026-05-27T16:30:00Z
	detected_at: 2026-05-27T16:00:00Z <- created_at
	severity: "Minor" <- severity.name
	started_at: 2026-05-27T16:00:00Z
	status: "live" <- incident_status.category
	title: "Search results empty for some users" <- name
	finding: started_at <- incident_timestamp_values[Impact started] = "": not set in incidentio: the time it was reported or detected, until a person sets when the impact began
`

func TestPull(t *testing.T) {
	fake := newFake(t)
	src := newSource(t, fake.Serve(t), 5, pull.SourceMapping{})
	got, next, err := pulltest.Collect(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	// 16 incidents on pages of 5: 5, 5, 5 and 1, each page asked for
	// after the last incident of the one before.
	if want := []string{"page_size=5", "after=01INC0105&page_size=5", "after=01INC0110&page_size=5", "after=01INC0115&page_size=5"}; !slices.Equal(fake.Pages, want) {
		t.Errorf("pages asked for: %q, want %q", fake.Pages, want)
	}
	if len(got) != 16 {
		t.Fatalf("%d incidents, want the 16 of the fixture", len(got))
	}
	// The latest updated_at of the fixture is INC-116's.
	if next != "2026-06-01T15:00:00Z" {
		t.Errorf("next cursor %q, want 2026-06-01T15:00:00Z", next)
	}
	byID := pulltest.ByID(got)
	pulltest.Compare(t, byID["INC-101"], inc101)
	pulltest.Compare(t, byID["INC-103"], inc103)
	pulltest.Compare(t, byID["INC-109"], inc109)

	for id, want := range map[string]string{"INC-104": "test incident", "INC-105": "tutorial incident", "INC-106": "in triage, not accepted yet"} {
		if byID[id].Skipped != want {
			t.Errorf("%s skipped %q, want %q", id, byID[id].Skipped, want)
		}
	}
	for id, want := range map[string]string{"INC-107": "declined in incident.io", "INC-108": "merged into another incident in incident.io"} {
		if byID[id].Gone != want {
			t.Errorf("%s gone %q, want %q", id, byID[id].Gone, want)
		}
	}
	// Follow-ups are asked for the 11 incidents neither skipped nor gone.
	if len(fake.Ups) != 11 || slices.Contains(fake.Ups, "01INC0104") || slices.Contains(fake.Ups, "01INC0107") {
		t.Errorf("follow-ups asked for %q, want the 11 incidents pulled", fake.Ups)
	}

	// A hostile title reaches the pull as it was written (the writer puts
	// it on one line and YAML quotes it); a blank one stays blank, for
	// validate to report.
	if title := byID["INC-102"].Fields["title"]; title != "<script>alert('x')</script>\n---\nseverity: sev4\n\"quoted\" & ${HOME} `rm -rf /`" {
		t.Errorf("INC-102 title %q", title)
	}
	if _, ok := byID["INC-102"].Fields["severity"]; ok {
		t.Error("INC-102 has no severity in incident.io, and got one")
	}
	// A retrospective incident is pulled; an empty custom field is left
	// out; a catalog entry and a link are kept by their text.
	inc110 := byID["INC-110"]
	if inc110.Skipped != "" || inc110.Custom["Affected services"] != "mailer" || inc110.Custom["Runbook"] != "https://runbooks.example.com/queues" {
		t.Errorf("INC-110: %s", pulltest.Describe(inc110))
	}
	if _, ok := inc110.Custom["Empty text"]; ok {
		t.Error("INC-110: the custom field without a value was kept")
	}
	// "Identified at" is not detection in incident.io's sense (the cause
	// was identified): it is kept as a custom field; "Mitigated at" is a
	// record field by its name.
	inc111 := byID["INC-111"]
	if inc111.Custom["Identified at"] != "2026-05-28T03:40:00Z" || inc111.SourceFields["mitigated_at"] != "incident_timestamp_values[Mitigated at]" {
		t.Errorf("INC-111: %s", pulltest.Describe(inc111))
	}
}

func TestPullIncremental(t *testing.T) {
	fake := newFake(t)
	src := newSource(t, fake.Serve(t), 100, pull.SourceMapping{})
	// incident.io filters updated_at by day: the fixture has INC-114 (07:00),
	// INC-115 (12:00) and INC-116 (15:00) updated on 2026-06-01; INC-114 did
	// not change since the cursor (10:00) and is left out.
	got, next, err := pulltest.Collect(context.Background(), src, "2026-06-01T10:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"page_size=100&updated_at%5Bgte%5D=2026-06-01"}; !slices.Equal(fake.Pages, want) {
		t.Errorf("pages asked for: %q, want %q", fake.Pages, want)
	}
	var ids []string
	for _, inc := range got {
		ids = append(ids, inc.ID)
	}
	if !slices.Equal(ids, []string{"INC-115", "INC-116"}) {
		t.Errorf("pulled %q, want INC-115 and INC-116", ids)
	}
	if next != "2026-06-01T15:00:00Z" {
		t.Errorf("next cursor %q", next)
	}
	slices.Sort(fake.Ups) // asked for at once
	if !slices.Equal(fake.Ups, []string{"01INC0115", "01INC0116"}) {
		t.Errorf("follow-ups asked for %q", fake.Ups)
	}

	// Nothing changed since: the cursor stays.
	got, next, err = pulltest.Collect(context.Background(), src, "2026-06-02T08:00:00Z")
	if err != nil || len(got) != 0 || next != "2026-06-02T08:00:00Z" {
		t.Errorf("pull after the last change: %d incidents, cursor %q, error %v; want none, the same cursor, no error", len(got), next, err)
	}

	if _, _, err := pulltest.Collect(context.Background(), src, "yesterday"); err == nil || !strings.Contains(err.Error(), `cursor "yesterday"`) {
		t.Errorf("a cursor that is no time: error %v", err)
	}
}

// TestMappingFields: the mapping file's fields put custom fields, roles
// and timestamps in the record fields they name.
func TestMappingFields(t *testing.T) {
	m, err := pull.ParseMapping([]byte(`
incidentio:
  fields:
    Root cause type: origin
    Affected services: services
    Incident lead: moderator
    Identified: detected_at
    Customers affected: custom.customers_affected
`))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(t)
	got, _, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), 100, m.For(Name)), "")
	if err != nil {
		t.Fatal(err)
	}
	byID := pulltest.ByID(got)
	inc101 := byID["INC-101"]
	for field, want := range map[string]string{
		"origin":    `"Bad deploy" <- custom_field_entries[Root cause type]`,
		"services":  `[checkout-api payments-db] <- custom_field_entries[Affected services]`,
		"moderator": `"alice@example.com" <- incident_role_assignments[Incident Lead]`,
	} {
		if line := field + ": " + want; !strings.Contains(pulltest.Describe(inc101), line) {
			t.Errorf("INC-101 has no line %q:\n%s", line, pulltest.Describe(inc101))
		}
	}
	if inc101.Custom["customers_affected"] != "1200" || inc101.Custom["Root cause type"] != "" {
		t.Errorf("INC-101 custom: %q", inc101.Custom)
	}
	// INC-111: detected when identified (03:40), started at the earlier
	// report (03:00) with a finding.
	inc111 := pulltest.Describe(byID["INC-111"])
	for _, line := range []string{
		"detected_at: 2026-05-28T03:40:00Z <- incident_timestamp_values[Identified at]",
		"started_at: 2026-05-28T03:00:00Z",
		"finding: started_at <- incident_timestamp_values[Impact started]",
	} {
		if !strings.Contains(inc111, line) {
			t.Errorf("INC-111 has no line %q:\n%s", line, inc111)
		}
	}
}

func TestFaults(t *testing.T) {
	serve := func(t *testing.T, fault func(http.ResponseWriter, *http.Request, int) bool) string {
		fake := newFake(t)
		fake.Fault = fault
		return fake.Serve(t)
	}
	pulltest.RunFaults(t, unauthorized, token, serve, func(api apiclient.Config) (pull.Source, error) {
		return New(Config{API: api, Token: token, PageSize: 5})
	}, 16)
}

// TestPaginationThatDoesNotAdvance: a next page that names itself ends
// the pull with an error instead of asking for it for ever.
func TestPaginationThatDoesNotAdvance(t *testing.T) {
	fake := newFake(t)
	fake.Stuck = true
	_, next, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), 5, pull.SourceMapping{}), "")
	if err == nil || !strings.Contains(err.Error(), "names itself as the next one") || next != "" {
		t.Errorf("error %v, cursor %q", err, next)
	}
}

func TestTokenRequired(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "incidentio: no API token") {
		t.Errorf("error %v", err)
	}
	if _, err := New(Config{Token: token, API: apiclient.Config{BaseURL: "https://user:pw@api.incident.io"}}); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("a base URL with credentials: error %v", err)
	}
}

// An emit error ends the pull with it.
func TestEmitError(t *testing.T) {
	fake := newFake(t)
	stop := http.ErrAbortHandler
	_, err := newSource(t, fake.Serve(t), 5, pull.SourceMapping{}).Pull(context.Background(), "", func(pull.Incident) error { return stop })
	if err != stop {
		t.Errorf("error %v, want the emit's", err)
	}
}

// TestSchemaRefusesDrift: the schema the fixtures are checked against
// refuses what incident.io's description refuses, so a fixture that
// drifts from the documented API fails the tests.
func TestSchemaRefusesDrift(t *testing.T) {
	schema := apischema.LoadJSON(t, "testdata/incidentio.schema.json")
	const good = `{"id":"01X","reference":"INC-1","name":"n","mode":"standard","incident_status":{"id":"s","name":"Closed","category":"closed"},
		"created_at":"2026-05-01T10:00:00Z","updated_at":"2026-05-01T10:00:00Z","incident_role_assignments":[],"custom_field_entries":[]}`
	if err := schema.Check("IncidentV2", []byte(good)); err != nil {
		t.Fatalf("a documented incident refused: %v", err)
	}
	for name, c := range map[string]struct{ def, doc string }{
		"unknown mode":             {"IncidentV2", strings.Replace(good, `"standard"`, `"live"`, 1)},
		"unknown status category":  {"IncidentV2", strings.Replace(good, `"closed"}`, `"done"}`, 1)},
		"a field the API lacks":    {"IncidentV2", strings.Replace(good, `"name":"n"`, `"name":"n","severity_name":"Critical"`, 1)},
		"a time that is no time":   {"IncidentV2", strings.Replace(good, `"created_at":"2026-05-01T10:00:00Z"`, `"created_at":"yesterday"`, 1)},
		"no updated_at":            {"IncidentV2", strings.Replace(good, `"updated_at":"2026-05-01T10:00:00Z",`, ``, 1)},
		"unknown follow-up status": {"FollowUpV2", `{"id":"f","incident_id":"i","title":"t","status":"done","created_at":"2026-05-01T10:00:00Z","updated_at":"2026-05-01T10:00:00Z"}`},
		"an unknown query filter":  {"ListIncidentsQuery", `{"page_size":["25"],"updated_at[gt]":["2026-05-01"]}`},
		"a filter that is no date": {"ListIncidentsQuery", `{"updated_at[gte]":["last week"]}`},
		"a page beyond 250":        {"ListIncidentsQuery", `{"page_size":["251"]}`},
	} {
		if err := schema.Check(c.def, []byte(c.doc)); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
}

// TestPullIntoFolder: the pull writes one record per incident neither
// skipped nor gone (11 of 16), and a second pull from its cursor changes
// no byte.
func TestPullIntoFolder(t *testing.T) {
	m, err := pull.ParseMapping([]byte(`
incidentio:
  severity: {Critical: sev1, Major: sev2, Minor: sev3}
  status: {closed: published, learning: in_review, live: draft, paused: draft}
`))
	if err != nil {
		t.Fatal(err)
	}
	fake := newFake(t)
	dir, sum := pulltest.Stable(t, newSource(t, fake.Serve(t), 5, m.For(Name)), m.For(Name))
	if sum.Incidents != 16 || sum.Written != 11 || sum.Skipped != 3 {
		t.Errorf("first pull: %s; want 16 incidents, 11 written, 3 skipped", sum)
	}
	data, err := os.ReadFile(filepath.Join(dir, "INC-101.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The completed follow-up is done, the outstanding one open.
	for _, want := range []string{"severity: sev1\n", "status: published\n", "published_at: 2026-05-24T10:00:00Z\n",
		"    status: done\n", "    status: open\n", "    url: https://example.atlassian.net/browse/PAY-42\n", "## Summary\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("INC-101.md lacks %q:\n%s", want, data)
		}
	}
}

// TestFollowUpsFault: follow-ups that cannot be read fail the whole pull,
// naming the incident, and give no cursor: an incident is never written
// without its action items.
func TestFollowUpsFault(t *testing.T) {
	fake := newFake(t)
	fake.Fault = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		if r.URL.Query().Get("incident_id") != "01INC0110" {
			return false
		}
		_, _ = w.Write([]byte(`{"follow_ups": [{"id": `))
		return true
	}
	got, next, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), 5, pull.SourceMapping{}), "")
	if err == nil || !strings.Contains(err.Error(), "follow-ups of INC-110") || !strings.Contains(err.Error(), "malformed JSON") || next != "" {
		t.Errorf("error %v, cursor %q", err, next)
	}
	// The pages before INC-110's were emitted; the pull's error tells the
	// writer to keep none of it.
	for _, inc := range got {
		if inc.ID == "INC-110" {
			t.Error("INC-110 was emitted without its follow-ups")
		}
	}
}

// TestPageSizeBound: a page size beyond the API's 250 is asked as 250
// (the schema refuses more).
func TestPageSizeBound(t *testing.T) {
	fake := newFake(t)
	if _, _, err := pulltest.Collect(context.Background(), newSource(t, fake.Serve(t), 1000, pull.SourceMapping{}), ""); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fake.Pages, []string{"page_size=250"}) {
		t.Errorf("pages asked for: %q", fake.Pages)
	}
}
