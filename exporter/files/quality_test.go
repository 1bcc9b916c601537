package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// sev1WithTwoOwners is a sound SEV1 whose only action item names two
// owners: 3 hours to recover.
const sev1WithTwoOwners = `---
id: PM-1
title: Checkout down
severity: sev1
team: payments
started_at: 2026-05-20T10:00:00Z
detected_at: 2026-05-20T10:10:00Z
resolved_at: 2026-05-20T13:00:00Z
origin: code_change
resolution: rollback
detection: customer
status: published
published_at: 2026-05-22T10:00:00Z
moderator: mia
bar_raiser: bob
action_items:
  - {id: PM-1-1, title: Add a canary stage, owner: [ann, bob], due: 2026-05-30, status: open}
---
`

// sev2WithEveryWarning breaks every warning rule at once: no bar raiser,
// a security incident without a review, published 20 days after
// resolution, one item 30 days long and habitual; 1 hour to recover.
const sev2WithEveryWarning = `---
id: PM-2
title: Search slow
severity: sev2
security_incident: true
team: search
started_at: 2026-04-20T10:00:00Z
detected_at: 2026-04-20T10:10:00Z
resolved_at: 2026-04-20T11:00:00Z
origin: code_change
resolution: rollback
detection: automated
status: published
published_at: 2026-05-10T11:00:00Z
learnings: [Config changes need a second reader]
action_items:
  - {id: PM-2-1, title: Be careful with config changes, owner: cy, due: 2026-06-09, status: open}
---
`

func writeRecords(t *testing.T, texts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range texts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFindingsNeverHideAnIncident: a SEV1 whose action item has two owners
// (an error) and a SEV2 with every warning are both served: they count in
// MTTR and the severity share, and their findings are counted per team and
// rule. Before the quality bar the SEV1 was invalid, and the SEV1 share
// and MTTR looked better without it.
func TestFindingsNeverHideAnIncident(t *testing.T) {
	dir := writeRecords(t, map[string]string{"pm-1.md": sev1WithTwoOwners, "pm-2.md": sev2WithEveryWarning})
	tax := record.DefaultTaxonomy()
	src := &Source{FS: os.DirFS(dir), Dir: dir, Limits: record.DefaultLimits(), Options: snapshot.Options{
		Windows:    []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}},
		Severities: tax.Severities, TopServices: 5, OverdueItemsLimit: 5,
	}}
	s, err := src.Snapshot(t.Context(), time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC), record.Config{Taxonomy: tax})
	if err != nil {
		t.Fatal(err)
	}
	if s.Records != 2 || len(s.Problems) != 0 {
		t.Fatalf("served %d records, problems %v; want both served", s.Records, s.Problems)
	}
	// The 90d window holds both: SEV1 share 1/2, MTTR of sev1 3h, of sev2 1h.
	w := s.Windows[1]
	sev1, sev2 := w.Incidents[snapshot.SeverityTeam{Severity: "sev1", Team: "payments"}], w.Incidents[snapshot.SeverityTeam{Severity: "sev2", Team: "search"}]
	if sev1 == nil || sev2 == nil || sev1.Count != 1 || sev2.Count != 1 {
		t.Fatalf("90d incidents: sev1 %+v, sev2 %+v; want one each", sev1, sev2)
	}
	if sev1.TimeToRecover.Count != 1 || sev1.TimeToRecover.Sum != 3*3600 || sev2.TimeToRecover.Sum != 3600 {
		t.Errorf("time to recover: sev1 %d observations summing %g s (want 1, 10800), sev2 %g s (want 3600)",
			sev1.TimeToRecover.Count, sev1.TimeToRecover.Sum, sev2.TimeToRecover.Sum)
	}
	// The item with two owners still counts as an open item of payments.
	if n := s.ActionItems[snapshot.TeamStatus{Team: "payments", Status: record.ItemOpen}]; n != 1 {
		t.Errorf("open items of payments = %d, want 1", n)
	}
	want := map[snapshot.TeamValue]int{
		{Team: "payments", Value: record.RuleActionItemOwner}:  1,
		{Team: "search", Value: record.RuleBarRaiser}:          1,
		{Team: "search", Value: record.RuleModerator}:          1,
		{Team: "search", Value: record.RuleSecurityReview}:     1,
		{Team: "search", Value: record.RulePublishedLate}:      1,
		{Team: "search", Value: record.RuleActionItemSize}:     1,
		{Team: "search", Value: record.RuleActionItemHabitual}: 1,
	}
	if len(s.Findings) != len(want) {
		t.Errorf("findings %v, want %v", s.Findings, want)
	}
	for k, n := range want {
		if s.Findings[k] != n {
			t.Errorf("findings of %s %s = %d, want %d", k.Team, k.Value, s.Findings[k], n)
		}
	}
	// Resolved 04-20T11:00, published 05-10T11:00: 20 days; one learning.
	if sev2.PublicationDelay.Count != 1 || sev2.PublicationDelay.Sum != 20*86400 || sev2.Learnings != 1 {
		t.Errorf("publication delay %d/%g s, learnings %d; want 1/1728000 s, 1", sev2.PublicationDelay.Count, sev2.PublicationDelay.Sum, sev2.Learnings)
	}
}

// TestStaleRecordKeepsItsFindings: a file whose core breaks in an edit is
// served in its last valid version (edits in flight), with that version's
// findings; the broken version's findings are not counted.
func TestStaleRecordKeepsItsFindings(t *testing.T) {
	dir := writeRecords(t, map[string]string{"pm-2.md": sev2WithEveryWarning})
	tax := record.DefaultTaxonomy()
	src := &Source{FS: os.DirFS(dir), Dir: dir, Limits: record.DefaultLimits(), Options: snapshot.Options{
		Windows: []snapshot.Window{{Name: "90d", Length: 90 * 24 * time.Hour}}, Severities: tax.Severities, TopServices: 5, OverdueItemsLimit: 5,
	}}
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	findings := func() int {
		t.Helper()
		s, err := src.Snapshot(t.Context(), asOf, record.Config{Taxonomy: tax})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range s.Findings {
			n += c
		}
		return n
	}
	if n := findings(); n != 6 {
		t.Fatalf("%d findings, want the 6 warnings", n)
	}
	// An edit breaks the core (severity sev9) and adds an owner error:
	// while the last valid version is served, its 6 findings are counted,
	// not the broken version's 7.
	broken := strings.Replace(strings.Replace(sev2WithEveryWarning, "severity: sev2", "severity: sev9", 1), "owner: cy", "owner: [cy, di]", 1)
	if err := os.WriteFile(filepath.Join(dir, "pm-2.md"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := findings(); n != 6 {
		t.Errorf("%d findings while the last valid version is served, want its 6", n)
	}
}
