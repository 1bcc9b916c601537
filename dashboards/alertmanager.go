package dashboards

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Paths of the generated Alertmanager files, relative to the output folder.
// The receiver examples sit beside alertmanager.yml, so that the template
// path and the compose mount work the same for each.
const (
	AlertmanagerFile     = "alertmanager/alertmanager.yml"
	AlertmanagerTemplate = "alertmanager/postmortem.tmpl"
	AlertmanagerSlack    = "alertmanager/alertmanager-slack.yml"
	AlertmanagerPager    = "alertmanager/alertmanager-pagerduty.yml"
	AlertmanagerEmail    = "alertmanager/alertmanager-email.yml"
)

// SecretsDir is where the receiver examples read their secrets: the folder
// Docker Compose and Docker Swarm mount secrets in.
const SecretsDir = "/run/secrets"

// Receivers shapes the Alertmanager configuration: one receiver per team,
// notified the way Notify says, and timings.
type Receivers struct {
	Teams []string
	// Notify returns the integrations of a team's receiver.
	Notify func(team string) Receiver
	// SMTP, when set, is the global e-mail server of email_configs.
	SMTP *SMTP
	// GroupWait, GroupInterval: how long Alertmanager gathers alerts into
	// one notification, and waits before adding to one already sent.
	GroupWait, GroupInterval string
	// OverdueRepeat is how often an owner is reminded of overdue items (the
	// weekly nudge); TeamRepeat the same for the team threshold alert.
	OverdueRepeat, TeamRepeat string
}

// Receiver is a team receiver's integrations, in Alertmanager's field
// names. Secrets are only ever read from files (the *_file fields).
type Receiver struct {
	Webhook   []Webhook   `yaml:"webhook_configs,omitempty"`
	Slack     []Slack     `yaml:"slack_configs,omitempty"`
	PagerDuty []PagerDuty `yaml:"pagerduty_configs,omitempty"`
	Email     []Email     `yaml:"email_configs,omitempty"`
}

// Webhook posts the notification as JSON to URL.
type Webhook struct {
	URL          string `yaml:"url"`
	SendResolved bool   `yaml:"send_resolved"`
}

// Slack posts to the incoming webhook whose URL is in APIURLFile.
type Slack struct {
	APIURLFile   string `yaml:"api_url_file"`
	Channel      string `yaml:"channel,omitempty"`
	Title        string `yaml:"title"`
	Text         string `yaml:"text"`
	SendResolved bool   `yaml:"send_resolved"`
}

// PagerDuty sends an Events API v2 event with the integration key in
// RoutingKeyFile; URL, when set, replaces PagerDuty's events endpoint.
type PagerDuty struct {
	RoutingKeyFile string            `yaml:"routing_key_file"`
	URL            string            `yaml:"url,omitempty"`
	Description    string            `yaml:"description"`
	Details        map[string]string `yaml:"details,omitempty"`
}

// Email mails To through the global SMTP server.
type Email struct {
	To           string            `yaml:"to"`
	Headers      map[string]string `yaml:"headers"`
	Text         string            `yaml:"text"`
	HTML         string            `yaml:"html"`
	SendResolved bool              `yaml:"send_resolved"`
}

// SMTP is Alertmanager's global e-mail server, its password read from a file.
type SMTP struct {
	Smarthost        string `yaml:"smtp_smarthost"`
	From             string `yaml:"smtp_from"`
	AuthUsername     string `yaml:"smtp_auth_username"`
	AuthPasswordFile string `yaml:"smtp_auth_password_file"`
}

// The templates of postmortem.tmpl, as the integrations reference them.
const (
	overdueTitle = `{{ template "postmortem.overdue.title" . }}`
	overdueText  = `{{ template "postmortem.overdue.text" . }}`
)

// exampleTeams are the teams of the bundled examples.
var exampleTeams = []string{"identity", "payments", "platform", "search"}

// exampleReceivers is the routing of the generated examples around notify.
func exampleReceivers(notify func(team string) Receiver) Receivers {
	return Receivers{
		Teams: exampleTeams, Notify: notify,
		GroupWait: "1m", GroupInterval: "10m", OverdueRepeat: "168h", TeamRepeat: "24h",
	}
}

// ExampleReceivers is the configuration of the generated example: a
// starting point, with the teams of the bundled examples and a webhook
// placeholder per team.
func ExampleReceivers() Receivers {
	return exampleReceivers(func(team string) Receiver {
		return Receiver{Webhook: []Webhook{{URL: "http://alert-router.example.com/postmortem/" + team, SendResolved: true}}}
	})
}

// ExampleSlack posts each team's notifications to its channel through an
// incoming webhook (one per channel, as Slack issues them) whose URL is
// read from secrets/slack-<team>.
func ExampleSlack(secrets string) Receivers {
	return exampleReceivers(func(team string) Receiver {
		return Receiver{Slack: []Slack{{
			APIURLFile: secrets + "/slack-" + team, Channel: "#" + team + "-postmortems",
			Title: overdueTitle, Text: overdueText, SendResolved: true,
		}}}
	})
}

// ExamplePagerDuty opens a PagerDuty incident on each team's service, its
// integration key read from secrets/pagerduty-<team>; eventsURL, when not
// empty, replaces PagerDuty's endpoint (for a test).
func ExamplePagerDuty(secrets, eventsURL string) Receivers {
	return exampleReceivers(func(team string) Receiver {
		return Receiver{PagerDuty: []PagerDuty{{
			RoutingKeyFile: secrets + "/pagerduty-" + team, URL: eventsURL,
			Description: overdueTitle, Details: map[string]string{"items": overdueText},
		}}}
	})
}

// ExampleEmail mails each team's leads through one SMTP server whose
// password is read from secrets/smtp-password.
func ExampleEmail(secrets string) Receivers {
	r := exampleReceivers(func(team string) Receiver {
		return Receiver{Email: []Email{{
			To:      team + "-leads@example.com",
			Headers: map[string]string{"Subject": overdueTitle},
			Text:    overdueText,
			// Alertmanager's default e-mail body is HTML; ours is the text.
			HTML: `<pre>` + `{{ template "postmortem.overdue.text" . }}` + `</pre>`, SendResolved: true,
		}}}
	})
	r.SMTP = &SMTP{
		Smarthost: "smtp.example.com:587", From: "alertmanager@example.com",
		AuthUsername: "alertmanager@example.com", AuthPasswordFile: secrets + "/smtp-password",
	}
	return r
}

type amConfig struct {
	Global       *SMTP        `yaml:"global,omitempty"`
	Templates    []string     `yaml:"templates"`
	Route        amRoute      `yaml:"route"`
	InhibitRules []amInhibit  `yaml:"inhibit_rules"`
	Receivers    []amReceiver `yaml:"receivers"`
}

type amRoute struct {
	Receiver       string    `yaml:"receiver,omitempty"`
	Matchers       []string  `yaml:"matchers,omitempty"`
	GroupBy        []string  `yaml:"group_by,omitempty"`
	GroupWait      string    `yaml:"group_wait,omitempty"`
	GroupInterval  string    `yaml:"group_interval,omitempty"`
	RepeatInterval string    `yaml:"repeat_interval,omitempty"`
	Routes         []amRoute `yaml:"routes,omitempty"`
}

type amInhibit struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal"`
}

type amReceiver struct {
	Name     string `yaml:"name"`
	Receiver `yaml:",inline"`
}

// Alertmanager returns an Alertmanager configuration that routes the
// post-mortem alerts by team, groups the overdue items by owner (one
// notification per owner, listing all their items), reminds weekly, and
// holds back per-item alerts while the exporter cannot read its source.
func (c Config) Alertmanager(r Receivers) ([]byte, error) {
	cfg := amConfig{
		// Relative to the configuration file's folder.
		Templates: []string{"postmortem.tmpl"},
		Route: amRoute{
			Receiver: "default", GroupBy: []string{"alertname"},
			GroupWait: r.GroupWait, GroupInterval: r.GroupInterval, RepeatInterval: r.TeamRepeat,
		},
		InhibitRules: []amInhibit{{
			SourceMatchers: []string{`alertname="PostmortemExporterSourceDown"`},
			TargetMatchers: []string{`alertname="PostmortemActionItemOverdue"`},
			Equal:          []string{"job"},
		}},
		Receivers: []amReceiver{{Name: "default"}},
		Global:    r.SMTP,
	}
	for _, team := range r.Teams {
		receiver := "team-" + team
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{
			Receiver: receiver,
			Matchers: []string{fmt.Sprintf("team=%q", team)},
			Routes: []amRoute{
				{Matchers: []string{`alertname="PostmortemActionItemOverdue"`}, GroupBy: []string{"owner"}, RepeatInterval: r.OverdueRepeat},
				{Matchers: []string{`alertname="PostmortemTeamTooManyOverdueItems"`}, GroupBy: []string{"team"}, RepeatInterval: r.TeamRepeat},
			},
		})
		cfg.Receivers = append(cfg.Receivers, amReceiver{Name: receiver, Receiver: r.Notify(team)})
	}
	var out bytes.Buffer
	out.WriteString(alertmanagerHeader)
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return nil, fmt.Errorf("alertmanager config: %w", err)
	}
	return out.Bytes(), nil
}

const alertmanagerHeader = `# Generated by ` + "`postmortem-exporter generate`" + ` (dashboards/alertmanager.go): a
# starting point, see docs/alerting.md. One receiver per team; the overdue
# action items of one owner arrive as one notification, repeated weekly.
# alertmanager.yml posts to a webhook placeholder per team; beside it,
# alertmanager-slack.yml, alertmanager-pagerduty.yml and
# alertmanager-email.yml route the same way to Slack, PagerDuty or e-mail
# and read every secret from a file under /run/secrets (never inline).
`

// alertmanagerTemplate lists an owner's overdue items by title (the
// overdue series carry at most collectors.TitleLabelMax characters of
// it), with their id, incident, due day and links, and links to the
// team's drill-down.
func (c Config) alertmanagerTemplate() string {
	return strings.Replace(alertmanagerTemplateText, "TEAM_DASHBOARD_URL", c.teamDashboardURL(".CommonLabels.team"), 1)
}

// alertmanagerTemplateText is alertmanagerTemplate with a placeholder
// for the team drill-down's address.
const alertmanagerTemplateText = `{{/* Generated by ` + "`postmortem-exporter generate`" + ` (dashboards/alertmanager.go). */}}
{{ define "postmortem.overdue.title" -}}
{{ if .CommonLabels.owner }}{{ .CommonLabels.owner }}: {{ end }}{{ len .Alerts.Firing }} overdue post-mortem action item{{ if gt (len .Alerts.Firing) 1 }}s{{ end }}
{{- end }}

{{ define "postmortem.overdue.text" -}}
{{ range .Alerts.Firing -}}
- {{ if .Labels.title }}{{ .Labels.title }}: {{ end }}{{ .Labels.id }} from {{ .Labels.incident }} ({{ .Labels.team }}), due {{ .Labels.due }}
  {{- if .Labels.ticket_url }} | ticket: {{ .Labels.ticket_url }}{{ end }}
  {{- if .Labels.postmortem_url }} | post-mortem: {{ .Labels.postmortem_url }}{{ end }}
{{ end -}}
{{ if .CommonLabels.team }}Team dashboard: TEAM_DASHBOARD_URL
{{ end -}}
{{ end }}
`
