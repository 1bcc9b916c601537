// Package trackers reads the state of action items from the trackers
// that hold their tickets (Jira, GitHub, GitLab, Linear): what one
// tracker answers (Client, one package per vendor under this one), the
// trackers file that configures them, and the mapping of a ticket onto
// an item.
package trackers

import (
	"context"
	"time"
)

// Kinds of tracker, as the trackers file names them.
const (
	KindJira   = "jira"
	KindGitHub = "github"
	KindGitLab = "gitlab"
	KindLinear = "linear"
)

// Tracker is one entry of the trackers file.
type Tracker struct {
	Kind string `yaml:"kind"`
	// URL is where the tickets are shown: an item's url that starts with
	// it names a ticket of this tracker.
	URL string `yaml:"url"`
	// APIURL is the API's root where it is not found from URL (GitHub
	// Enterprise Server, a proxy, a test); empty for the vendor's default.
	APIURL string `yaml:"api_url,omitempty"`
	// User is the account the token belongs to, where the tracker's
	// authentication needs one (Jira Cloud).
	User string `yaml:"user,omitempty"`
	// TokenEnv and TokenFile say where the token is; it is never in the
	// file itself.
	TokenEnv  string `yaml:"token_env,omitempty"`
	TokenFile string `yaml:"token_file,omitempty"`
}

// Ref names one ticket of a tracker.
type Ref struct {
	// Key is the tracker's own name of the ticket: ABC-12, owner/repo#12,
	// group/project#3, ENG-123.
	Key string
	// URL is the item's url that named it.
	URL string
}

// Outcomes of reading one ticket.
const (
	Found     = "found"
	NotFound  = "not_found" // deleted, or never existed
	Forbidden = "forbidden" // the token may not read it
	Moved     = "moved"     // the ticket has another key now (a Jira move, a GitHub transfer)
)

// Ticket is what a tracker says of one ticket, in the record's terms.
type Ticket struct {
	Key     string
	Outcome string
	// MovedTo is the ticket's new key when Outcome is Moved.
	MovedTo string
	// Status is the item status the tracker's own category maps to
	// (record.ItemOpen, ItemDone, ItemWontDo), empty when the mapping
	// does not know it.
	Status string
	// TrackerStatus is the tracker's own words for it (Jira's status and
	// its category, GitHub's state and state_reason), for findings.
	TrackerStatus string
	// ClosedAt is when it was resolved or closed; zero while open.
	ClosedAt time.Time
	// Assignees are the accounts it is assigned to, as the tracker names
	// them (a login, or an email address).
	Assignees []string
	// Due is the start of its due day, UTC; zero when it has none.
	Due       time.Time
	UpdatedAt time.Time
}

// Client reads the tickets of one tracker. A vendor package gives one
// with New(t Tracker, token string, api apiclient.Config) (Client, error),
// setting the api's BaseURL and Auth for its tracker.
type Client interface {
	// Ref tells whether url names a ticket of this tracker, and which.
	Ref(url string) (Ref, bool)
	// Tickets reads the tickets refs name, in as few requests as the
	// tracker allows, and returns one Ticket per Ref.Key: a ticket that
	// cannot be read has its Outcome. An error means the tracker as a
	// whole did not answer (down, rate-limited beyond the wait, token
	// refused): nothing returned with it is to be taken.
	Tickets(ctx context.Context, refs []Ref) (map[string]Ticket, error)
}
