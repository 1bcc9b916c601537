package ticketsync_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// fakeTracker is a tracker of our own Client interface (the vendor
// clients and their fake servers are tested in their packages): its
// tickets are keyed by the last segment of their url, and each Tickets
// call is one request.
type fakeTracker struct {
	mu      sync.Mutex
	tickets map[string]trackers.Ticket
	down    error // when set, Tickets fails with it
	calls   int
	keys    [][]string
	now     time.Time // the syncer's clock
}

func (f *fakeTracker) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTracker) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeTracker) set(key string, t trackers.Ticket) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t.Key = key
	f.tickets[key] = t
}

func (f *fakeTracker) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = err
}

type fakeClient struct {
	f      *fakeTracker
	prefix string
	api    apiclient.Config
}

func (c fakeClient) Ref(url string) (trackers.Ref, bool) {
	key, ok := strings.CutPrefix(url, c.prefix+"/browse/")
	return trackers.Ref{Key: key, URL: url}, ok && key != ""
}

func (c fakeClient) Tickets(_ context.Context, refs []trackers.Ref) (map[string]trackers.Ticket, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.calls++
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = r.Key
	}
	c.f.keys = append(c.f.keys, keys)
	if c.f.down != nil {
		c.api.Observe(apiclient.OutcomeServerError)
		return nil, c.f.down
	}
	c.api.Observe(apiclient.OutcomeOK)
	out := map[string]trackers.Ticket{}
	for _, r := range refs {
		t, ok := c.f.tickets[r.Key]
		if !ok {
			t = trackers.Ticket{Key: r.Key, Outcome: trackers.NotFound}
		}
		out[r.Key] = t
	}
	return out, nil
}

const jiraURL = "https://acme.atlassian.net"

// newSyncer returns a syncer of one jira tracker answered by f.
func newSyncer(t *testing.T, f *fakeTracker, fileText string) (*ticketsync.Syncer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trackers.yaml")
	f.now = time.Unix(1_780_000_000, 0)
	if fileText == "" {
		fileText = "trackers:\n  - kind: jira\n    url: " + jiraURL + "\n    token_env: JIRA_TOKEN\n"
	}
	if err := os.WriteFile(path, []byte(fileText), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := ticketsync.New(ticketsync.Config{
		Path:   path,
		Lookup: func(string) (string, bool) { return "secret", true },
		Clients: map[string]ticketsync.Constructor{trackers.KindJira: func(tr trackers.Tracker, token string, api apiclient.Config) (trackers.Client, error) {
			if token != "secret" {
				t.Errorf("token %q, want the variable's", token)
			}
			return fakeClient{f: f, prefix: tr.URL, api: api}, nil
		}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    f.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

// checked reads one record with four items: OPS-1 (open, alice), a
// ticket of no tracker, OPS-2 (done), and a page of the tracker's site
// that is no ticket.
func checked(t *testing.T) record.Result {
	t.Helper()
	data := `---
id: PM-1
title: Checkout errors
severity: sev2
team: payments
started_at: 2026-05-01T10:00:00Z
detected_at: 2026-05-01T10:05:00Z
resolved_at: 2026-05-01T11:00:00Z
origin: code_change
resolution: rollback
detection: automated
status: published
published_at: 2026-05-03T10:00:00Z
bar_raiser: zoe
moderator: yann
action_items:
  - id: PM-1-1
    title: Contract tests
    owner: alice
    created_at: 2026-05-03T10:00:00Z
    due: 2026-05-10
    status: open
    url: https://acme.atlassian.net/browse/OPS-1
  - id: PM-1-2
    title: Alert on 5xx
    owner: bob
    created_at: 2026-05-03T10:00:00Z
    due: 2026-05-10
    status: open
    url: https://elsewhere.example/browse/OPS-9
  - id: PM-1-3
    title: Runbook
    owner: carol
    created_at: 2026-05-03T10:00:00Z
    due: 2026-05-10
    status: done
    closed_at: 2026-05-09T10:00:00Z
    url: https://acme.atlassian.net/browse/OPS-2
  - id: PM-1-4
    title: Share the timeline
    owner: dan
    created_at: 2026-05-03T10:00:00Z
    due: 2026-05-10
    status: open
    url: https://acme.atlassian.net/wiki/spaces/OPS/timeline
---
`
	r, problems := files.Parse("pm-1.md", []byte(data))
	rules := record.Config{Taxonomy: record.DefaultTaxonomy()}.Rules(record.DefaultLimits(), time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	res := record.Check([]*record.Record{r}, problems, rules)
	if len(res.Valid) != 1 || len(res.Findings) != 0 {
		t.Fatalf("the test record: %d valid, findings %v, problems %v", len(res.Valid), res.Findings, res.Problems)
	}
	return res
}

var rules = record.Rules{}

// syncedOnce returns a syncer whose tracker has OPS-1 as ops1 (and no
// OPS-2), after one sync of the items of checked.
func syncedOnce(t *testing.T, ops1 trackers.Ticket) (*fakeTracker, *ticketsync.Syncer) {
	t.Helper()
	f := &fakeTracker{tickets: map[string]trackers.Ticket{}}
	f.set("OPS-1", ops1)
	s, _ := newSyncer(t, f, "")
	res := checked(t)
	s.Merge(&res, rules)
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f, s
}

// TestMergeAfterSync: before a sync every item keeps the record's state;
// after one, OPS-1's closed ticket closes its item, the disagreement is
// a tracker_drift finding naming both values, and the record the source
// keeps between refreshes is left as it was read.
func TestMergeAfterSync(t *testing.T) {
	f := &fakeTracker{tickets: map[string]trackers.Ticket{}}
	closedAt := time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)
	f.set("OPS-1", trackers.Ticket{Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Done / done", ClosedAt: closedAt, Assignees: []string{"alice@acme.com"}})
	f.set("OPS-2", trackers.Ticket{Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Done / done", ClosedAt: closedAt, Assignees: []string{"carol"}})
	s, _ := newSyncer(t, f, "")

	res := checked(t)
	kept := res.Valid[0]
	s.Merge(&res, rules)
	if res.Valid[0] != kept || len(res.Findings) != 0 {
		t.Fatalf("before any sync the record must be served as read; findings %v", res.Findings)
	}
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One request for both tickets, and none for the item of no tracker.
	if f.calls != 1 || strings.Join(f.keys[0], ",") != "OPS-1,OPS-2" {
		t.Errorf("requests %d with keys %v, want 1 with OPS-1,OPS-2", f.calls, f.keys)
	}

	res = checked(t)
	kept = res.Valid[0]
	s.Merge(&res, rules)
	got := res.Valid[0].ActionItems
	if got[0].Status != record.ItemDone || !got[0].ClosedAt.Equal(closedAt) || got[0].StateSource != record.StateTracker {
		t.Errorf("OPS-1's item: %+v, want done at %s from the tracker", got[0], closedAt)
	}
	if got[1].Status != record.ItemOpen || got[1].StateSource != "" {
		t.Errorf("the item of no tracker: %+v, want the record's state", got[1])
	}
	if got[2].Status != record.ItemDone || !got[2].ClosedAt.Equal(closedAt) {
		t.Errorf("OPS-2's item: %+v, want done at the ticket's close time", got[2])
	}
	if kept.ActionItems[0].Status != record.ItemOpen || kept.ActionItems[0].StateSource != "" {
		t.Errorf("the record kept by the source was changed: %+v", kept.ActionItems[0])
	}
	want := "pm-1.md:22: action_items[0].status: error: tracker_drift: record says open, ticket OPS-1 says done (Done / done)"
	if len(res.Findings) != 1 || res.Findings[0].String() != want {
		t.Errorf("findings %v\nwant [%s]", res.Findings, want)
	}
	if v := res.Verdict(res.Valid[0]); len(v.Findings) != 1 || v.Findings[0].Team != "payments" {
		t.Errorf("the record's verdict %+v, want its tracker_drift finding, team payments", v)
	}
}

// TestTrackerDownKeepsLastState: a tracker that fails keeps the states it
// last gave, is reported down, and its items count as stale after
// StaleAfter syncs without a read.
func TestTrackerDownKeepsLastState(t *testing.T) {
	f, s := syncedOnce(t, trackers.Ticket{Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Done", Assignees: []string{"alice"}})
	st := s.Statuses()[0]
	// OPS-1 and OPS-2: the wiki page is no ticket.
	if !st.Up || st.Items != 2 || st.Stale != 0 || st.Requests[apiclient.OutcomeOK] != 1 || st.LastSuccess.IsZero() {
		t.Errorf("after a good sync: %+v", st)
	}
	f.fail(errors.New("GET https://acme.atlassian.net/rest/api/3/search/jql: 503 Service Unavailable"))
	for i := 1; i <= ticketsync.StaleAfter; i++ {
		if err := s.Sync(context.Background()); err == nil || !strings.Contains(err.Error(), "tracker "+jiraURL) {
			t.Fatalf("sync %d: error %v, want one naming the tracker", i, err)
		}
		st = s.Statuses()[0]
		wantStale := 0
		if i >= ticketsync.StaleAfter {
			wantStale = 2 // read at sync 1, unread in syncs 2..4
		}
		if st.Up || st.Stale != wantStale || st.Requests[apiclient.OutcomeServerError] != uint64(i) {
			t.Errorf("after %d failed syncs: %+v, want down with %d stale", i, st, wantStale)
		}
	}
	res := checked(t)
	s.Merge(&res, rules)
	if a := res.Valid[0].ActionItems[0]; a.Status != record.ItemDone {
		t.Errorf("OPS-1's item while the tracker is down: %+v, want its last known state (done)", a)
	}
	// OPS-2 does not exist in the tracker: the record's state, and a finding.
	if a := res.Valid[0].ActionItems[2]; a.Status != record.ItemDone || a.StateSource != "" {
		t.Errorf("OPS-2's item: %+v, want the record's state", a)
	}
	if !strings.Contains(res.Findings[len(res.Findings)-1].Message, "ticket OPS-2 does not exist") {
		t.Errorf("findings %v, want OPS-2's not found", res.Findings)
	}
}

// TestReloadKeepsTrackersOnError: a trackers file that turns bad is
// refused, naming it, and the current trackers keep syncing.
func TestReloadKeepsTrackersOnError(t *testing.T) {
	f := &fakeTracker{tickets: map[string]trackers.Ticket{}}
	s, path := newSyncer(t, f, "")
	if err := os.WriteFile(path, []byte("trackers:\n  - kind: jira\n    url: "+jiraURL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Reload()
	if err == nil || !strings.Contains(err.Error(), path+":2: trackers[0]: give token_env or token_file") {
		t.Fatalf("reload error %v", err)
	}
	if st := s.Statuses(); len(st) != 1 || st[0].Tracker != jiraURL {
		t.Errorf("trackers after a refused reload: %+v", st)
	}
}

// TestDriftRuleOff: with tracker_drift off in the quality rules, the
// ticket's state is still merged, and no finding is raised; counted, a
// finding keeps only what counting it needs.
func TestDriftRuleOff(t *testing.T) {
	_, s := syncedOnce(t, trackers.Ticket{Outcome: trackers.Found, Status: record.ItemWontDo, TrackerStatus: "Closed (done), resolution Won't Do", Assignees: []string{"alice"}})
	off := record.DefaultQuality()
	var res record.Result
	off.Severity[record.RuleTrackerDrift] = record.SeverityOff
	res = checked(t)
	s.Merge(&res, record.Rules{Quality: off})
	if a := res.Valid[0].ActionItems[0]; a.Status != record.ItemWontDo || len(res.Findings) != 0 {
		t.Errorf("item %+v, findings %v; want wont_do and no finding", a, res.Findings)
	}
	res = checked(t)
	s.Merge(&res, record.Rules{CountFindings: true})
	// OPS-1's status, and OPS-2, which the tracker does not have.
	if len(res.Findings) != 2 {
		t.Fatalf("counted findings %+v, want two", res.Findings)
	}
	// Counted, a finding keeps no field; a drift finding keeps its
	// message, which the finding list shows and the rules cannot give
	// again.
	for _, f := range res.Findings {
		if f.Message == "" || f.Field != "" || f.Rule != record.RuleTrackerDrift || f.Team != "payments" || f.Severity != record.SeverityError {
			t.Errorf("counted finding %+v, want a tracker_drift error of payments with its message and no field", f)
		}
	}
}

// TestRestoreFallsBackOnStoredStates: what Known gives one syncer (as an
// import stores it) is what a later syncer, whose tracker is down,
// merges; a state it read itself, or of an item url no record names, or
// of another tracker, is not replaced or taken.
func TestRestoreFallsBackOnStoredStates(t *testing.T) {
	closed := trackers.Ticket{Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Done", Assignees: []string{"alice"}}
	_, first := syncedOnce(t, closed)
	known := first.Known()
	// OPS-1 as read; OPS-2 not found (the fake has no OPS-2); by url.
	if len(known) != 2 || known[0].URL != jiraURL+"/browse/OPS-1" || known[0].Tracker != jiraURL ||
		known[0].Ticket.Status != record.ItemDone || known[1].Ticket.Outcome != trackers.NotFound || !known[0].ReadAt.Equal(time.Unix(1_780_000_000, 0)) {
		t.Fatalf("known states %+v", known)
	}
	stranger := ticketsync.Known{URL: jiraURL + "/browse/OPS-7", Tracker: jiraURL, Ticket: closed}
	elsewhere := ticketsync.Known{URL: "https://elsewhere.example/browse/OPS-9", Tracker: "https://elsewhere.example", Ticket: closed}

	down := &fakeTracker{tickets: map[string]trackers.Ticket{}}
	down.fail(errors.New("503 Service Unavailable"))
	s, _ := newSyncer(t, down, "")
	res := checked(t)
	s.Merge(&res, rules)
	if err := s.Sync(context.Background()); err == nil {
		t.Fatal("the sync of a tracker that is down did not fail")
	}
	s.Restore(append(known, stranger, elsewhere))
	res = checked(t)
	s.Merge(&res, rules)
	items := res.Valid[0].ActionItems
	if items[0].Status != record.ItemDone || items[0].StateSource != record.StateTracker {
		t.Errorf("OPS-1's item with its tracker down: %+v, want the stored state (done, from the tracker)", items[0])
	}
	if items[1].StateSource != "" {
		t.Errorf("the item of no tracker took a stored state: %+v", items[1])
	}
	if got := len(s.Known()); got != 2 {
		t.Errorf("%d states known after Restore, want 2: none of an url no item names", got)
	}

	// A state read in this run is not replaced by a stored one.
	up := &fakeTracker{tickets: map[string]trackers.Ticket{}}
	up.set("OPS-1", trackers.Ticket{Outcome: trackers.Found, Status: record.ItemOpen, TrackerStatus: "In Progress", Assignees: []string{"alice"}})
	s, _ = newSyncer(t, up, "")
	res = checked(t)
	s.Merge(&res, rules)
	if err := s.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Restore(known)
	res = checked(t)
	s.Merge(&res, rules)
	if a := res.Valid[0].ActionItems[0]; a.Status != record.ItemOpen {
		t.Errorf("OPS-1's item: %+v, want the state read now (open), not the stored one", a)
	}
}

// TestRetryAfterBeyondTheWait: a tracker that asks, in a refusal, to be
// left alone for an hour gets no request until the hour has passed; its
// tickets keep their last states meanwhile.
func TestRetryAfterBeyondTheWait(t *testing.T) {
	f, s := syncedOnce(t, trackers.Ticket{Outcome: trackers.Found, Status: record.ItemDone, TrackerStatus: "Done", Assignees: []string{"alice"}})
	f.fail(&apiclient.StatusError{Method: "POST", URL: jiraURL + "/rest/api/3/search/jql", Status: 429, RetryAfter: time.Hour})
	if err := s.Sync(context.Background()); err == nil {
		t.Fatal("the 429 did not fail the sync")
	}
	f.fail(nil)
	f.advance(59 * time.Minute)
	err := s.Sync(context.Background())
	if f.calls != 2 || err == nil || !strings.Contains(err.Error(), "backing off") {
		t.Errorf("within the hour: %d requests in all, error %v; want no third request and a sync that says it backs off", f.calls, err)
	}
	if st := s.Statuses()[0]; st.Up {
		t.Errorf("a tracker backed off is reported up: %+v", st)
	}
	res := checked(t)
	s.Merge(&res, rules)
	if a := res.Valid[0].ActionItems[0]; a.Status != record.ItemDone {
		t.Errorf("OPS-1's item while backed off: %+v, want its last known state", a)
	}
	f.advance(2 * time.Minute)
	if err := s.Sync(context.Background()); err != nil || f.calls != 3 {
		t.Errorf("after the hour: error %v, %d requests in all; want the third", err, f.calls)
	}
}
