package snapshot

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestPossibleRepeats works out by hand which incidents may repeat which
// within the default 30 days: same service, same origin, no `related`
// either way, and never on origin unknown.
func TestPossibleRepeats(t *testing.T) {
	day := func(d int) time.Time { return asOf.Add(-60 * 24 * time.Hour).Add(time.Duration(d) * 24 * time.Hour) }
	on := func(id, origin string, d int, related ...string) *record.Record {
		r := incident(id, "a", day(d))
		r.Services, r.Origin, r.Related = []string{"api", "db"}, origin, related
		return r
	}
	records := []*record.Record{
		on("E1", "code_change", 0),
		on("R1", "code_change", 10),       // E1 10 days before
		on("R2", "code_change", 20, "R1"), // E1 20 days before; R1 is linked
		on("X", "config_change", 12),      // another origin
		on("U1", "unknown", 1),            // unknown says nothing
		on("U2", "unknown", 2),
		on("F", "code_change", 45),      // R2 25 days before; R1 35, E1 45: too long ago
		on("L", "code_change", 50, "F"), // linked to F; R2 30 days before: on the edge, in
		on("Later", "code_change", 70),  // after asOf: not started yet
	}
	opts := Options{Windows: []Window{{Name: "365d", Length: 365 * 24 * time.Hour}}}
	s := build(records, opts)
	var got []string
	for _, p := range s.QualityDetail.PossibleRepeats {
		got = append(got, p.Incident+"<"+p.Earlier+" "+p.Service+" "+p.Origin)
	}
	// Each pair shares api and db: listed once, under api.
	want := []string{"L<R2 api code_change", "F<R2 api code_change", "R2<E1 api code_change", "R1<E1 api code_change"}
	if !slices.Equal(got, want) {
		t.Errorf("possible repeats:\n got %v\nwant %v", got, want)
	}
	opts.RepeatsLimit = 3
	if s := build(records, opts); len(s.QualityDetail.PossibleRepeats) != 3 || s.QualityDetail.PossibleRepeatsDropped != 1 {
		t.Errorf("limited to 3: %d listed, %d dropped, want 3 and 1", len(s.QualityDetail.PossibleRepeats), s.QualityDetail.PossibleRepeatsDropped)
	}
}

// TestQualityDetail works out by hand the findings per window, per
// publication month with the post-mortems that pass the bar, and the
// list, for four post-mortems checked with the default rules.
func TestQualityDetail(t *testing.T) {
	at := func(month time.Month, d int) time.Time { return time.Date(2026, month, d, 9, 0, 0, 0, time.UTC) }
	pm := func(id, team string, started time.Time, published time.Time, items ...record.ActionItem) *record.Record {
		r := incident(id, team, started, items...)
		r.Title, r.Severity, r.ResolvedAt, r.Resolution = "t", "sev3", started.Add(time.Hour), "rollback"
		r.Moderator, r.BarRaiser = "mia", "bob"
		if !published.IsZero() {
			r.Status, r.PublishedAt = record.StatusPublished, published
		}
		return r
	}
	item := func(id, title string, created time.Time) record.ActionItem {
		return record.ActionItem{ID: id, Title: title, Owner: "ann", Status: record.ItemOpen, CreatedAt: created, Due: created.Truncate(24 * time.Hour).Add(7 * 24 * time.Hour)}
	}
	p2 := pm("P2", "a", at(time.February, 15), at(time.February, 20))
	p2.Moderator, p2.BarRaiser = "", ""
	records := []*record.Record{
		pm("P1", "a", at(time.February, 8), at(time.February, 10)), // passes
		p2, // no moderator, no bar raiser: 2 findings
		pm("P3", "b", at(time.February, 25), time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC),
			item("P3-1", "Fix it", at(time.February, 26))), // habitual
		pm("D", "b", at(time.January, 10), time.Time{}, item("D-1", "Investigate the lag", at(time.January, 11))), // a draft: vague
	}
	for _, r := range records {
		r.Path = r.ID + ".md"
	}
	s := buildChecked(records, asOf, Options{
		Windows: []Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour}},
		Periods: PeriodOptions{Unit: Month, Count: 2, Location: time.UTC},
	})
	d := s.QualityDetail
	// 30d starts on January 30 at 12:00: D is out.
	if want := []map[string]int{{"a": 2, "b": 1}, {"a": 2, "b": 2}}; !equalMaps(d.ByWindow, want) {
		t.Errorf("findings by window = %v, want %v", d.ByWindow, want)
	}
	// February: P1 passes, P2 has two findings; March: P3 has one. D is
	// not published.
	for i, want := range []struct {
		published, passing int
		findings           map[string]int
	}{
		{2, 1, map[string]int{record.RuleModerator: 1, record.RuleBarRaiser: 1}},
		{1, 0, map[string]int{record.RuleActionItemHabitual: 1}},
	} {
		pq := d.ByPeriod[i]
		if pq.Published != want.published || pq.Passing != want.passing || !maps.Equal(pq.Findings, want.findings) {
			t.Errorf("%s: published %d, passing %d, findings %v; want %d, %d, %v", s.Periods[i].Period.Name, pq.Published, pq.Passing, pq.Findings, want.published, want.passing, want.findings)
		}
	}
	var got []string
	for _, f := range d.Findings {
		got = append(got, f.Incident+" "+f.Rule+" "+f.Item)
	}
	want := []string{"P3 action_item_habitual P3-1", "P2 bar_raiser ", "P2 moderator ", "D action_item_vague D-1"}
	if !slices.Equal(got, want) {
		t.Errorf("listed findings:\n got %q\nwant %q", got, want)
	}
	if d.Findings[0].Reason == "" {
		t.Errorf("a listed finding without its reason")
	}
}

func equalMaps(a, b []map[string]int) bool {
	return slices.EqualFunc(a, b, func(x, y map[string]int) bool { return maps.Equal(x, y) })
}
