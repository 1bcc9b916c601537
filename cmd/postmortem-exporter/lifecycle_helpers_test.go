package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// writeBusyIncident writes a record in review with one service, one
// affected customer and items open action items, overdue by overdue when
// overdue > 0 and due in a week otherwise: each record adds exactly 1 to
// every per-incident total, whichever collector publishes it.
func writeBusyIncident(t testing.TB, dir, id, team string, items int, overdue time.Duration) {
	t.Helper()
	var extra strings.Builder
	fmt.Fprintf(&extra, "status: in_review\nservices: [svc-%s]\nimpact:\n  customers_affected: 1\naction_items:\n", id)
	for i := range items {
		due := time.Now().UTC().AddDate(0, 0, 7)
		if overdue > 0 {
			due = time.Now().UTC().Add(-overdue)
		}
		fmt.Fprintf(&extra, "  - id: %s-action-item-%03d\n    title: make %[1]s impossible to repeat, step %[2]d\n    owner: owner-of-%[1]s-%[2]d@example.com\n    due: %s\n    status: open\n",
			id, i, due.Format(time.DateOnly))
	}
	testenv.WriteIncident(t, dir, testenv.Incident{ID: id, Severity: "sev2", Team: team, StartedAgo: 72 * time.Hour, Recover: time.Hour, Extra: extra.String()})
}
