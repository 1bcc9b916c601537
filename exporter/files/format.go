package files

import (
	"bytes"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// frontMatterFields is a record as its front matter spells it, in the
// order of the template (docs/records.md).
type frontMatterFields struct {
	ID               string     `yaml:"id"`
	Title            string     `yaml:"title"`
	Severity         string     `yaml:"severity"`
	SecurityIncident bool       `yaml:"security_incident,omitempty"`
	Team             string     `yaml:"team"`
	Services         []string   `yaml:"services,omitempty"`
	URL              string     `yaml:"url,omitempty"`
	StartedAt        utcTime    `yaml:"started_at"`
	DetectedAt       utcTime    `yaml:"detected_at"`
	AcknowledgedAt   utcTime    `yaml:"acknowledged_at,omitempty"`
	MitigatedAt      utcTime    `yaml:"mitigated_at,omitempty"`
	ResolvedAt       utcTime    `yaml:"resolved_at,omitempty"`
	Origin           string     `yaml:"origin"`
	Resolution       string     `yaml:"resolution,omitempty"`
	Detection        string     `yaml:"detection"`
	Impact           *impact    `yaml:"impact,omitempty"`
	Related          []string   `yaml:"related,omitempty"`
	Status           string     `yaml:"status"`
	PublishedAt      utcTime    `yaml:"published_at,omitempty"`
	ActionItems      []itemYAML `yaml:"action_items,omitempty"`
	Moderator        string     `yaml:"moderator,omitempty"`
	BarRaiser        string     `yaml:"bar_raiser,omitempty"`
	Learnings        []string   `yaml:"learnings,omitempty"`
	SecurityReview   *review    `yaml:"security_review,omitempty"`
	Custom           yaml.Node  `yaml:"custom,omitempty"`
}

type review struct {
	By      string  `yaml:"by"`
	Outcome string  `yaml:"outcome"`
	Date    utcTime `yaml:"date,omitempty"`
}

// exception is an action item's exception in its mapping form.
type exception struct {
	Approver string `yaml:"approver,omitempty"`
	Reason   string `yaml:"reason"`
}

type impact struct {
	CustomersAffected int64 `yaml:"customers_affected,omitempty"`
	FailedRequests    int64 `yaml:"failed_requests,omitempty"`
	DataLoss          bool  `yaml:"data_loss,omitempty"`
	P99LatencyMS      int64 `yaml:"p99_latency_ms,omitempty"`
}

type itemYAML struct {
	ID        string     `yaml:"id"`
	Title     string     `yaml:"title"`
	Owner     string     `yaml:"owner,omitempty"`
	Team      string     `yaml:"team,omitempty"`
	CreatedAt utcTime    `yaml:"created_at,omitempty"`
	Due       day        `yaml:"due,omitempty"`
	Status    string     `yaml:"status"`
	ClosedAt  utcTime    `yaml:"closed_at,omitempty"`
	Exception *exception `yaml:"exception,omitempty"`
	URL       string     `yaml:"url,omitempty"`
}

// Format writes a record as a Markdown file with YAML front matter, the
// form Read reads back into the same record; narrative follows the front
// matter.
func Format(r *record.Record, narrative string) ([]byte, error) {
	f := frontMatterFields{
		ID: r.ID, Title: r.Title, Severity: r.Severity, SecurityIncident: r.SecurityIncident, Team: r.Team,
		Services: r.Services, URL: r.URL, StartedAt: utcTime(r.StartedAt), DetectedAt: utcTime(r.DetectedAt),
		AcknowledgedAt: utcTime(r.AcknowledgedAt),
		MitigatedAt:    utcTime(r.MitigatedAt), ResolvedAt: utcTime(r.ResolvedAt), Origin: r.Origin,
		Resolution: r.Resolution, Detection: r.Detection, Related: r.Related, Status: r.Status,
		PublishedAt: utcTime(r.PublishedAt), Moderator: r.Moderator, BarRaiser: r.BarRaiser, Learnings: r.Learnings,
	}
	f.Custom = customNode(r)
	if sr := r.SecurityReview; sr != nil {
		f.SecurityReview = &review{By: sr.By, Outcome: sr.Outcome, Date: utcTime(sr.Date)}
	}
	if r.Impact != (record.Impact{}) {
		f.Impact = &impact{r.Impact.CustomersAffected, r.Impact.FailedRequests, r.Impact.DataLoss, r.Impact.P99LatencyMS}
	}
	for _, a := range r.ActionItems {
		item := itemYAML{
			ID: a.ID, Title: a.Title, Owner: a.Owner, Team: a.Team, CreatedAt: utcTime(a.CreatedAt),
			Due: day(a.Due), Status: a.Status, ClosedAt: utcTime(a.ClosedAt), URL: a.URL,
		}
		if a.Exception != "" {
			item.Exception = &exception{Approver: a.ExceptionApprover, Reason: a.Exception}
		}
		f.ActionItems = append(f.ActionItems, item)
	}
	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("format %s: %w", r.ID, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("format %s: %w", r.ID, err)
	}
	buf.WriteString("---\n")
	buf.WriteString(narrative)
	return buf.Bytes(), nil
}

// customNode writes the custom fields in sorted key order, each value in
// the form that reads back as the same value: a number or bool plain, a
// string quoted when it would read as something else. The zero node
// (none) is left out.
func customNode(r *record.Record) yaml.Node {
	if len(r.Custom) == 0 {
		return yaml.Node{}
	}
	m := yaml.Node{Kind: yaml.MappingNode}
	for _, k := range r.CustomKeys() {
		v := &yaml.Node{Kind: yaml.ScalarNode, Value: record.CustomLabel(r.Custom[k])}
		if _, ok := r.Custom[k].(string); ok {
			v.Tag = "!!str" // quoted when it would read as a number or bool
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, v)
	}
	return m
}

// utcTime is an instant, written in UTC as a plain YAML timestamp; the
// zero time is left out.
type utcTime time.Time

// IsZero tells the encoder to leave out a zero time.
func (t utcTime) IsZero() bool { return time.Time(t).IsZero() }

// MarshalYAML writes the instant as RFC 3339 in UTC.
func (t utcTime) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: time.Time(t).UTC().Format(time.RFC3339)}, nil
}

// day is a date, written as a plain YAML date; the zero day is left out.
type day time.Time

// IsZero tells the encoder to leave out a zero day.
func (d day) IsZero() bool { return time.Time(d).IsZero() }

// MarshalYAML writes the date as YYYY-MM-DD.
func (d day) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: time.Time(d).Format(time.DateOnly)}, nil
}
