package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// ownerAlerts records the per-item overdue alerts Alertmanager's webhook
// receiver posts: the status each (owner, item) had in the latest
// notification that listed it.
type ownerAlerts struct {
	mu     sync.Mutex
	latest map[string]string // "owner item" -> firing | resolved
}

func (o *ownerAlerts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n struct {
		Alerts []struct {
			Status string            `json:"status"`
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range n.Alerts {
		if a.Labels["alertname"] == "PostmortemActionItemOverdue" {
			o.latest[a.Labels["owner"]+" "+a.Labels["id"]] = a.Status
		}
	}
}

// waitFor waits until the owner's alert of item has status in the latest
// notification.
func (o *ownerAlerts) waitFor(t *testing.T, owner, item, status string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, func() error {
		o.mu.Lock()
		defer o.mu.Unlock()
		if got := o.latest[owner+" "+item]; got != status {
			return fmt.Errorf("%s's alert of %s is %q in the latest notification, want %q", owner, item, got, status)
		}
		return nil
	})
}

// TestClosedTicketResolvesOwnersAlert runs the exporter on a record whose
// item (erin's, open, due ten days ago) names the Jira ticket OPS-1,
// Prometheus with the generated rules and Alertmanager with the generated
// routing. OPS-1 in progress: erin is notified that PM-1-1 is overdue.
// OPS-1 closed: after one sync (a SIGHUP; the interval is an hour) the
// overdue series is gone and Alertmanager tells erin her alert is
// resolved. OPS-1 reopened: after one sync the alert fires again.
func TestClosedTicketResolvesOwnersAlert(t *testing.T) {
	jira, apiURL := newFakeJiraCloud(t)
	records, trackersFile := writeTrackedIncident(t, apiURL)
	alerts := &ownerAlerts{latest: map[string]string{}}
	hook := httptest.NewServer(alerts)
	t.Cleanup(hook.Close)

	cfg := dashboards.DefaultConfig()
	cfg.OverdueItemFor = "0s" // fire at once in the test
	rules, err := yaml.Marshal(cfg.Rules())
	if err != nil {
		t.Fatal(err)
	}
	amConfig, err := cfg.Alertmanager(dashboards.Receivers{
		Teams: []string{"payments"},
		Notify: func(string) dashboards.Receiver {
			return dashboards.Receiver{Webhook: []dashboards.Webhook{{URL: hook.URL, SendResolved: true}}}
		},
		GroupWait: "1s", GroupInterval: "1s", OverdueRepeat: "168h", TeamRepeat: "24h",
	})
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for name, data := range map[string][]byte{"rules.yml": rules, "alertmanager.yml": amConfig} {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	am := testenv.StartAlertmanager(t, filepath.Join(work, "alertmanager.yml"))
	e := testenv.StartExporterWith(t, testenv.ExporterOptions{Env: []string{"JIRA_TOKEN=" + jiraToken}, Race: true, Args: []string{
		"--source.dir=" + records, "--trackers.file=" + trackersFile, "--trackers.interval=1h", "--refresh.interval=1h"}})
	testenv.StartPrometheus(t, testenv.PrometheusConfig{
		Targets: []string{e.Addr}, RuleFiles: []string{filepath.Join(work, "rules.yml")}, Alertmanager: am.Addr,
	})
	overdue := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricActionItemOverdue, map[string]string{"id": "PM-1-1", "owner": "erin"})
	}
	waitPresent := func(what string, want bool) {
		t.Helper()
		testenv.Eventually(t, 30*time.Second, func() error {
			if _, ok := overdue(); ok != want {
				return fmt.Errorf("%s: PM-1-1's overdue series present %v, want %v", what, ok, want)
			}
			return nil
		})
	}

	waitPresent("OPS-1 in progress", true)
	alerts.waitFor(t, "erin", "PM-1-1", "firing")

	jira.set("done", false)
	hangup(t, e) // one sync
	waitPresent("OPS-1 closed", false)
	alerts.waitFor(t, "erin", "PM-1-1", "resolved")

	jira.set("indeterminate", false)
	hangup(t, e)
	waitPresent("OPS-1 reopened", true)
	alerts.waitFor(t, "erin", "PM-1-1", "firing")
}
