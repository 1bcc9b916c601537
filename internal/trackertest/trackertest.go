package trackertest

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// Compare fails t for each ticket of want that got does not hold alike,
// and when got holds others.
func Compare(t testing.TB, got, want map[string]trackers.Ticket) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: no ticket", k)
		case g.Key != w.Key || g.Outcome != w.Outcome || g.MovedTo != w.MovedTo || g.Status != w.Status ||
			g.TrackerStatus != w.TrackerStatus || !g.ClosedAt.Equal(w.ClosedAt) || !slices.Equal(g.Assignees, w.Assignees) ||
			!g.Due.Equal(w.Due) || !g.UpdatedAt.Equal(w.UpdatedAt):
			t.Errorf("%s:\n got %+v\nwant %+v", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d tickets, want %d", len(got), len(want))
	}
}

// Time is an RFC 3339 time, for the tickets a test works out by hand.
func Time(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// RunFaults meets each fault of Faults(unauthorized), and the vendor's
// own faults more, in a subtest: start gives a client whose fake API
// plays the fault, and the refs to read; a read the fault lets succeed
// must give want, one it fails must give an error alone that does not
// show token.
func RunFaults(t *testing.T, unauthorized []byte, token string,
	start func(t *testing.T, f Fault) (trackers.Client, []trackers.Ref), want map[string]trackers.Ticket, more ...Fault) {
	for _, fault := range append(Faults(unauthorized), more...) {
		t.Run(fault.Name, func(t *testing.T) {
			c, refs := start(t, fault)
			began := time.Now()
			got, err := c.Tickets(context.Background(), refs)
			if fault.Check(t, began, err, token) {
				Compare(t, got, want)
			}
			if err != nil && got != nil {
				t.Errorf("tickets %+v came with the error", got)
			}
		})
	}
}

// CheckRefs fails t for each address of refs whose Ref is not the key it
// maps to ("" for an address that names no ticket of c).
func CheckRefs(t testing.TB, c trackers.Client, refs map[string]string) {
	t.Helper()
	for url, want := range refs {
		got, ok := c.Ref(url)
		if got.Key != want || ok != (want != "") || (ok && got.URL != url) {
			t.Errorf("Ref(%s) = %+v, %v; want key %q", url, got, ok, want)
		}
	}
}

// Open counts the tickets found open.
func Open(tickets map[string]trackers.Ticket) int {
	n := 0
	for _, tk := range tickets {
		if tk.Outcome == trackers.Found && tk.Status == record.ItemOpen {
			n++
		}
	}
	return n
}

// FirstRequest returns the request a client sends first to read ref, as
// it would leave for the network (nothing answers it): newClient makes
// the client with api.
func FirstRequest(t testing.TB, newClient func(api apiclient.Config) (trackers.Client, error), ref trackers.Ref) *http.Request {
	t.Helper()
	var sent *http.Request
	c, err := newClient(apiclient.Config{Retries: -1, Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		sent = r
		return nil, http.ErrHandlerTimeout
	})})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Tickets(context.Background(), []trackers.Ref{ref})
	if sent == nil {
		t.Fatal("no request sent")
	}
	return sent
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
