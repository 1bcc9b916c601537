package dashboards

import (
	"fmt"
	"strings"

	m "github.com/postmortem-exporter/postmortem-exporter/collectors"
)

// RuleFile is a Prometheus rule file.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is a named group of rules evaluated together.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// Rule is a recording rule (Record set) or an alerting rule (Alert set).
type Rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Names of the recording rules, `level:metric:operation`.
const (
	RecordMTTR              = "window_severity:postmortem_time_to_recover_seconds:mean"
	RecordMTTD              = "window_severity:postmortem_time_to_detect_seconds:mean"
	RecordRecoverP90        = "window_severity:postmortem_time_to_recover_seconds:p90"
	RecordWindowMTTR        = "window:postmortem_time_to_recover_seconds:mean"
	RecordCustomerDetected  = "window:postmortem_incidents_customer_detected:ratio"
	RecordTeamOverdue       = "team:postmortem_action_items_overdue:sum"
	RecordWindowOnTimeRatio = "window:postmortem_action_items_on_time:ratio"
)

// Rules returns the recording and alerting rules.
func (c Config) Rules() RuleFile {
	return RuleFile{Groups: []RuleGroup{
		{Name: "postmortem.rules", Rules: c.recordingRules()},
		{Name: "postmortem.alerts", Rules: c.alertingRules()},
	}}
}

func (c Config) recordingRules() []Rule {
	return []Rule{
		{Record: RecordMTTR, Expr: c.mean(m.MetricTimeToRecover, "window, severity")},
		{Record: RecordMTTD, Expr: c.mean(m.MetricTimeToDetect, "window, severity")},
		{Record: RecordRecoverP90, Expr: c.exact(0.9, m.MetricTimeToRecover)},
		{Record: RecordWindowMTTR, Expr: c.mean(m.MetricTimeToRecover, "window")},
		{Record: RecordCustomerDetected, Expr: c.share(m.MetricIncidentsByDetection, "window", `detection="customer"`)},
		{Record: RecordTeamOverdue, Expr: c.sumBy(m.MetricActionItemsOverdue, "team")},
		{Record: RecordWindowOnTimeRatio, Expr: c.onTime("window")},
	}
}

// alert builds an alerting rule with its runbook link.
func (c Config) alert(name, expr, forDuration, severity, summary, description string) Rule {
	return Rule{
		Alert: name, Expr: expr, For: forDuration,
		Labels: map[string]string{"severity": severity},
		Annotations: map[string]string{
			"summary":     summary,
			"description": description,
			"runbook_url": fmt.Sprintf("%s#%s", c.RunbookURL, anchor(name)),
		},
	}
}

// teamAlert is an alert about one team, with a dashboard_url to its
// drill-down.
func (c Config) teamAlert(name, expr, forDuration, severity, summary, description string) Rule {
	r := c.alert(name, expr, forDuration, severity, summary, description)
	r.Annotations["dashboard_url"] = c.teamDashboardURL("$labels.team")
	return r
}

// alertingRules follow the monitoring-mixins guidelines that mixtool
// lint checks: the summary is one plain sentence, the description holds
// the templated details.
func (c Config) alertingRules() []Rule {
	// The item's incident severity moves to incident_severity, so that the
	// alert's own severity label does not hide it.
	overdueItem := fmt.Sprintf(`label_replace(%s, "incident_severity", "$1", "severity", "(.*)")`, c.overdueItems())
	return []Rule{
		c.teamAlert("PostmortemActionItemOverdue", overdueItem, c.OverdueItemFor, "warning",
			"A post-mortem action item is overdue.",
			"{{ $labels.owner }} ({{ $labels.team }}) owns action item {{ $labels.id }}{{ with $labels.title }} \"{{ . }}\"{{ end }} from post-mortem {{ $labels.incident }}, "+
				"due {{ $labels.due }}, {{ $value | printf \"%.0f\" }} days overdue. Ticket: {{ $labels.ticket_url }} Post-mortem: {{ $labels.postmortem_url }}"),
		c.teamAlert("PostmortemTeamTooManyOverdueItems",
			fmt.Sprintf("%s > %d", c.sumBy(m.MetricActionItemsOverdue, "team"), c.TeamOverdueItems), "1h", "warning",
			"A team has too many overdue post-mortem action items.",
			fmt.Sprintf("Team {{ $labels.team }} has {{ $value }} overdue action items, more than %d.", c.TeamOverdueItems)),
		c.teamAlert("PostmortemNotPublished",
			fmt.Sprintf("%s > %d * 86400", c.dedup(m.MetricReviewsPendingAge), c.UnpublishedDays), "1h", "info",
			"A post-mortem is unpublished long after its incident was resolved.",
			fmt.Sprintf("An incident of team {{ $labels.team }} was resolved more than %d days ago and its post-mortem is still {{ $labels.status }}.", c.UnpublishedDays)),
		// Per replica on purpose: each replica reads the source itself.
		c.alert("PostmortemExporterSourceDown",
			fmt.Sprintf("%s%s == 0", m.MetricSourceUp, c.selector()), c.SourceDownFor, "warning",
			"The exporter cannot read its post-mortem source.",
			"The exporter {{ $labels.instance }} cannot read its {{ $labels.source }} source and serves its last good snapshot; new and changed post-mortems are not seen, and per-item alerts are based on stale data."),
		c.alert("PostmortemInvalidRecords",
			fmt.Sprintf("%s > 0", c.sumBy(m.MetricRecordsInvalid, "source")), c.InvalidRecordsFor, "info",
			"Post-mortem records are invalid.",
			"{{ $value }} records of the {{ $labels.source }} source are invalid and left out of every metric. The exporter logs each with its file, line, field and reason; `postmortem-exporter validate` lists them."),
		c.alert("PostmortemMTTRRegression",
			fmt.Sprintf(`%[1]s{window="%[2]s"} > ignoring (window) (%[3]g * %[1]s{window="%[4]s"})`, RecordWindowMTTR, c.shortWindow(), c.MTTRRegressionFactor, c.longWindow()),
			"1h", "info",
			"Mean time to recover has regressed.",
			fmt.Sprintf("The mean time to recover over %s ({{ $value | humanizeDuration }}) is more than %g times the mean over %s.", c.shortWindow(), c.MTTRRegressionFactor, c.longWindow())),
	}
}

// anchor is the Markdown heading anchor of an alert in docs/runbooks.md.
func anchor(alert string) string { return strings.ToLower(alert) }
