package examples_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// TestExamplesQualityBar checks the quality metrics of the bundled
// examples as of their anchor (2026-06-01), worked out by hand from the
// records:
//
//   - findings (default rules, all warnings): identity bar_raiser 2
//     and moderator 2 (PM-2025-040, PM-2026-030 name neither; every other
//     published post-mortem names a moderator), published_late 1
//     (PM-2026-026: resolved 05-03T09:00, published 05-18T09:00, 15 days),
//     action_item_habitual 1 (PM-2026-026-1 "Double check ..."),
//     security_review 1 and action_item_size 1 (PM-2026-034: a security
//     incident without review; item 2 due 18 days after it was created);
//     payments action_item_size 1 (PM-2026-035-2, 16.6 days) and
//     action_item_count 1 (PM-2026-037, a published SEV2 with no item);
//     platform action_item_size 1 (PM-2026-020-2, 23.6 days; PM-2026-033-2
//     is larger but has an exception approved by nadia).
//   - learnings in 30d (started after 05-02): payments 2 (PM-2026-037),
//     identity 1 (PM-2026-026).
//   - repeats: PM-2026-036 (05-29) repeats PM-2026-032, whose two items
//     were open (fix open); PM-2026-038 (05-27) repeats PM-2025-055, whose
//     only item was done in October, and PM-2026-029 (05-09) repeats
//     PM-2026-027, whose items were done 05-06 and declined 04-24 (fix
//     done): 30d repeats after a fix, platform 1 and payments 1.
//   - publication delay of identity in 30d: PM-2026-026 15 days
//     (1296000 s) and PM-2026-030 resolved 05-14T09:10, published
//     05-20T10:00 (521400 s): 2 observations, 1817400 s.
func TestExamplesQualityBar(t *testing.T) {
	folder, err := files.Read(t.Context(), examples.Postmortems(), examples.Dir, files.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: examples.Anchor})
	s := snapshot.FromRecords("files", res, examples.Anchor, snapshot.Options{
		Windows: []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Severities: record.DefaultTaxonomy().Severities,
		TopServices: 5, OverdueItemsLimit: 5,
	})
	if len(res.Problems) != 0 || res.Errors() != 0 {
		t.Fatalf("the examples have problems %v or errors %v", res.Problems, res.Findings)
	}
	type tv = snapshot.TeamValue
	wantFindings := map[tv]int{
		{Team: "identity", Value: record.RuleBarRaiser}: 2, {Team: "identity", Value: record.RuleModerator}: 2,
		{Team: "identity", Value: record.RulePublishedLate}:      1,
		{Team: "identity", Value: record.RuleActionItemHabitual}: 1, {Team: "identity", Value: record.RuleSecurityReview}: 1,
		{Team: "identity", Value: record.RuleActionItemSize}: 1,
		{Team: "payments", Value: record.RuleActionItemSize}: 1, {Team: "payments", Value: record.RuleActionItemCount}: 1,
		{Team: "platform", Value: record.RuleActionItemSize}: 1,
	}
	if !maps.Equal(s.Findings, wantFindings) {
		t.Errorf("findings %v, want %v", s.Findings, wantFindings)
	}
	learnings, delay := map[string]int{}, snapshot.NewHistogram(snapshot.PublicationBuckets)
	for k, st := range s.Windows[0].Incidents {
		learnings[k.Team] += st.Learnings
		if k.Team == "identity" {
			delay.Add(st.PublicationDelay)
		}
	}
	if learnings["payments"] != 2 || learnings["identity"] != 1 || learnings["platform"]+learnings["search"] != 0 {
		t.Errorf("learnings in 30d %v, want payments 2, identity 1", learnings)
	}
	if delay.Count != 2 || delay.Sum != 1817400 {
		t.Errorf("identity's publication delay in 30d: %d observations, %g s; want 2, 1817400 s", delay.Count, delay.Sum)
	}
	if got := s.RepeatsAfterFix[0]; got["platform"] != 1 || got["payments"] != 1 || got["search"] != 0 {
		t.Errorf("repeats after a fix in 30d %v, want platform 1, payments 1", got)
	}
	var list []string
	for _, rp := range s.Repeats {
		list = append(list, rp.Incident+">"+rp.Earlier+map[bool]string{true: " done", false: " open"}[rp.FixDone])
	}
	if want := []string{"PM-2026-036>PM-2026-032 open", "PM-2026-038>PM-2025-055 done", "PM-2026-029>PM-2026-027 done"}; !slices.Equal(list, want) {
		t.Errorf("repeats %v, want %v", list, want)
	}
}
