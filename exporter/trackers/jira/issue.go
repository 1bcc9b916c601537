package jira

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/trackers"
)

// WontDoResolutions are the resolutions (compared without case, ’ read as
// ') that make a done issue wont_do, as docs/trackers.md lists them; any
// other resolution of a done issue is done.
var WontDoResolutions = []string{"won't do", "won't fix", "duplicate", "declined", "cannot reproduce"}

// issue is the part of an IssueBean read: its key and the fields asked for.
type issue struct {
	Key    string `json:"key"`
	Fields struct {
		Status *struct {
			Name           string `json:"name"`
			StatusCategory struct {
				Key string `json:"key"`
			} `json:"statusCategory"`
		} `json:"status"`
		Resolution *struct {
			Name string `json:"name"`
		} `json:"resolution"`
		ResolutionDate string `json:"resolutiondate"`
		// StatusCategoryChanged is when the status category last changed:
		// the close time of a done issue its workflow set no resolution on.
		StatusCategoryChanged string `json:"statuscategorychangedate"`
		Assignee              *struct {
			AccountID    string `json:"accountId"` // Cloud
			Name         string `json:"name"`      // Data Center: the user name
			EmailAddress string `json:"emailAddress"`
		} `json:"assignee"`
		DueDate string `json:"duedate"`
		Updated string `json:"updated"`
	} `json:"fields"`
}

// Jira writes times with a numeric offset without a colon.
const (
	jiraTime = "2006-01-02T15:04:05.000-0700"
	jiraDate = "2006-01-02"
)

// ticket maps the issue onto an item: the status category (new and
// indeterminate are open, done is done, or wont_do by its resolution),
// the resolution date (else the status category's change) of a done
// issue, the assignee (the email address where the account
// shows it, else the Cloud account id or the Data Center user name) and
// the due date.
func (is issue) ticket() (trackers.Ticket, error) {
	t := trackers.Ticket{Key: is.Key, Outcome: trackers.Found}
	f := is.Fields
	var err error
	if t.UpdatedAt, err = parseTime(is.Key, "updated", f.Updated); err != nil {
		return t, err
	}
	if f.DueDate != "" {
		if t.Due, err = time.Parse(jiraDate, f.DueDate); err != nil {
			return t, fmt.Errorf("jira issue %s: field duedate: %q is not a date (YYYY-MM-DD)", is.Key, f.DueDate)
		}
	}
	if a := f.Assignee; a != nil {
		t.Assignees = []string{cmp.Or(a.EmailAddress, a.AccountID, a.Name)}
	}
	if f.Status == nil {
		t.TrackerStatus = "no status"
		return t, nil
	}
	category := f.Status.StatusCategory.Key
	t.TrackerStatus = f.Status.Name + " (" + category + ")"
	switch category {
	case "new", "indeterminate":
		t.Status = record.ItemOpen
		return t, nil
	case "done":
		t.Status = record.ItemDone
	default:
		return t, nil // an unknown category: no status, the core's finding names it
	}
	if r := f.Resolution; r != nil {
		t.TrackerStatus += ", resolution " + r.Name
		if slices.Contains(WontDoResolutions, strings.ToLower(strings.ReplaceAll(r.Name, "’", "'"))) {
			t.Status = record.ItemWontDo
		}
	}
	if f.ResolutionDate != "" {
		t.ClosedAt, err = parseTime(is.Key, "resolutiondate", f.ResolutionDate)
	} else {
		t.ClosedAt, err = parseTime(is.Key, "statuscategorychangedate", f.StatusCategoryChanged)
	}
	return t, err
}

// parseTime reads one of Jira's times; empty is zero.
func parseTime(key, field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{jiraTime, time.RFC3339Nano} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("jira issue %s: field %s: %q is not a time", key, field, v)
}
