package ticketsync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/ticketsync"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/github"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/gitlab"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/jira"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers/linear"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
)

// benchItems and benchLatency are the load of the issue's goal: 5,000
// open items across the four trackers, each request answered after 50 ms.
const (
	benchItems   = 5000
	benchLatency = 50 * time.Millisecond
)

// benchTracker is one vendor's fake API for the benchmark: it answers
// every ticket asked for as open and assigned to erin, after
// benchLatency, and counts its requests. The vendor packages' own tests
// check their requests and answers against the vendors' schemas; this
// fake gives only what their clients read.
type benchTracker struct {
	kind, site string
	itemURL    func(n int) string // the url of the n-th item's ticket (n from 1)
	answer     func(w http.ResponseWriter, r *http.Request)
	requests   atomic.Int64
}

func (b *benchTracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.requests.Add(1)
	time.Sleep(benchLatency)
	w.Header().Set("Content-Type", "application/json")
	b.answer(w, r)
}

const benchUpdated = "2026-11-02T10:00:00.000+0000"

func benchTrackers() []*benchTracker {
	return []*benchTracker{
		{kind: trackers.KindJira, site: "https://acme.atlassian.net",
			itemURL: func(n int) string { return fmt.Sprintf("https://acme.atlassian.net/browse/OPS-%d", n) },
			answer: func(w http.ResponseWriter, r *http.Request) {
				var req struct{ JQL string }
				_ = json.NewDecoder(r.Body).Decode(&req)
				var issues []any
				for _, key := range regexp.MustCompile(`[A-Z]+-\d+`).FindAllString(req.JQL, -1) {
					issues = append(issues, map[string]any{"key": key, "fields": map[string]any{
						"status":   map[string]any{"name": "In Progress", "statusCategory": map[string]any{"key": "indeterminate"}},
						"assignee": map[string]any{"emailAddress": "erin@acme.com"}, "updated": benchUpdated}})
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"isLast": true, "issues": issues})
			}},
		{kind: trackers.KindGitHub, site: "https://github.com/acme",
			itemURL: func(n int) string { return fmt.Sprintf("https://github.com/acme/api/issues/%d", n) },
			answer: func(w http.ResponseWriter, r *http.Request) {
				var req struct{ Variables map[string]any }
				_ = json.NewDecoder(r.Body).Decode(&req)
				data := map[string]any{}
				for i := 0; req.Variables[fmt.Sprint("i", i)] != nil; i++ {
					owner, name, number := req.Variables[fmt.Sprint("o", i)], req.Variables[fmt.Sprint("n", i)], req.Variables[fmt.Sprint("i", i)]
					data[fmt.Sprint("t", i)] = map[string]any{"issue": map[string]any{"number": number, "state": "OPEN",
						"updatedAt": "2026-11-02T10:00:00Z", "assignees": map[string]any{"nodes": []any{map[string]any{"login": "erin"}}},
						"repository": map[string]any{"nameWithOwner": fmt.Sprint(owner, "/", name)}}}
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
			}},
		{kind: trackers.KindGitLab, site: "https://gitlab.com/acme",
			itemURL: func(n int) string { return fmt.Sprintf("https://gitlab.com/acme/api/-/issues/%d", n) },
			answer: func(w http.ResponseWriter, r *http.Request) {
				var issues []any
				for _, iid := range r.URL.Query()["iids[]"] {
					var n int
					_, _ = fmt.Sscan(iid, &n)
					issues = append(issues, map[string]any{"iid": n, "state": "opened", "updated_at": "2026-11-02T10:00:00Z",
						"labels": []string{}, "assignees": []any{map[string]any{"username": "erin"}}})
				}
				_ = json.NewEncoder(w).Encode(issues)
			}},
		{kind: trackers.KindLinear, site: "https://linear.app/acme",
			itemURL: func(n int) string { return fmt.Sprintf("https://linear.app/acme/issue/ENG-%d", n) },
			answer: func(w http.ResponseWriter, r *http.Request) {
				var req struct {
					Variables struct {
						Filter struct {
							Or []struct {
								Team   struct{ Key struct{ Eq string } }
								Number struct{ In []int }
							}
						}
					}
				}
				_ = json.NewDecoder(r.Body).Decode(&req)
				var nodes []any
				for _, team := range req.Variables.Filter.Or {
					for _, n := range team.Number.In {
						nodes = append(nodes, map[string]any{"identifier": fmt.Sprintf("%s-%d", team.Team.Key.Eq, n),
							"state": map[string]any{"type": "started", "name": "In Progress"}, "assignee": map[string]any{"email": "erin@acme.com"},
							"updatedAt": "2026-11-02T10:00:00Z"})
					}
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"issues": map[string]any{
					"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": false}}}})
			}},
	}
}

// BenchmarkSync syncs benchItems open items, a quarter of them per
// tracker, from fake APIs that answer each request after benchLatency,
// with the clients' default settings (4 requests in flight per tracker).
// It reports the requests of one sync, the items per request, and the
// sync's wall time; against it, the same items read one request per
// item through the same HTTP loop, in the same run. scripts/bench prints
// them.
func BenchmarkSync(b *testing.B) {
	fakes := benchTrackers()
	var file strings.Builder
	file.WriteString("trackers:\n")
	for _, f := range fakes {
		srv := httptest.NewServer(f)
		b.Cleanup(srv.Close)
		api := srv.URL
		if f.kind == trackers.KindGitLab {
			api += "/api/v4"
		}
		fmt.Fprintf(&file, "  - kind: %s\n    url: %s\n    api_url: %s\n    user: bot@acme.com\n    token_env: TOKEN\n", f.kind, f.site, api)
	}
	path := filepath.Join(b.TempDir(), "trackers.yaml")
	if err := os.WriteFile(path, []byte(file.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := ticketsync.New(ticketsync.Config{
		Path: path, Lookup: func(string) (string, bool) { return "token", true },
		Clients: map[string]ticketsync.Constructor{trackers.KindJira: jira.New, trackers.KindGitHub: github.New,
			trackers.KindGitLab: gitlab.New, trackers.KindLinear: linear.New},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	res := benchRecords(fakes)
	s.Merge(&res, record.Rules{Quality: record.DefaultQuality()}) // names the tickets to read

	requests := make([]int64, len(fakes)) // of the last sync, by tracker
	b.ResetTimer()
	for b.Loop() {
		for i, f := range fakes {
			requests[i] = -f.requests.Load()
		}
		if err := s.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		for i, f := range fakes {
			requests[i] += f.requests.Load()
		}
	}
	b.StopTimer()
	synced := 0
	for _, st := range s.Statuses() {
		if !st.Up {
			b.Fatalf("tracker %s is down after the sync", st.Tracker)
		}
		synced += st.Items
	}
	known := s.Known()
	if len(known) != benchItems || synced != benchItems {
		b.Fatalf("%d tickets known, %d items of the trackers, want %d", len(known), synced, benchItems)
	}
	for _, k := range known {
		if k.Ticket.Outcome != trackers.Found || k.Ticket.Status != record.ItemOpen || len(k.Ticket.Assignees) != 1 {
			b.Fatalf("%s read as %+v, want found, open, one assignee", k.URL, k.Ticket)
		}
	}
	var total int64
	for i, f := range fakes {
		total += requests[i]
		b.ReportMetric(float64(benchItems/len(fakes))/float64(requests[i]), "items/request-"+f.kind)
	}
	b.ReportMetric(float64(total), "requests/sync")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/sync")
	b.ReportMetric(onePerItem(b, fakes).Seconds(), "s/sync-one-request-per-item")
}

// benchRecords returns valid records whose open items name benchItems
// tickets, spread evenly over the fakes' trackers: 50 records of 100.
func benchRecords(fakes []*benchTracker) record.Result {
	var res record.Result
	created := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for r := range benchItems / 100 {
		rec := &record.Record{ID: fmt.Sprintf("PM-%d", r+1), Path: fmt.Sprintf("PM-%04d.md", r+1), Team: "payments", Severity: "sev2",
			StartedAt: created}
		for i := range 100 {
			n := r*100 + i
			f := fakes[n%len(fakes)]
			rec.ActionItems = append(rec.ActionItems, record.ActionItem{ID: fmt.Sprintf("%s-%d", rec.ID, i+1), Title: "fix", Owner: "erin",
				Team: "payments", CreatedAt: created, Due: created.AddDate(0, 1, 0), Status: record.ItemOpen, URL: f.itemURL(n/len(fakes) + 1)})
		}
		res.Valid = append(res.Valid, rec)
	}
	return res
}

// onePerItem reads the same number of tickets one request each, through
// the same HTTP loop with its default concurrency, each tracker at once
// with the others as a sync reads them, and returns how long it took.
func onePerItem(b *testing.B, fakes []*benchTracker) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for range fakes {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(benchLatency)
			_, _ = io.WriteString(w, "{}")
		}))
		b.Cleanup(srv.Close)
		c, err := apiclient.New(apiclient.Config{BaseURL: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			var items sync.WaitGroup
			for n := range benchItems / len(fakes) {
				items.Go(func() {
					var out map[string]any
					if _, err := c.JSON(context.Background(), apiclient.Request{Path: fmt.Sprint("issue/", n)}, &out); err != nil {
						b.Error(err)
					}
				})
			}
			items.Wait()
		})
	}
	wg.Wait()
	return time.Since(start)
}
