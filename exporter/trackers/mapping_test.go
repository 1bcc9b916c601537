package trackers_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
)

// TestApply follows the outcomes table of docs/trackers.md row by row:
// what the item becomes, and the drift it carries.
func TestApply(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }
	closed := time.Date(2026, 5, 9, 15, 4, 0, 0, time.UTC)
	open := record.ActionItem{ID: "PM-1-1", Owner: "alice", Status: record.ItemOpen, Due: day(7), URL: "https://acme.atlassian.net/browse/OPS-1"}
	done := open
	done.Status, done.ClosedAt = record.ItemDone, day(8)
	tracked := func(a record.ActionItem, change func(*record.ActionItem)) record.ActionItem {
		a.StateSource = record.StateTracker
		change(&a)
		return a
	}
	jira := trackers.File{Trackers: []trackers.Tracker{{Kind: "jira", URL: "https://acme.atlassian.net"}}, Precedence: trackers.DefaultPrecedence()}
	mapped := jira
	mapped.Owners = map[string]string{"alice@acme.com": "alice", "bob@acme.com": "bob"}
	recordWins := jira
	recordWins.Precedence = trackers.Precedence{Status: trackers.SideRecord, Owner: trackers.SideRecord, Due: trackers.SideRecord}
	dueFromTracker := jira
	dueFromTracker.Precedence.Due = trackers.SideTracker
	found := func(status, words string, assignees ...string) trackers.Ticket {
		return trackers.Ticket{Key: "OPS-1", Outcome: trackers.Found, Status: status, TrackerStatus: words, Assignees: assignees}
	}
	closedTicket := found(record.ItemDone, "Done / done", "alice")
	closedTicket.ClosedAt = closed
	withDue := found(record.ItemOpen, "To Do / new", "alice")
	withDue.Due = day(20)
	moved := closedTicket
	moved.Outcome, moved.MovedTo = trackers.Moved, "NEW-7"

	for _, tc := range []struct {
		name   string
		file   trackers.File
		item   record.ActionItem
		ticket trackers.Ticket
		want   record.ActionItem
		drift  []trackers.Drift
	}{
		{"agree", jira, open, found(record.ItemOpen, "In Progress / indeterminate", "alice"),
			tracked(open, func(*record.ActionItem) {}), nil},
		{"record open, ticket closed: the ticket's status and close time", jira, open, closedTicket,
			tracked(open, func(a *record.ActionItem) { a.Status, a.ClosedAt = record.ItemDone, closed }),
			[]trackers.Drift{{"status", "record says open, ticket OPS-1 says done (Done / done)"}}},
		{"closed before the item was written down: done when created", jira, func() record.ActionItem { a := open; a.CreatedAt = day(10); return a }(), closedTicket,
			tracked(open, func(a *record.ActionItem) { a.CreatedAt, a.Status, a.ClosedAt = day(10), record.ItemDone, day(10) }),
			[]trackers.Drift{{"status", "record says open, ticket OPS-1 says done (Done / done)"}}},
		{"record done, ticket reopened: open again, no close time", jira, done, found(record.ItemOpen, "To Do / new", "alice"),
			tracked(done, func(a *record.ActionItem) { a.Status, a.ClosedAt = record.ItemOpen, time.Time{} }),
			[]trackers.Drift{{"status", "record says done, ticket OPS-1 says open (To Do / new)"}}},
		{"precedence record: the record's status stays, the drift is found", recordWins, open, closedTicket,
			open, []trackers.Drift{{"status", "record says open, ticket OPS-1 says done (Done / done)"}}},
		{"another owner, by the map", mapped, open, found(record.ItemOpen, "new", "Bob@acme.com"),
			tracked(open, func(a *record.ActionItem) { a.Owner = "bob" }),
			[]trackers.Drift{{"owner", "record says alice, ticket OPS-1 says bob"}}},
		{"without a map, an email's local part", jira, open, found(record.ItemOpen, "new", "alice@acme.com"),
			tracked(open, func(*record.ActionItem) {}), nil},
		{"an assignee the map does not name: never guessed", mapped, open, found(record.ItemOpen, "new", "erin@acme.com"),
			tracked(open, func(*record.ActionItem) {}),
			[]trackers.Drift{{"owner", "ticket OPS-1's assignee erin@acme.com is not in the owners map"}}},
		{"an assignee that cannot be an owner name", jira, open, found(record.ItemOpen, "new", "eve\u202e"),
			tracked(open, func(*record.ActionItem) {}),
			[]trackers.Drift{{"owner", `ticket OPS-1's assignee "eve\u202e" gives no usable owner name: map it in owners`}}},
		{"no assignee", jira, open, found(record.ItemOpen, "new"),
			tracked(open, func(*record.ActionItem) {}),
			[]trackers.Drift{{"owner", "record says alice, ticket OPS-1 has no assignee"}}},
		{"several assignees", jira, open, found(record.ItemOpen, "new", "alice", "bob"),
			tracked(open, func(*record.ActionItem) {}),
			[]trackers.Drift{{"owner", "ticket OPS-1 has 2 assignees (alice, bob): an item has exactly one owner"}}},
		{"a status the table does not know", jira, open, found("", "Parked / mystery", "alice"),
			open, []trackers.Drift{{"status", `ticket OPS-1's status "Parked / mystery" maps to no item status`}}},
		{"moved: its state, and the url to fix", jira, open, moved,
			tracked(open, func(a *record.ActionItem) { a.Status, a.ClosedAt = record.ItemDone, closed }),
			[]trackers.Drift{{"url", "ticket OPS-1 moved to NEW-7: update the item's url"}, {"status", "record says open, ticket OPS-1 says done (Done / done)"}}},
		{"deleted (404): the record's state", jira, open, trackers.Ticket{Key: "OPS-1", Outcome: trackers.NotFound},
			open, []trackers.Drift{{"url", "ticket OPS-1 does not exist (deleted, or a wrong url)"}}},
		{"forbidden: the record's state", jira, open, trackers.Ticket{Key: "OPS-1", Outcome: trackers.Forbidden},
			open, []trackers.Drift{{"url", "the token of https://acme.atlassian.net may not read ticket OPS-1"}}},
		{"due: the record's wins by default", jira, open, withDue, tracked(open, func(*record.ActionItem) {}), nil},
		{"due: the ticket's where the record has none", jira, func() record.ActionItem { a := open; a.Due = time.Time{}; return a }(), withDue,
			tracked(open, func(a *record.ActionItem) { a.Due = day(20) }), nil},
		{"due: the ticket's with precedence tracker", dueFromTracker, open, withDue,
			tracked(open, func(a *record.ActionItem) { a.Due = day(20) }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, drift := tc.file.Apply(tc.item, tc.ticket, 0)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("item\n got %+v\nwant %+v", got, tc.want)
			}
			if !reflect.DeepEqual(drift, tc.drift) {
				t.Errorf("drift\n got %q\nwant %q", drift, tc.drift)
			}
		})
	}
}
