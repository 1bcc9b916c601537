package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// requests records the JSON bodies posted to a fake Slack and PagerDuty.
type requests struct {
	mu     sync.Mutex
	byPath map[string][]map[string]any
}

func (r *requests) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byPath[req.URL.Path] = append(r.byPath[req.URL.Path], body)
	w.WriteHeader(http.StatusAccepted) // PagerDuty's answer; Slack's 200 or 202 both pass
}

func (r *requests) last(path string) (map[string]any, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.byPath[path]
	if len(got) == 0 {
		return nil, false
	}
	return got[len(got)-1], true
}

// TestSlackAndPagerDutyReadSecretsFromFiles runs a real Alertmanager with
// the Slack and PagerDuty examples' receivers (their secrets in files, as
// in /run/secrets) against a fake Slack and PagerDuty, sends it one overdue
// item of alice in payments, and checks Slack gets it on the webhook URL
// read from the file, in the team's channel, with the template's title and
// text, and PagerDuty gets the integration key read from its file.
func TestSlackAndPagerDutyReadSecretsFromFiles(t *testing.T) {
	fake := &requests{byPath: map[string][]map[string]any{}}
	server := httptest.NewServer(fake)
	defer server.Close()

	work := t.TempDir()
	secrets := filepath.Join(work, "secrets")
	if err := os.Mkdir(secrets, 0o700); err != nil {
		t.Fatal(err)
	}
	// Trailing newlines, as `echo ... > file` writes: Alertmanager trims them.
	for name, content := range map[string]string{
		"slack-payments": server.URL + "/slack/payments\n", "pagerduty-payments": "pd-key-payments\n",
	} {
		if err := os.WriteFile(filepath.Join(secrets, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	slack, pager := dashboards.ExampleSlack(secrets), dashboards.ExamplePagerDuty(secrets, server.URL+"/pagerduty")
	both := slack
	both.Teams = []string{"payments"}
	both.Notify = func(team string) dashboards.Receiver {
		return dashboards.Receiver{Slack: slack.Notify(team).Slack, PagerDuty: pager.Notify(team).PagerDuty}
	}
	both.GroupWait, both.GroupInterval = "1s", "1s"
	cfg := dashboards.DefaultConfig()
	amConfig, err := cfg.Alertmanager(both)
	if err != nil {
		t.Fatal(err)
	}
	files, err := cfg.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"alertmanager.yml": amConfig, "postmortem.tmpl": files[dashboards.AlertmanagerTemplate]} {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	am := testenv.StartAlertmanager(t, filepath.Join(work, "alertmanager.yml"))

	alert, err := json.Marshal([]map[string]any{{"labels": map[string]string{
		"alertname": "PostmortemActionItemOverdue", "severity": "warning", "team": "payments", "owner": "alice",
		"id": "PAY-1", "incident": "PM-PAY-1", "due": "2026-05-01",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(alert))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s %s", resp.Status, body)
	}

	testenv.Eventually(t, 60*time.Second, func() error {
		msg, ok := fake.last("/slack/payments")
		if !ok {
			return fmt.Errorf("nothing posted to the Slack webhook read from the file")
		}
		attachments, _ := msg["attachments"].([]any)
		if msg["channel"] != "#payments-postmortems" || len(attachments) != 1 {
			return fmt.Errorf("Slack message %v, want one attachment in #payments-postmortems", msg)
		}
		a, _ := attachments[0].(map[string]any)
		if text, _ := a["text"].(string); a["title"] != "alice: 1 overdue post-mortem action item" ||
			!strings.HasPrefix(text, "- PAY-1 from PM-PAY-1 (payments), due 2026-05-01") {
			return fmt.Errorf("Slack attachment title %q text %q", a["title"], a["text"])
		}
		event, ok := fake.last("/pagerduty")
		if !ok {
			return fmt.Errorf("nothing posted to PagerDuty")
		}
		if err := pagerDutyEvent(t).Validate(event); err != nil {
			t.Fatalf("the event Alertmanager sent is not a PagerDuty Events API v2 event: %v", err)
		}
		payload, _ := event["payload"].(map[string]any)
		if event["routing_key"] != "pd-key-payments" || payload["summary"] != "alice: 1 overdue post-mortem action item" {
			return fmt.Errorf("PagerDuty event key %v summary %v, want the key from the file and the template's title", event["routing_key"], payload["summary"])
		}
		return nil
	})
}

// pagerDutyEvent compiles the schema of a PagerDuty Events API v2 event
// (testdata/pagerduty-events-v2-enqueue.schema.json, written from
// PagerDuty's published OpenAPI description, cited in the file).
func pagerDutyEvent(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/pagerduty-events-v2-enqueue.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("pagerduty-events-v2-enqueue.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("pagerduty-events-v2-enqueue.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// TestPagerDutySchemaRefusesDrift: the schema the receiver test checks
// Alertmanager's event against refuses events the described API refuses,
// so a fake that drifted from it would not pass.
func TestPagerDutySchemaRefusesDrift(t *testing.T) {
	schema := pagerDutyEvent(t)
	valid := func() map[string]any {
		return map[string]any{"routing_key": "k", "event_action": "trigger",
			"payload": map[string]any{"summary": "s", "severity": "warning", "source": "alertmanager"}}
	}
	if err := schema.Validate(valid()); err != nil {
		t.Fatalf("a minimal trigger event is refused: %v", err)
	}
	for name, spoil := range map[string]func(map[string]any){
		"no routing_key":           func(e map[string]any) { delete(e, "routing_key") },
		"event_action not in enum": func(e map[string]any) { e["event_action"] = "fire" },
		"severity not in enum":     func(e map[string]any) { e["payload"].(map[string]any)["severity"] = "sev1" },
		"no source":                func(e map[string]any) { delete(e["payload"].(map[string]any), "source") },
		"a link without href":      func(e map[string]any) { e["links"] = []any{map[string]any{"text": "x"}} },
	} {
		e := valid()
		spoil(e)
		if schema.Validate(e) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
