package trackers

import (
	"fmt"
	"strings"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Drift is one way an item and its ticket disagree, or the ticket cannot
// confirm the item: a tracker_drift finding on the item's Field.
type Drift struct {
	Field   string // the item's field: status, owner or url
	Message string
}

func drift(field, format string, args ...any) Drift {
	return Drift{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Owner maps a tracker account to an owner name (docs/trackers.md): with
// an owners map, the name it gives the account (without case), false
// when it names none; without one, a login as it is, or an email
// address's local part, in Unicode NFC as records' names are.
func (f File) Owner(account string) (string, bool) {
	if f.Owners != nil {
		owner, ok := f.Owners[strings.ToLower(account)]
		return owner, ok
	}
	if local, _, ok := strings.Cut(account, "@"); ok {
		account = local
	}
	return record.NormalName(account), account != ""
}

// maxOwnerLength bounds an owner name taken from a tracker, as
// --records.max-label-length's default bounds a record's.
const maxOwnerLength = 256

// Apply merges what the ticket t of the tracker at index tracker says
// into the item a, as the file's precedence says, and returns the item
// and every way the two disagree (the table of docs/trackers.md). An
// item whose ticket cannot be read keeps the record's state.
func (f File) Apply(a record.ActionItem, t Ticket, tracker int) (record.ActionItem, []Drift) {
	var drifts []Drift
	switch t.Outcome {
	case Found:
	case Moved:
		drifts = append(drifts, drift("url", "ticket %s moved to %s: update the item's url", t.Key, t.MovedTo))
		if t.Status == "" && t.TrackerStatus == "" {
			return a, drifts // the tracker did not follow it
		}
	case NotFound:
		return a, []Drift{drift("url", "ticket %s does not exist (deleted, or a wrong url)", t.Key)}
	case Forbidden:
		return a, []Drift{drift("url", "the token of %s may not read ticket %s", f.Trackers[tracker].URL, t.Key)}
	default:
		return a, []Drift{drift("url", "ticket %s: the tracker's client gave an unknown outcome %q", t.Key, t.Outcome)}
	}
	a, drifts = f.applyStatus(a, t, drifts)
	a, drifts = f.applyOwner(a, t, drifts)
	if !t.Due.IsZero() && (a.Due.IsZero() || f.Precedence.Due == SideTracker) {
		a.Due = t.Due
	}
	return a, drifts
}

// applyStatus merges the ticket's status and close time.
func (f File) applyStatus(a record.ActionItem, t Ticket, drifts []Drift) (record.ActionItem, []Drift) {
	if t.Status == "" {
		return a, append(drifts, drift("status", "ticket %s's status %q maps to no item status", t.Key, t.TrackerStatus))
	}
	if t.Status != a.Status {
		drifts = append(drifts, drift("status", "record says %s, ticket %s says %s (%s)", a.Status, t.Key, t.Status, t.TrackerStatus))
	}
	if f.Precedence.Status != SideTracker {
		return a, drifts
	}
	a.Status, a.StateSource = t.Status, record.StateTracker
	switch {
	case t.Status == record.ItemOpen:
		a.ClosedAt = time.Time{} // a reopened ticket
	case !t.ClosedAt.IsZero():
		a.ClosedAt = t.ClosedAt
	case a.ClosedAt.IsZero():
		a.ClosedAt = t.UpdatedAt
	}
	if !a.ClosedAt.IsZero() && a.ClosedAt.Before(a.CreatedAt) {
		// A ticket closed before the post-mortem wrote the item down (a fix
		// made during the incident): done when it was created, not in a
		// negative time.
		a.ClosedAt = a.CreatedAt
	}
	return a, drifts
}

// applyOwner merges the ticket's assignee.
func (f File) applyOwner(a record.ActionItem, t Ticket, drifts []Drift) (record.ActionItem, []Drift) {
	recordOwner := a.Owner
	if recordOwner == "" {
		recordOwner = "no owner"
	}
	switch len(t.Assignees) {
	case 0:
		if a.Owner != "" {
			drifts = append(drifts, drift("owner", "record says %s, ticket %s has no assignee", a.Owner, t.Key))
		}
	case 1:
		owner, ok := f.Owner(t.Assignees[0])
		bad := record.CheckName(owner)
		switch {
		case !ok && f.Owners != nil:
			drifts = append(drifts, drift("owner", "ticket %s's assignee %s is not in the owners map", t.Key, t.Assignees[0]))
		case !ok || bad != nil || len(owner) > maxOwnerLength:
			drifts = append(drifts, drift("owner", "ticket %s's assignee %q gives no usable owner name: map it in owners", t.Key, t.Assignees[0]))
		case owner != a.Owner:
			drifts = append(drifts, drift("owner", "record says %s, ticket %s says %s", recordOwner, t.Key, owner))
			if f.Precedence.Owner == SideTracker {
				a.Owner = owner
			}
		}
	default:
		drifts = append(drifts, drift("owner", "ticket %s has %d assignees (%s): an item has exactly one owner",
			t.Key, len(t.Assignees), strings.Join(t.Assignees, ", ")))
	}
	return a, drifts
}
