package collectors_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// TestTrackersCollector publishes what the sync loop keeps: a tracker
// never read has a last success of 0 (not year 1), and every request
// outcome has a series from the start, so a rate over it is defined.
func TestTrackersCollector(t *testing.T) {
	statuses := []ticketsync.Status{
		{Tracker: "https://acme.atlassian.net", Kind: "jira", Up: true, LastSuccess: time.Unix(1_780_000_000, 500_000_000),
			Requests: map[string]uint64{"ok": 3, "rate_limited": 1}, Items: 12, Stale: 2},
		{Tracker: "https://github.com/acme", Kind: "github", Requests: map[string]uint64{"server_error": 5}},
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collectors.Trackers(func() []ticketsync.Status { return statuses }))
	want := `
# HELP postmortem_tracker_items Action items whose url names a ticket of the tracker.
# TYPE postmortem_tracker_items gauge
postmortem_tracker_items{tracker="https://acme.atlassian.net"} 12
postmortem_tracker_items{tracker="https://github.com/acme"} 0
# HELP postmortem_tracker_items_stale Action items of the tracker whose ticket was not read in its last 3 syncs: they are served in the state last read, or the record's.
# TYPE postmortem_tracker_items_stale gauge
postmortem_tracker_items_stale{tracker="https://acme.atlassian.net"} 2
postmortem_tracker_items_stale{tracker="https://github.com/acme"} 0
# HELP postmortem_tracker_last_sync_success_timestamp_seconds When the tracker's tickets were last read successfully, in Unix seconds (0 before the first).
# TYPE postmortem_tracker_last_sync_success_timestamp_seconds gauge
postmortem_tracker_last_sync_success_timestamp_seconds{tracker="https://acme.atlassian.net"} 1.7800000005e+09
postmortem_tracker_last_sync_success_timestamp_seconds{tracker="https://github.com/acme"} 0
# HELP postmortem_tracker_up Whether the last sync read the tracker's tickets (1) or not (0: down, refused, rate-limited); when 0 its tickets' last known states are served.
# TYPE postmortem_tracker_up gauge
postmortem_tracker_up{tracker="https://acme.atlassian.net"} 1
postmortem_tracker_up{tracker="https://github.com/acme"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "postmortem_tracker_items", "postmortem_tracker_items_stale",
		"postmortem_tracker_last_sync_success_timestamp_seconds", "postmortem_tracker_up"); err != nil {
		t.Error(err)
	}
	// Every outcome of every tracker, 0 included.
	var requests strings.Builder
	requests.WriteString("# HELP postmortem_tracker_requests_total Requests to the tracker's API since the exporter started, by outcome (every attempt, retries included).\n# TYPE postmortem_tracker_requests_total counter\n")
	for _, st := range statuses {
		for _, o := range apiclient.Outcomes {
			fmt.Fprintf(&requests, "postmortem_tracker_requests_total{outcome=%q,tracker=%q} %d\n", o, st.Tracker, st.Requests[o])
		}
	}
	if got := strings.Count(requests.String(), "\npostmortem_tracker_requests_total{"); got != 16 {
		t.Fatalf("%d expected request series, want 2 trackers × 8 outcomes", got)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(requests.String()), "postmortem_tracker_requests_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
