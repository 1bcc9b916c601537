package snapshot

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPeriodEdges checks names and edges worked out by hand, across a
// DST change and a year that has an ISO week 53.
func TestPeriodEdges(t *testing.T) {
	paris, newYork := zone(t, "Europe/Paris"), zone(t, "America/New_York")
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		opts PeriodOptions
		asOf string
		want string // each period as name [start, end) in UTC
	}{
		// Paris is UTC+1 in winter, UTC+2 from 2026-03-29 02:00: March
		// starts at 23:00Z on Feb 28 and ends at 22:00Z on Mar 31.
		{"months across DST", PeriodOptions{Unit: Month, Count: 3, Location: paris}, "2026-04-15T12:00:00Z",
			"2026-02 [2026-01-31T23:00:00Z, 2026-02-28T23:00:00Z) 2026-03 [2026-02-28T23:00:00Z, 2026-03-31T22:00:00Z) 2026-04 [2026-03-31T22:00:00Z, 2026-04-30T22:00:00Z)"},
		// The week of the change is 167 hours long: Monday 00:00 CET to Monday 00:00 CEST.
		{"week of the DST change", PeriodOptions{Unit: Week, Count: 1, Location: paris}, "2026-03-29T12:00:00Z",
			"2026-W13 [2026-03-22T23:00:00Z, 2026-03-29T22:00:00Z)"},
		// 2026 starts on a Thursday, so it has 53 ISO weeks; 2027-01-01 is in 2026-W53.
		{"ISO week 53", PeriodOptions{Unit: Week, Count: 2, Location: time.UTC}, "2027-01-01T00:00:00Z",
			"2026-W52 [2026-12-21T00:00:00Z, 2026-12-28T00:00:00Z) 2026-W53 [2026-12-28T00:00:00Z, 2027-01-04T00:00:00Z)"},
		// New York is UTC−4 in May (EDT) and UTC−5 in January (EST).
		{"quarters", PeriodOptions{Unit: Quarter, Count: 3, Location: newYork}, "2026-05-20T12:00:00Z",
			"2025-Q4 [2025-10-01T04:00:00Z, 2026-01-01T05:00:00Z) 2026-Q1 [2026-01-01T05:00:00Z, 2026-04-01T04:00:00Z) 2026-Q2 [2026-04-01T04:00:00Z, 2026-07-01T04:00:00Z)"},
		// At 01:00Z on April 1st it is still March 31 in New York.
		{"month edge west of UTC", PeriodOptions{Unit: Month, Count: 1, Location: newYork}, "2026-04-01T01:00:00Z",
			"2026-03 [2026-03-01T05:00:00Z, 2026-04-01T04:00:00Z)"},
	} {
		var got string
		for i, p := range tc.opts.Periods(utc(tc.asOf)) {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("%s [%s, %s)", p.Name, p.Start.UTC().Format(time.RFC3339), p.End.UTC().Format(time.RFC3339))
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// TestQuantile checks the linear interpolation between closest ranks by
// hand: rank h = (n−1)·q, value = x[⌊h⌋] + (h−⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		values      []float64
		median, p90 float64
	}{
		// One incident: both quantiles are its duration.
		{[]float64{7200}, 7200, 7200},
		// Odd count, n=3: median h=1 → 1800; p90 h=1.8 → 1800 + 0.8·(3600−1800) = 3240.
		{[]float64{600, 1800, 3600}, 1800, 3240},
		// Even count, n=4: median h=1.5 → 1800 + 0.5·(3600−1800) = 2700 (the mean
		// of the two middle values); p90 h=2.7 → 3600 + 0.7·(7200−3600) = 6120.
		{[]float64{600, 1800, 3600, 7200}, 2700, 6120},
	} {
		if got := Quantile(tc.values, 0.5); math.Abs(got-tc.median) > 1e-9 {
			t.Errorf("median of %v = %g, want %g", tc.values, got, tc.median)
		}
		if got := Quantile(tc.values, 0.9); math.Abs(got-tc.p90) > 1e-9 {
			t.Errorf("p90 of %v = %g, want %g", tc.values, got, tc.p90)
		}
	}
	if got := Quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("median of nothing = %g, want NaN", got)
	}
}

// TestQuantileMatchesSorting checks the selection against the definition
// on sorted values, for counts of 1 to 60 with many ties, in any order:
// one quantile at a time, and several in one go as the summaries select
// them (each above the one before).
func TestQuantileMatchesSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	qs := []float64{0, 0.5, 0.9, 1}
	for n := 1; n <= 60; n++ {
		values := make([]float64, n)
		for i := range values {
			values[i] = float64(rng.IntN(n/2+1)) * 60
		}
		sorted := slices.Sorted(slices.Values(values))
		together := map[float64]float64{}
		quantiles(slices.Clone(values), qs, together)
		for _, q := range qs {
			h := float64(n-1) * q
			lo := int(math.Floor(h))
			want := sorted[lo]
			if lo+1 < n {
				want += (h - float64(lo)) * (sorted[lo+1] - sorted[lo])
			}
			if got := Quantile(slices.Clone(values), q); math.Abs(got-want) > 1e-9 {
				t.Fatalf("q=%g of %v = %g, want %g", q, values, got, want)
			}
			if got := together[q]; math.Abs(got-want) > 1e-9 {
				t.Fatalf("q=%g of %v with the others = %g, want %g", q, values, got, want)
			}
		}
	}
}

// TestSummarySumIsExact checks that the sum of durations does not depend
// on their order nor overflow: 300,000 incidents of 40 days each (about
// 1.04e21 ns, beyond int64 nanoseconds) with one of 1 ns.
func TestSummarySumIsExact(t *testing.T) {
	durations := make([]time.Duration, 300000)
	for i := range durations {
		durations[i] = 40 * 24 * time.Hour
	}
	durations[7] = time.Nanosecond
	s, _ := newSummary([][]time.Duration{durations[:5], durations[5:]}, nil, nil)
	if want := 299999*40*86400.0 + 1e-9; s.Sum != want || s.Count != 300000 {
		t.Fatalf("sum %g, count %d; want %g, 300000", s.Sum, s.Count, want)
	}
}

// periodFixture are incidents around the month edges of Europe/Paris in
// 2026 (UTC+1, then UTC+2 from March 29).
func periodFixture(t *testing.T) (time.Time, []*record.Record) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	inc := func(id, sev, team, started string) *record.Record {
		r := incident(id, team, at(started))
		r.Severity = sev
		return r
	}
	day := func(s string) time.Time { return at(s + "T00:00:00Z") }
	// 00:30 on March 1 in Paris, still February in UTC.
	a := inc("A", "sev2", "a", "2026-02-28T23:30:00Z")
	// 00:30 on April 1 in Paris (CEST): April. With the winter offset it
	// would be 23:30 on March 31.
	b := inc("B", "sev2", "b", "2026-03-31T22:30:00Z")
	// 23:30 on March 31 in Paris: March.
	bp := inc("B2", "sev2", "b", "2026-03-31T21:30:00Z")
	// Started on March 31 (22:00 in Paris), resolved 8 h later on April 1: March.
	c := inc("C", "sev1", "a", "2026-03-31T20:00:00Z")
	c.ResolvedAt, c.Resolution = c.StartedAt.Add(8*time.Hour), "rollback"
	c.ActionItems = []record.ActionItem{
		// Due on March 31, done on April 2: late, in March; closed in April.
		{ID: "C-1", Team: "a", Status: record.ItemDone, CreatedAt: at("2026-03-20T10:00:00Z"), Due: day("2026-03-31"), ClosedAt: at("2026-04-02T09:00:00Z")},
		// Due on March 10, done that day: on time.
		{ID: "C-2", Team: "a", Status: record.ItemDone, CreatedAt: at("2026-03-02T10:00:00Z"), Due: day("2026-03-10"), ClosedAt: at("2026-03-10T15:00:00Z")},
		// Due on April 30, still open: open in April.
		{ID: "C-3", Team: "a", Status: record.ItemOpen, CreatedAt: at("2026-04-01T10:00:00Z"), Due: day("2026-04-30")},
		// Due on February 27, dropped the day before.
		{ID: "C-4", Team: "a", Status: record.ItemWontDo, CreatedAt: at("2026-02-01T10:00:00Z"), Due: day("2026-02-27"), ClosedAt: at("2026-02-26T10:00:00Z")},
	}
	d := inc("D", "sev3", "a", "2026-02-10T10:00:00Z")
	return at("2026-04-15T12:00:00Z"), []*record.Record{a, b, bp, c, d}
}

// TestPeriods checks the period aggregates of periodFixture by hand, and
// that a late post-mortem changes a past month on the next refresh.
func TestPeriods(t *testing.T) {
	asOf, records := periodFixture(t)
	opts := Options{Severities: []string{"sev1", "sev2", "sev3", "sev4"},
		Periods: PeriodOptions{Unit: Month, Count: 3, Location: zone(t, "Europe/Paris"), ByTeam: TeamsOff}}
	build := func(records []*record.Record) map[string]PeriodStats {
		s := FromRecords("files", record.Result{Valid: records}, asOf, opts)
		out := map[string]PeriodStats{}
		for _, p := range s.Periods {
			out[p.Period.Name] = p
		}
		return out
	}
	got := build(records)
	counts := func(p PeriodStats) string {
		return fmt.Sprintf("sev1=%d sev2=%d sev3=%d sev4=%d", p.Incidents[SeverityTeam{"sev1", ""}], p.Incidents[SeverityTeam{"sev2", ""}],
			p.Incidents[SeverityTeam{"sev3", ""}], p.Incidents[SeverityTeam{"sev4", ""}])
	}
	items := func(p PeriodStats) string {
		return fmt.Sprintf("on_time=%d late=%d open=%d wont_do=%d created=%d closed=%d",
			p.ItemsDue[TeamValue{"", ItemOnTime}], p.ItemsDue[TeamValue{"", ItemLate}], p.ItemsDue[TeamValue{"", ItemStillOpen}],
			p.ItemsDue[TeamValue{"", ItemWontDo}], p.ItemsCreated[""], p.ItemsClosed[""])
	}
	for _, tc := range []struct{ period, incidents, items string }{
		// D; C-4 due and closed in February, created Feb 1.
		{"2026-02", "sev1=0 sev2=0 sev3=1 sev4=0", "on_time=0 late=0 open=0 wont_do=1 created=1 closed=1"},
		// A (March in Paris), B2, C; C-1 late and C-2 on time, both created in March.
		{"2026-03", "sev1=1 sev2=2 sev3=0 sev4=0", "on_time=1 late=1 open=0 wont_do=0 created=2 closed=1"},
		// B; C-3 open, created in April; C-1 closed in April.
		{"2026-04", "sev1=0 sev2=1 sev3=0 sev4=0", "on_time=0 late=0 open=1 wont_do=0 created=1 closed=1"},
	} {
		p := got[tc.period]
		if c := counts(p); c != tc.incidents {
			t.Errorf("%s incidents: %s, want %s", tc.period, c, tc.incidents)
		}
		if c := items(p); c != tc.items {
			t.Errorf("%s items: %s, want %s", tc.period, c, tc.items)
		}
	}
	// C resolved in April counts in March: 8 h = 28800 s, one incident.
	recover := got["2026-03"].BySeverity["sev1"][TimeToRecover]
	if recover.Count != 1 || recover.Sum != 28800 || recover.Quantiles[0.5] != 28800 || recover.Quantiles[0.9] != 28800 {
		t.Errorf("March sev1 time to recover = %+v, want one of 28800 s", recover)
	}
	if r := got["2026-03"].ByResolution[TeamValue{"", "rollback"}]; r != 1 {
		t.Errorf("March rollbacks = %d, want 1", r)
	}
	// Time to detect, 1 minute each: A and B2 are March's sev2.
	if d := got["2026-03"].BySeverity["sev2"][TimeToDetect]; d.Count != 2 || d.Sum != 120 {
		t.Errorf("March sev2 time to detect = %+v, want 2 incidents, 120 s", d)
	}
	// A post-mortem written late, on April 15, for a SEV1 of February 20:
	// the next refresh counts it in February.
	late := incident("E", "c", asOf.AddDate(0, 0, -54))
	late.Severity = "sev1"
	if n := build(append(records, late))["2026-02"].Incidents[SeverityTeam{"sev1", ""}]; n != 1 {
		t.Errorf("February sev1 after the late post-mortem = %d, want 1", n)
	}
}

// TestPeriodsByTeam checks the team key and that every team of any period
// gets every severity and outcome, 0 included.
func TestPeriodsByTeam(t *testing.T) {
	asOf, records := periodFixture(t)
	s := FromRecords("files", record.Result{Valid: records}, asOf, Options{Severities: []string{"sev1", "sev2"},
		Periods: PeriodOptions{Unit: Month, Count: 3, Location: zone(t, "Europe/Paris"), ByTeam: TeamsOn}})
	march := s.Periods[1]
	if march.Incidents[SeverityTeam{"sev2", "b"}] != 1 || march.Incidents[SeverityTeam{"sev2", "a"}] != 1 {
		t.Errorf("March by team = %v, want one sev2 of a (A) and one of b (B2)", march.Incidents)
	}
	if n, ok := s.Periods[0].Incidents[SeverityTeam{"sev1", "b"}]; !ok || n != 0 {
		t.Errorf("February has no zero series for team b's sev1")
	}
	// The median only: a team's month has too few incidents for a p90.
	if d := march.ByTeam["a"][TimeToRecover]; d.Count != 1 || d.Sum != 28800 || !maps.Equal(d.Quantiles, map[float64]float64{0.5: 28800}) {
		t.Errorf("March team a time to recover = %+v, want C's 8 h as sum and median", d)
	}
}

// TestIncidentGroups checks that incidents added in groups of a severity
// and team, as PostgreSQL reads them, give the same windows and periods as
// added one by one, as the files are: the group adds its counts up before
// it puts them in the snapshot.
func TestIncidentGroups(t *testing.T) {
	asOf, records := periodFixture(t)
	// More incidents in the groups of the fixture, in every period.
	for i := range 12 {
		r := incident(fmt.Sprintf("G%d", i), []string{"a", "b"}[i%2], asOf.Add(-time.Duration(i*5*24+3)*time.Hour))
		r.Severity, r.Detection, r.Origin = []string{"sev1", "sev2"}[i%2], []string{"automated", "customer"}[i%3%2], "unknown"
		r.ResolvedAt, r.Resolution = r.StartedAt.Add(time.Duration(i+1)*time.Hour), []string{"rollback", "scaling"}[i%2]
		r.SecurityIncident = i%4 == 0
		records = append(records, r)
	}
	opts := Options{Windows: []Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d", Length: 90 * 24 * time.Hour}},
		Severities: []string{"sev1", "sev2", "sev3", "sev4"},
		Periods:    PeriodOptions{Unit: Month, Count: 3, Location: zone(t, "Europe/Paris")}}
	build := func(groups [][]*record.Record) *Snapshot {
		b := NewBuilder("files", asOf, opts)
		for _, g := range groups {
			group := b.IncidentGroup(g[0].Severity, g[0].Team)
			for _, r := range g {
				group.Add(r, r.ID == "G3")
			}
			group.Close()
		}
		return b.Snapshot()
	}
	var single [][]*record.Record
	grouped := map[SeverityTeam][]*record.Record{}
	for _, r := range records {
		single = append(single, []*record.Record{r})
		grouped[SeverityTeam{r.Severity, r.Team}] = append(grouped[SeverityTeam{r.Severity, r.Team}], r)
	}
	oneByOne, inGroups := build(single), build(slices.Collect(maps.Values(grouped)))
	if !oneByOne.PeriodsByTeam || len(grouped) >= len(records)-3 {
		t.Fatalf("the fixture does not test groups: by team %v, %d groups of %d incidents", oneByOne.PeriodsByTeam, len(grouped), len(records))
	}
	if !reflect.DeepEqual(oneByOne.Periods, inGroups.Periods) {
		t.Errorf("periods differ:\none by one %+v\nin groups  %+v", oneByOne.Periods, inGroups.Periods)
	}
	for i := range oneByOne.Windows {
		if w, g := oneByOne.Windows[i], inGroups.Windows[i]; !reflect.DeepEqual(w.BySeverity, g.BySeverity) || !reflect.DeepEqual(w.ByTeam, g.ByTeam) {
			t.Errorf("window %s summaries differ", w.Window.Name)
		}
	}
}

// TestPeriodTeamsAuto checks --periods.by-team=auto on both sides of its
// limit: with as many teams as it allows, the periods are those of
// --periods.by-team=true; with one more, those of false, although the
// builder keeps the teams until it has seen one too many (and sums what
// it kept at the end).
func TestPeriodTeamsAuto(t *testing.T) {
	asOf := time.Date(2026, time.May, 20, 0, 0, 0, 0, time.UTC)
	// The collectors give the limit (collectors.PeriodTeamsLimit, tested
	// with the series they publish); the builder only applies it.
	const limit = 6
	opts := Options{Windows: []Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Severities: []string{"sev1", "sev2", "sev3", "sev4"},
		TopServices: 50, OverdueItemsLimit: 1000, Periods: PeriodOptions{Unit: Month, Count: 120, Location: time.UTC},
		PeriodTeamsLimit: func(Options) int { return limit }}
	org := func(teams int) []*record.Record {
		var records []*record.Record
		for i := range 40 {
			r := incident(fmt.Sprintf("I%d", i), fmt.Sprintf("team-%d", i%teams), asOf.AddDate(0, -i%7, -i))
			r.ActionItems = []record.ActionItem{{ID: fmt.Sprintf("I%d-1", i), Team: r.Team, Owner: "o", Status: record.ItemOpen, CreatedAt: r.StartedAt, Due: r.StartedAt.Truncate(24 * time.Hour)}}
			records = append(records, r)
		}
		return records
	}
	for _, c := range []struct {
		teams int
		same  TeamMode
	}{{limit, TeamsOn}, {limit + 1, TeamsOff}} {
		records := org(c.teams)
		opts.Periods.ByTeam = TeamsAuto
		auto := FromRecords("files", record.Result{Valid: records}, asOf, opts)
		opts.Periods.ByTeam = c.same
		same := FromRecords("files", record.Result{Valid: records}, asOf, opts)
		if auto.PeriodsByTeam != (c.same == TeamsOn) || auto.Teams != c.teams || auto.PeriodTeamsLimit != limit {
			t.Errorf("%d teams: by team %v (%d teams, limit %d), want %v", c.teams, auto.PeriodsByTeam, auto.Teams, auto.PeriodTeamsLimit, c.same)
		}
		if !reflect.DeepEqual(auto.Periods, same.Periods) {
			t.Errorf("%d teams: the periods of auto differ from those of --periods.by-team=%s", c.teams, c.same)
		}
	}
}

// TestTrendPeriods: as of Monday 2026-06-01 with 13 months (2025-06 to
// 2026-06), the report's periods of each unit cover the same span: the
// quarters from 2025-Q2 (holding June 1, 2025) to 2026-Q2, five; the ISO
// weeks from the one holding Sunday 2025-06-01 (2025-W22, from May 26) to
// 2026-W23 (from June 1): 371 days later, so 54 weeks; the months are the
// configured ones.
func TestTrendPeriods(t *testing.T) {
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	got := PeriodOptions{Unit: Month, Count: 13}.TrendPeriods(asOf)
	for unit, want := range map[string]struct {
		n           int
		first, last string
		start       time.Time
	}{
		Quarter: {5, "2025-Q2", "2026-Q2", time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)},
		Week:    {54, "2025-W22", "2026-W23", time.Date(2025, time.May, 26, 0, 0, 0, 0, time.UTC)},
		Month:   {13, "2025-06", "2026-06", time.Date(2025, time.June, 1, 0, 0, 0, 0, time.UTC)},
	} {
		p := got[unit]
		if len(p) != want.n || p[0].Name != want.first || p[len(p)-1].Name != want.last || !p[0].Start.Equal(want.start) {
			t.Errorf("%s: %d periods %s (from %s) to %s, want %d %s (from %s) to %s", unit, len(p), p[0].Name, p[0].Start, p[len(p)-1].Name,
				want.n, want.first, want.start, want.last)
		}
	}
	if start := (PeriodOptions{Unit: Month, Count: 13}).TrendsStart(asOf); !start.Equal(time.Date(2025, time.April, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("TrendsStart = %s, want the quarter's 2025-04-01", start)
	}
	if got := (PeriodOptions{Unit: Month}).TrendPeriods(asOf); got != nil {
		t.Errorf("no periods configured: %v, want none", got)
	}
}
