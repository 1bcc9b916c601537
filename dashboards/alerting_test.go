package dashboards_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/dashboards"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// notification is what Alertmanager's webhook receiver posts.
type notification struct {
	Status string `json:"status"`
	Alerts []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

// webhook records the notifications Alertmanager sends, by team (the path).
type webhook struct {
	mu     sync.Mutex
	byTeam map[string][]notification
	bodies map[string][][]byte // as posted, for amtool to render
}

func (w *webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var n notification
	body, err := io.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(body, &n)
	}
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	team := strings.TrimPrefix(r.URL.Path, "/")
	w.byTeam[team] = append(w.byTeam[team], n)
	if w.bodies == nil {
		w.bodies = map[string][][]byte{}
	}
	w.bodies[team] = append(w.bodies[team], body)
}

// overdueByOwner returns, per owner, the item ids of the latest firing
// per-item notification the team received, and fails on a notification
// that mixes owners.
func (w *webhook) overdueByOwner(team string) (map[string][]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]string{}
	for _, n := range w.byTeam[team] {
		owners := map[string]bool{}
		var ids []string
		for _, a := range n.Alerts {
			if a.Labels["alertname"] != "PostmortemActionItemOverdue" || a.Status != "firing" {
				continue
			}
			owners[a.Labels["owner"]] = true
			ids = append(ids, a.Labels["id"]+" "+a.Labels["ticket_url"]+" "+a.Labels["postmortem_url"]+" "+a.Labels["title"])
			if a.Labels["team"] != team {
				return nil, fmt.Errorf("team %s received an alert of team %s", team, a.Labels["team"])
			}
		}
		if len(owners) > 1 {
			return nil, fmt.Errorf("one notification to %s lists items of several owners: %v", team, owners)
		}
		for owner := range owners {
			slices.Sort(ids)
			out[owner] = ids
		}
	}
	return out, nil
}

// writeActionItemsRecord writes a published record of team with the given
// action items (YAML list entries).
func writeActionItemsRecord(t *testing.T, dir, id, team, items string) {
	t.Helper()
	published := time.Now().UTC().Add(-19 * 24 * time.Hour).Format(time.RFC3339)
	testenv.WriteIncident(t, dir, testenv.Incident{
		ID: id, Severity: "sev2", Team: team, StartedAgo: 20 * 24 * time.Hour, Recover: time.Hour,
		Extra: "url: https://wiki.example.com/" + id + "\nstatus: published\npublished_at: " + published + "\naction_items:\n" + items,
	})
}

func item(id, owner string, dueDaysAgo int, status string) string {
	due := time.Now().UTC().AddDate(0, 0, -dueDaysAgo).Format(time.DateOnly)
	s := fmt.Sprintf("  - id: %s\n    title: item %s\n    owner: %s\n    due: %s\n    status: %s\n    url: https://tickets.example.com/%s\n",
		id, id, owner, due, status, id)
	if status == "done" {
		s += "    closed_at: " + time.Now().UTC().AddDate(0, 0, -dueDaysAgo-1).Format(time.RFC3339) + "\n"
	}
	return s
}

// TestOverdueItemsReachTheirOwners runs the exporter, Prometheus with the
// rules and Alertmanager with the generated routing, and checks each team's
// receiver gets one notification per owner listing exactly that owner's
// overdue items with their links, never a done item; then that a source
// down holds back the per-item alerts.
func TestOverdueItemsReachTheirOwners(t *testing.T) {
	dir := t.TempDir()
	writeActionItemsRecord(t, dir, "PM-PAY-1", "payments",
		item("PAY-1", "alice", 10, "open")+item("PAY-2", "alice", 3, "open")+
			item("PAY-3", "bob", 5, "open")+item("PAY-4", "bob", 5, "done")+item("PAY-5", "bob", -7, "open"))
	longTitle := strings.Repeat("Rewrite the retry loop ", 6) // 138 characters: cut to 99 and "…"
	writeActionItemsRecord(t, dir, "PM-SRCH-1", "search", item("SRCH-1", "carol", 2, "open")+
		strings.Replace(item("SRCH-2", "carol", 4, "open"), "title: item SRCH-2", "title: "+longTitle, 1))

	hook := &webhook{byTeam: map[string][]notification{}}
	server := httptest.NewServer(hook)
	defer server.Close()

	cfg := dashboards.DefaultConfig()
	cfg.OverdueItemFor, cfg.SourceDownFor = "0s", "0s" // fire at once in the test
	work := t.TempDir()
	rules, err := yaml.Marshal(cfg.Rules())
	if err != nil {
		t.Fatal(err)
	}
	amConfig, err := cfg.Alertmanager(dashboards.Receivers{
		Teams: []string{"payments", "search"},
		Notify: func(team string) dashboards.Receiver {
			return dashboards.Receiver{Webhook: []dashboards.Webhook{{URL: server.URL + "/" + team, SendResolved: true}}}
		},
		GroupWait: "1s", GroupInterval: "1s", OverdueRepeat: "168h", TeamRepeat: "24h",
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := cfg.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"rules.yml": rules, "alertmanager.yml": amConfig, "postmortem.tmpl": files[dashboards.AlertmanagerTemplate],
	} {
		if err := os.WriteFile(filepath.Join(work, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	am := testenv.StartAlertmanager(t, filepath.Join(work, "alertmanager.yml"))
	exporter := testenv.StartExporter(t, nil, "--source.dir="+dir, "--refresh.interval=1h")
	testenv.StartPrometheus(t, testenv.PrometheusConfig{
		Targets: []string{exporter.Addr}, RuleFiles: []string{filepath.Join(work, "rules.yml")}, Alertmanager: am.Addr,
	})

	want := map[string]map[string][]string{
		"payments": {
			"alice": {"PAY-1 https://tickets.example.com/PAY-1 https://wiki.example.com/PM-PAY-1 item PAY-1", "PAY-2 https://tickets.example.com/PAY-2 https://wiki.example.com/PM-PAY-1 item PAY-2"},
			"bob":   {"PAY-3 https://tickets.example.com/PAY-3 https://wiki.example.com/PM-PAY-1 item PAY-3"},
		},
		"search": {"carol": {
			"SRCH-1 https://tickets.example.com/SRCH-1 https://wiki.example.com/PM-SRCH-1 item SRCH-1",
			"SRCH-2 https://tickets.example.com/SRCH-2 https://wiki.example.com/PM-SRCH-1 " + longTitle[:99] + "…",
		}},
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		for team, owners := range want {
			got, err := hook.overdueByOwner(team)
			if err != nil {
				return err
			}
			if fmt.Sprint(got) != fmt.Sprint(owners) {
				return fmt.Errorf("team %s: owners' items %v, want %v", team, got, owners)
			}
		}
		return nil
	})

	// The owner's notification, as Alertmanager posted it, rendered with
	// the committed template by amtool: each item named by its title.
	text := renderOverdueText(t, hook.latest("search"))
	for _, line := range []string{
		"- item SRCH-1: SRCH-1 from PM-SRCH-1 (search), due ",
		"- " + longTitle[:99] + "…: SRCH-2 from PM-SRCH-1 (search), due ",
	} {
		if !strings.Contains(text, line) {
			t.Errorf("carol's notification does not name the item by its title (%q):\n%s", line, text)
		}
	}

	// The source goes away: the exporter serves its last snapshot, the
	// per-item alerts keep firing in Prometheus, Alertmanager holds them.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := exporter.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, func() error {
		var alerts []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				State       string   `json:"state"`
				InhibitedBy []string `json:"inhibitedBy"`
			} `json:"status"`
		}
		body := testenv.Get(t, am.URL+"/api/v2/alerts?"+url.Values{"filter": {`alertname="PostmortemActionItemOverdue"`}}.Encode())
		if err := json.Unmarshal([]byte(body), &alerts); err != nil {
			return err
		}
		if len(alerts) != 5 {
			return fmt.Errorf("%d per-item alerts in Alertmanager, want 5", len(alerts))
		}
		for _, a := range alerts {
			if a.Status.State != "suppressed" || len(a.Status.InhibitedBy) == 0 {
				return fmt.Errorf("per-item alert %s is %s, not inhibited", a.Labels["id"], a.Status.State)
			}
		}
		return nil
	})
}

// alertmanagerFiles are the committed Alertmanager configurations: the
// webhook placeholder and the three receiver examples.
var alertmanagerFiles = []string{dashboards.AlertmanagerFile, dashboards.AlertmanagerSlack, dashboards.AlertmanagerPager, dashboards.AlertmanagerEmail}

// TestAlertmanagerConfig has amtool check each committed configuration,
// with its template found beside it.
func TestAlertmanagerConfig(t *testing.T) {
	amtool := testenv.RequireCommand(t, "amtool")
	for _, name := range alertmanagerFiles {
		cmd := exec.Command(amtool, "check-config", filepath.Base(name))
		cmd.Dir = filepath.Join(deployDir, filepath.Dir(name))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "1 templates") {
			t.Errorf("amtool check-config %s: %v\n%s", name, err, out)
		}
	}
}

// secretKeys are the Alertmanager fields of the integrations used that
// hold a secret inline; each has a *_file twin.
var secretKeys = map[string]bool{
	"api_url": true, "slack_api_url": true, "app_token": true, "routing_key": true, "service_key": true,
	"auth_password": true, "auth_secret": true, "smtp_auth_password": true, "smtp_auth_secret": true,
}

// TestReceiverExamples checks each receiver example uses its integration
// in every team receiver, reads every secret from a file (no inline
// secret anywhere in the file), and routes exactly as alertmanager.yml
// does: per team, per-item alerts grouped by owner.
func TestReceiverExamples(t *testing.T) {
	type config struct {
		Route     any              `yaml:"route"`
		Inhibit   any              `yaml:"inhibit_rules"`
		Receivers []map[string]any `yaml:"receivers"`
	}
	load := func(name string) (config, map[string]any) {
		data, err := os.ReadFile(filepath.Join(deployDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var cfg config
		var tree map[string]any
		if err := yaml.Unmarshal(data, &cfg); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &tree); err != nil {
			t.Fatal(err)
		}
		return cfg, tree
	}
	base, _ := load(dashboards.AlertmanagerFile)
	for name, integration := range map[string]string{
		dashboards.AlertmanagerSlack: "slack_configs", dashboards.AlertmanagerPager: "pagerduty_configs", dashboards.AlertmanagerEmail: "email_configs",
	} {
		cfg, tree := load(name)
		if fmt.Sprint(cfg.Route, cfg.Inhibit) != fmt.Sprint(base.Route, base.Inhibit) {
			t.Errorf("%s routes otherwise than %s", name, dashboards.AlertmanagerFile)
		}
		if len(cfg.Receivers) != 5 {
			t.Errorf("%s: %d receivers, want default and the 4 example teams", name, len(cfg.Receivers))
		}
		for _, r := range cfg.Receivers[1:] {
			if _, ok := r[integration]; !ok || len(r) != 2 {
				t.Errorf("%s: receiver %v, want only %s", name, r["name"], integration)
			}
		}
		files := 0
		walkYAML(tree, func(key string, value any) {
			if secretKeys[key] {
				t.Errorf("%s: inline secret %s", name, key)
			}
			if strings.HasSuffix(key, "_file") {
				files++
				if path, _ := value.(string); !strings.HasPrefix(path, dashboards.SecretsDir+"/") {
					t.Errorf("%s: %s is %v, want a file under %s", name, key, value, dashboards.SecretsDir)
				}
			}
		})
		if files == 0 {
			t.Errorf("%s reads no secret from a file", name)
		}
	}
}

// walkYAML calls visit for every key of every mapping in a decoded YAML tree.
func walkYAML(node any, visit func(key string, value any)) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			visit(k, v)
			walkYAML(v, visit)
		}
	case []any:
		for _, v := range n {
			walkYAML(v, visit)
		}
	}
}

// TestAlertmanagerTemplateEncodesTeamLink has amtool render the committed
// notification template for the overdue items of a team named "a&b c/d":
// the link to the team's dashboard must carry the whole team as the one
// value of var-team, query-escaped, instead of ending the parameter at
// "&" and adding a parameter "b c/d".
func TestAlertmanagerTemplateEncodesTeamLink(t *testing.T) {
	const team = "a&b c/d"
	labels := map[string]string{"alertname": "PostmortemActionItemOverdue", "id": "PM-1-1", "incident": "PM-1", "owner": "alice", "team": team, "due": "2026-05-01"}
	data, err := json.Marshal(map[string]any{
		"receiver": "team-a", "status": "firing", "externalURL": "http://alertmanager.example.com",
		"alerts":       []any{map[string]any{"status": "firing", "labels": labels, "annotations": map[string]string{}, "startsAt": "2026-05-02T00:00:00Z"}},
		"groupLabels":  map[string]string{"owner": "alice"},
		"commonLabels": labels, "commonAnnotations": map[string]string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := renderOverdueText(t, data)
	_, link, found := strings.Cut(out, "Team dashboard: ")
	if !found {
		t.Fatalf("no team dashboard link in the notification:\n%s", out)
	}
	link = strings.TrimSpace(link)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	if q := u.Query(); len(q) != 1 || q.Get("var-team") != team || u.Path != "/d/postmortem-team" {
		t.Errorf("link %q opens %s with %v, want var-team=%q alone", link, u.Path, q, team)
	}
}

// latest is the last notification the team received, as posted.
func (w *webhook) latest(team string) []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	bodies := w.bodies[team]
	if len(bodies) == 0 {
		return nil
	}
	return bodies[len(bodies)-1]
}

// renderOverdueText has amtool render the committed template's
// postmortem.overdue.text for a notification's data.
func renderOverdueText(t *testing.T, data []byte) string {
	t.Helper()
	amtool := testenv.RequireCommand(t, "amtool")
	file := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(amtool, "template", "render",
		"--template.glob="+filepath.Join(deployDir, dashboards.AlertmanagerTemplate),
		"--template.text="+`{{ template "postmortem.overdue.text" . }}`, "--template.data="+file).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool template render: %v\n%s", err, out)
	}
	return string(out)
}
