package forumorg_test

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
)

// scopes are the expected figures of each team and severity a table of
// the report holds, worked out once each.
type scopes struct {
	org      *forumorg.Org
	settings figures.Settings // with the team and severity the report is filtered to
	cache    map[[2]string]*figures.Figures
}

func newScopes(org *forumorg.Org, settings figures.Settings) *scopes {
	return &scopes{org: org, settings: settings, cache: map[[2]string]*figures.Figures{}}
}

// of returns the figures of a team and severity ("" for every one).
func (sc *scopes) of(team, severity string) *figures.Figures {
	key := [2]string{team, severity}
	if sc.cache[key] == nil {
		s := sc.settings
		s.Team, s.Severity = team, severity
		sc.cache[key] = figures.Compute(sc.org, s)
	}
	return sc.cache[key]
}

// table returns a table of the report and the figures of what it holds:
// the team and severity its caption names, which must be those the
// report is filtered to unless the caption says the table is not kept
// by them.
func (sc *scopes) table(t *testing.T, md mdReport, heading string) (mdTable, *figures.Figures) {
	t.Helper()
	return sc.tableWith(t, md, heading, "")
}

// tableWith is table for the table under heading that has the column col.
func (sc *scopes) tableWith(t *testing.T, md mdReport, heading, col string) (mdTable, *figures.Figures) {
	t.Helper()
	tb := md.tableWith(heading, col)
	team, severity := sc.settings.Team, sc.settings.Severity
	if tb.Caption != "" {
		teamPart, severityPart, _ := strings.Cut(tb.Caption, ", ")
		team, severity = "", ""
		if name, ok := strings.CutPrefix(teamPart, "Team "); ok {
			team = strings.Fields(name)[0]
		}
		if !strings.HasPrefix(severityPart, "every severity") {
			severity = strings.Fields(severityPart)[0]
		}
		if team != sc.settings.Team && !strings.Contains(teamPart, "not kept per team") {
			t.Errorf("%s: the table holds team %q, the report is filtered to %q, and it does not say why", heading, team, sc.settings.Team)
		}
		if severity != sc.settings.Severity && !strings.Contains(severityPart, "not kept per severity") {
			t.Errorf("%s: the table holds severity %q, the report is filtered to %q, and it does not say why", heading, severity, sc.settings.Severity)
		}
	}
	return tb, sc.of(team, severity)
}

// checkReport compares every figure of the report's Markdown for one
// window with the expected figures of what each table holds.
func checkReport(t *testing.T, sc *scopes, window string, md mdReport) {
	t.Helper()
	want := sc.of("", "")
	header := fmt.Sprintf("· %d valid records · %d invalid", want.Valid, want.Invalid)
	if !slices.ContainsFunc(md.Lines, func(l string) bool { return strings.Contains(l, header) }) {
		t.Errorf("%s: the header does not say %q: %q", window, header, md.Lines[:min(4, len(md.Lines))])
	}
	for _, check := range []func(*testing.T, *scopes, string, mdReport){
		checkTimeliness, checkOverdueList, checkOverdueByOwner, checkTrends, checkChange, checkRolling,
		checkServiceRecover, checkInvalid, checkDetection, checkServices, checkOriginResolution,
		checkRepeats, checkPostMortems, checkFindings,
	} {
		check(t, sc, window, md)
	}
}

// checkFindings compares the findings per team and rule: every rule
// column of every team, and the total.
func checkFindings(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Findings per team and rule")
	seen := map[string]bool{}
	for _, row := range tb.Rows {
		team := tb.cell(t, row, "Team")
		seen[team] = true
		for _, rule := range tb.Header[1 : len(tb.Header)-1] {
			checkShownCount(t, fmt.Sprintf("report %s, findings of %s, %s", window, team, rule), tb.cell(t, row, rule), want.Findings[[2]string{team, rule}])
		}
		checkShownCount(t, fmt.Sprintf("report %s, findings of %s", window, team), tb.cell(t, row, "all"), findings(want, team, ""))
	}
	for k := range want.Findings {
		if !seen[k[0]] {
			t.Errorf("report %s: no findings row for %s", window, k[0])
		}
		if !slices.Contains(tb.Header, k[1]) {
			t.Errorf("report %s: no findings column for %s", window, k[1])
		}
	}
}

// checkPostMortems compares the post-mortems published late (with whole
// days from resolution to publication) and those not published yet
// (with their status and whole days since the resolution).
func checkPostMortems(t *testing.T, sc *scopes, window string, md mdReport) {
	late, want := sc.table(t, md, "Post-mortems published late")
	got := map[string][]string{}
	for _, row := range late.Rows {
		got[firstID(late.cell(t, row, "Post-mortem"))] = []string{late.cell(t, row, "Team"), late.cell(t, row, "Published after resolution")}
	}
	if len(got) != len(want.PublishedLate) {
		t.Errorf("report %s: %d post-mortems published late, want %d", window, len(got), len(want.PublishedLate))
	}
	for _, in := range want.PublishedLate {
		w := []string{in.Team, fmt.Sprintf("%dd", int(in.Published.Sub(in.Resolved)/(24*time.Hour)))}
		if g := got[in.ID]; !slices.Equal(g, w) {
			t.Errorf("report %s: late post-mortem %s shows %q, want %q", window, in.ID, g, w)
		}
	}
	pending, want := sc.tableWith(t, md, "Post-mortems not published yet", "Post-mortem")
	got = map[string][]string{}
	for _, row := range pending.Rows {
		got[firstID(pending.cell(t, row, "Post-mortem"))] = []string{pending.cell(t, row, "Team"), pending.cell(t, row, "Status"), pending.cell(t, row, "Age")}
	}
	if len(got) != len(want.Unpublished) {
		t.Errorf("report %s: %d post-mortems not published, want %d", window, len(got), len(want.Unpublished))
	}
	for _, in := range want.Unpublished {
		age := "not resolved"
		if d := want.Settings.AsOf.Sub(in.Resolved); !in.Resolved.IsZero() && d < 24*time.Hour {
			age = fmt.Sprintf("%.0fh", d.Hours())
		} else if !in.Resolved.IsZero() {
			age = fmt.Sprintf("%dd", int(d/(24*time.Hour)))
		}
		if g, w := got[in.ID], []string{in.Team, in.Status, age}; !slices.Equal(g, w) {
			t.Errorf("report %s: unpublished post-mortem %s shows %q, want %q", window, in.ID, g, w)
		}
	}
	counts, want := sc.tableWith(t, md, "Post-mortems not published yet", "Post-mortems")
	rows := 0
	for _, row := range counts.Rows {
		key := [2]string{counts.cell(t, row, "Team"), counts.cell(t, row, "Status")}
		checkShownCount(t, fmt.Sprintf("report %s, post-mortems %s of %s", window, key[1], key[0]), counts.cell(t, row, "Post-mortems"), want.Pending[key])
		rows++
	}
	if rows != len(want.Pending) {
		t.Errorf("report %s: %d teams and statuses of unpublished post-mortems, want %d", window, rows, len(want.Pending))
	}
}

// teamsOf returns the teams of the organisation's items, sorted.
func teamsOf(want *figures.Figures) []string {
	var teams []string
	for k := range want.Items {
		if !slices.Contains(teams, k[0]) {
			teams = append(teams, k[0])
		}
	}
	slices.Sort(teams)
	return teams
}

// checkTimeliness compares the per-team table: open and overdue items,
// items due in the window, on time, and the on-time ratio (on time ÷
// (on time + late + open), wont_do aside).
func checkTimeliness(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Per team")
	seen := map[string]bool{}
	overdue := map[string]int{}
	for _, it := range want.Overdue {
		overdue[it.Team]++
	}
	for _, row := range tb.Rows {
		team := tb.cell(t, row, "Team")
		seen[team] = true
		where := fmt.Sprintf("report %s, per team, %s", window, team)
		due := func(outcome string) int { return want.Due[[3]string{window, team, outcome}] }
		checkShownCount(t, where+", open", tb.cell(t, row, "Open"), want.Items[[2]string{team, forumorg.ItemOpen}])
		checkShownCount(t, where+", overdue", tb.cell(t, row, "Overdue"), overdue[team])
		n := due("on_time") + due("late") + due("open")
		checkShownCount(t, where+", due", tb.cell(t, row, "Due in "+window), n)
		checkShownCount(t, where+", on time", tb.cell(t, row, "On time"), due("on_time"))
		if ratio := tb.cell(t, row, "On-time ratio"); n > 0 {
			checkShownPercent(t, where+", on-time ratio", ratio, float64(due("on_time"))/float64(n))
		} else if ratio != "–" {
			t.Errorf("%s, on-time ratio: %q with no item due, want –", where, ratio)
		}
	}
	for _, team := range teamsOf(want) {
		if !seen[team] {
			t.Errorf("report %s, per team: no row for %s", window, team)
		}
	}
}

// checkOverdueList compares the overdue items, the most overdue first,
// with their team, owner ("(no owner)"), incident, due day and days late
// (1 for an item due yesterday).
func checkOverdueList(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Overdue items, most overdue first")
	got, last := map[string][]string{}, -1
	for i, row := range tb.Rows {
		late := tb.cell(t, row, "Overdue")
		id := firstID(tb.cell(t, row, "Item"))
		got[id] = []string{tb.cell(t, row, "Team"), tb.cell(t, row, "Owner"), firstID(tb.cell(t, row, "Incident")), tb.cell(t, row, "Due"), late}
		if days := shownDays(late); i > 0 && days > last {
			t.Errorf("report %s: overdue item %s (%s) listed after a less overdue one", window, id, late)
		}
		last = shownDays(late)
	}
	if len(got) != len(want.Overdue) {
		t.Errorf("report %s: %d overdue items listed, want %d", window, len(got), len(want.Overdue))
	}
	for _, it := range want.Overdue {
		w := []string{it.Team, ownerShown(it.Owner), it.Incident, it.Due.Format(time.DateOnly), daysText(daysLate(want, it))}
		if g, ok := got[it.ID]; !ok {
			t.Errorf("report %s: overdue item %s (%s, %s) not listed", window, it.ID, it.Team, it.Owner)
		} else if !slices.Equal(g, w) {
			t.Errorf("report %s: overdue item %s shows %q, want %q", window, it.ID, g, w)
		}
	}
}

// daysLate is how many days an item is late: the days from its due day to
// the snapshot's, 1 for an item due yesterday.
func daysLate(want *figures.Figures, it figures.OverdueItem) int {
	return int(want.Settings.AsOf.Sub(it.Due) / (24 * time.Hour))
}

// daysText is how the report writes days late.
func daysText(days int) string {
	if days == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}

// shownDays reads "N days" or "1 day" back.
func shownDays(text string) int {
	n, _ := strconv.Atoi(strings.Fields(text + " ")[0])
	return n
}

// ownerShown is how the report names an owner.
func ownerShown(owner string) string {
	if owner == "" {
		return "(no owner)"
	}
	return owner
}

// checkOverdueByOwner compares the overdue work by owner: each owner's
// teams, overdue items, the days of the most overdue and the items due
// today, the most overdue owner first.
func checkOverdueByOwner(t *testing.T, sc *scopes, window string, md mdReport) {
	type owner struct {
		teams          []string
		items, maxDays int
	}
	tb, want := sc.table(t, md, "Overdue work by owner")
	owners := map[string]*owner{}
	for _, it := range want.Overdue {
		o := owners[ownerShown(it.Owner)]
		if o == nil {
			o = &owner{}
			owners[ownerShown(it.Owner)] = o
		}
		if !slices.Contains(o.teams, it.Team) {
			o.teams = append(o.teams, it.Team)
		}
		o.items++
		o.maxDays = max(o.maxDays, daysLate(want, it))
	}
	last := -1
	if len(tb.Rows) != len(owners) {
		t.Errorf("report %s: %d owners of overdue work, want %d", window, len(tb.Rows), len(owners))
	}
	for i, row := range tb.Rows {
		name := tb.cell(t, row, "Owner")
		o := owners[name]
		if o == nil {
			t.Errorf("report %s: owner %s has no overdue item", window, name)
			continue
		}
		slices.Sort(o.teams)
		got := []string{tb.cell(t, row, "Team"), tb.cell(t, row, "Overdue items"), tb.cell(t, row, "Most overdue"), tb.cell(t, row, "Due today")}
		if w := []string{strings.Join(o.teams, ", "), strconv.Itoa(o.items), daysText(o.maxDays), strconv.Itoa(want.DueToday[strings.TrimPrefix(name, "(no owner)")])}; !slices.Equal(got, w) {
			t.Errorf("report %s: overdue work of %s shows %q, want %q", window, name, got, w)
		}
		if i > 0 && o.maxDays > last {
			t.Errorf("report %s: owner %s listed after a less overdue one", window, name)
		}
		last = o.maxDays
	}
}

// checkTrends compares the trend per period (incidents, SEV1 share and
// customer-detected share with their n, MTTR, MTTD and MTTM with n, the
// current period marked with the days it covers so far) and the medians
// and means by severity.
func checkTrends(t *testing.T, sc *scopes, _ string, md mdReport) {
	tb, want := sc.table(t, md, "2. Trends per month")
	if len(tb.Rows) != len(want.Periods) {
		t.Errorf("report: %d periods, want %d", len(tb.Rows), len(want.Periods))
	}
	for i, row := range tb.Rows {
		if i >= len(want.Periods) {
			break
		}
		p := want.Periods[i]
		checkPeriodName(t, want, tb.cell(t, row, "Period"), p.Name, p.Start, i == len(want.Periods)-1)
		checkPeriodRow(t, "report, trend "+p.Name, tb, row, want, sc.of(want.Settings.Team, ""), []string{p.Name})
	}
	bySeverity, want := sc.table(t, md, "Time to recover, detect and mitigate by severity: median / mean (n)")
	if len(bySeverity.Rows) != len(want.Periods) {
		t.Errorf("report: %d periods by severity, want %d", len(bySeverity.Rows), len(want.Periods))
	}
	for i, row := range bySeverity.Rows {
		if i >= len(want.Periods) {
			break
		}
		period := want.Periods[i].Name
		for _, sev := range forumorg.Severities {
			if want.Settings.Severity != "" && want.Settings.Severity != sev {
				continue // a column per severity the table holds
			}
			k := figures.Key{Window: period, Severity: sev}
			checkMedianMeanCell(t, "report, "+period+" "+sev+" recover", bySeverity.cell(t, row, sev+" recover"), want.Recover[k])
			checkMedianMeanCell(t, "report, "+period+" "+sev+" detect", bySeverity.cell(t, row, sev+" detect"), want.Detect[k])
			checkMedianMeanCell(t, "report, "+period+" "+sev+" mitigate", bySeverity.cell(t, row, sev+" mitigate"), want.Mitigate[k])
		}
	}
}

// checkPeriodName compares a period's name, and for the current one the
// mark "(so far: D of N days)" from the start of from to the snapshot.
func checkPeriodName(t *testing.T, want *figures.Figures, shown, name string, from time.Time, current bool) {
	t.Helper()
	w := name
	if current {
		end := want.Periods[len(want.Periods)-1].End
		covered := int(math.Ceil(want.Settings.AsOf.Sub(from).Hours() / 24))
		w = fmt.Sprintf("%s (so far: %d of %d days)", name, covered, int(end.Sub(from).Hours()/24))
	}
	if shown != w {
		t.Errorf("report: period %q, want %q", shown, w)
	}
}

// checkPeriodRow compares the figures of one or more periods taken
// together: incidents, shares with n, and the means with n.
//
// The SEV1 share is of the incidents of every severity (of the table's
// team), whatever severity the table holds.
func checkPeriodRow(t *testing.T, where string, tb mdTable, row []string, want, everySeverity *figures.Figures, periods []string) {
	t.Helper()
	n, sev1, all, customer := 0, 0, 0, 0
	var recover, detect, mitigate figures.Durations
	for _, p := range periods {
		k := figures.Key{Window: p}
		n += want.Incidents[k]
		sev1 += everySeverity.Incidents[figures.Key{Window: p, Severity: "sev1"}]
		all += everySeverity.Incidents[k]
		customer += want.CustomerDetected[k]
		recover, detect, mitigate = pooled(recover, want.Recover[k]), pooled(detect, want.Detect[k]), pooled(mitigate, want.Mitigate[k])
	}
	checkShownCount(t, where+", incidents", tb.cell(t, row, "Incidents"), n)
	checkShareCell(t, where+", sev1 share", tb.cell(t, row, "sev1 share (n)"), sev1, all)
	checkShareCell(t, where+", customer-detected", tb.cell(t, row, "Customer-detected (n)"), customer, n)
	checkMeanCell(t, where+", MTTR", tb.cell(t, row, "MTTR"), recover)
	checkMeanCell(t, where+", MTTD", tb.cell(t, row, "MTTD"), detect)
	checkMeanCell(t, where+", MTTM", tb.cell(t, row, "MTTM"), mitigate)
}

// pooled is two samples taken together, for their mean.
func pooled(a, b figures.Durations) figures.Durations {
	return figures.Durations{N: a.N + b.N, Sum: a.Sum + b.Sum}
}

// checkShareCell compares "P% (part of all)", or – with no incident.
func checkShareCell(t *testing.T, where, cell string, part, all int) {
	t.Helper()
	if all == 0 {
		if cell != "–" {
			t.Errorf("%s: %q with no incident, want –", where, cell)
		}
		return
	}
	percent, n, _ := strings.Cut(cell, " (")
	if w := fmt.Sprintf("%d of %d)", part, all); n != w {
		t.Errorf("%s: %q, want (%s", where, cell, w)
	}
	checkShownPercent(t, where, percent, float64(part)/float64(all))
}

// checkChange compares the change of each period against the previous
// one: absolute and relative, for incidents, the SEV1 and
// customer-detected shares (in percentage points), MTTR, MTTD and MTTM.
func checkChange(t *testing.T, sc *scopes, _ string, md mdReport) {
	tb, want := sc.table(t, md, "Change against the previous month")
	if len(tb.Rows) != len(want.Periods)-1 {
		t.Errorf("report: %d changes, want %d", len(tb.Rows), len(want.Periods)-1)
	}
	for i, row := range tb.Rows {
		if i+1 >= len(want.Periods) {
			break
		}
		prev, cur := want.Periods[i].Name, want.Periods[i+1].Name
		name := cur + " vs " + prev
		if i+2 == len(want.Periods) {
			name += " (so far)"
		}
		if got := tb.cell(t, row, "Period"); got != name {
			t.Errorf("report: change %q, want %q", got, name)
		}
		where := "report, change " + name
		count := func(p string) (float64, bool) { return float64(want.Incidents[figures.Key{Window: p}]), true }
		shareOf := func(part func(p string) int) func(p string) (float64, bool) {
			return func(p string) (float64, bool) { return share(part(p), want.Incidents[figures.Key{Window: p}]) }
		}
		everySeverity := sc.of(want.Settings.Team, "")
		sev1 := func(p string) (float64, bool) {
			return share(everySeverity.Incidents[figures.Key{Window: p, Severity: "sev1"}], everySeverity.Incidents[figures.Key{Window: p}])
		}
		customer := shareOf(func(p string) int { return want.CustomerDetected[figures.Key{Window: p}] })
		meanOf := func(m map[figures.Key]figures.Durations) func(p string) (float64, bool) {
			return func(p string) (float64, bool) { return m[figures.Key{Window: p}].Mean() }
		}
		for _, c := range []struct {
			col   string
			value func(p string) (float64, bool)
			unit  changeUnit
		}{
			{"Incidents", count, changeCount}, {"sev1 share", sev1, changePoints}, {"Customer-detected share", customer, changePoints},
			{"MTTR", meanOf(want.Recover), changeDuration}, {"MTTD", meanOf(want.Detect), changeDuration}, {"MTTM", meanOf(want.Mitigate), changeDuration},
		} {
			before, okBefore := c.value(prev)
			after, okAfter := c.value(cur)
			checkChangeCell(t, where+", "+c.col, tb.cell(t, row, c.col), before, after, okBefore && okAfter, c.unit)
		}
	}
}

// checkRolling compares each run of three periods taken together.
func checkRolling(t *testing.T, sc *scopes, _ string, md mdReport) {
	tb, want := sc.table(t, md, "Rolling 3 months")
	if len(tb.Rows) != len(want.Periods)-2 {
		t.Errorf("report: %d rolling rows, want %d", len(tb.Rows), len(want.Periods)-2)
	}
	for i, row := range tb.Rows {
		if i+2 >= len(want.Periods) {
			break
		}
		first, last := want.Periods[i], want.Periods[i+2]
		checkPeriodName(t, want, tb.cell(t, row, "Period"), first.Name+" – "+last.Name, first.Start, i+3 == len(want.Periods))
		checkPeriodRow(t, "report, rolling "+first.Name+" – "+last.Name, tb, row, want, sc.of(want.Settings.Team, ""), []string{first.Name, want.Periods[i+1].Name, last.Name})
	}
}

// checkServiceRecover compares the time to recover of the services with
// the most incidents in the window (10 by default), the most first.
func checkServiceRecover(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Time to recover per service")
	n := 0
	for k := range want.Services {
		if k[0] == window {
			n++
		}
	}
	if len(tb.Rows) != min(n, 10) {
		t.Errorf("report %s: %d services by time to recover, want %d", window, len(tb.Rows), min(n, 10))
	}
	last := math.MaxInt
	for _, row := range tb.Rows {
		service := tb.cell(t, row, "Service")
		count := want.Services[[2]string{window, service}]
		checkShownCount(t, "report "+window+", incidents of "+service, tb.cell(t, row, "Incidents"), count)
		checkMeanCell(t, "report "+window+", MTTR of "+service, tb.cell(t, row, "MTTR"), want.ServiceRecover[[2]string{window, service}])
		if count > last {
			t.Errorf("report %s: service %s listed after one with fewer incidents", window, service)
		}
		last = count
	}
}

// checkInvalid compares the invalid records: team, reason and file.
func checkInvalid(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Invalid records")
	var got, w []string
	for _, row := range tb.Rows {
		file, _, _ := strings.Cut(filepath.Base(tb.cell(t, row, "File or row")), ":")
		got = append(got, tb.cell(t, row, "Team")+" "+tb.cell(t, row, "Reason")+" "+file)
	}
	for _, in := range want.InvalidRecords {
		w = append(w, in.Team+" "+in.Invalid+" "+filepath.Base(in.File))
	}
	slices.Sort(got)
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Errorf("report %s: invalid records %q, want %q", window, got, w)
	}
}

// checkMeanCell compares "mean (n=N)", or – for no incident.
func checkMeanCell(t *testing.T, where, cell string, d figures.Durations) {
	t.Helper()
	mean, ok := d.Mean()
	if !ok {
		if cell != "–" {
			t.Errorf("%s: %q with no incident, want –", where, cell)
		}
		return
	}
	shown, n, found := strings.Cut(cell, " (n=")
	if !found || n != fmt.Sprintf("%d)", d.N) {
		t.Errorf("%s: %q, want n=%d", where, cell, d.N)
		return
	}
	checkShownDuration(t, where, shown, mean)
}

// checkMedianMeanCell compares "median / mean (n=N)".
func checkMedianMeanCell(t *testing.T, where, cell string, d figures.Durations) {
	t.Helper()
	if d.N == 0 {
		if cell != "–" {
			t.Errorf("%s: %q with no incident, want –", where, cell)
		}
		return
	}
	median, mean, found := strings.Cut(cell, " / ")
	if !found {
		t.Errorf("%s: %q is not median / mean", where, cell)
		return
	}
	checkShownDuration(t, where+" median", median, d.Median)
	checkMeanCell(t, where+" mean", mean, d)
}

// checkDetection compares who detected the incidents of the window.
func checkDetection(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Who detected them first")
	all := want.Incidents[figures.Key{Window: window}]
	seen := 0
	for _, row := range tb.Rows {
		d := tb.cell(t, row, "Detection")
		n := want.Detection[[3]string{window, "", d}]
		seen += n
		checkShownCount(t, "report, detection "+d, tb.cell(t, row, "Incidents"), n)
		checkShownPercent(t, "report, detection share "+d, tb.cell(t, row, "Share"), float64(n)/float64(all))
	}
	if seen != all {
		t.Errorf("report: the detection table adds up to %d incidents, want %d", seen, all)
	}
}

// checkServices compares the incidents per service of the window (every
// service is within the top 50).
func checkServices(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Services that keep failing")
	got := map[string]string{}
	for _, row := range tb.Rows {
		got[tb.cell(t, row, "Service")] = tb.cell(t, row, "Incidents")
	}
	n := 0
	for k, count := range want.Services {
		if k[0] == window {
			n++
			checkShownCount(t, "report, service "+k[1], got[k[1]], count)
		}
	}
	if len(got) != n {
		t.Errorf("report: %d services listed, want %d", len(got), n)
	}
}

// checkOriginResolution compares origin × resolution in the window, the
// not resolved ones included.
func checkOriginResolution(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Where faults came from and how they were resolved")
	total := 0
	defer func() {
		if n := want.Incidents[figures.Key{Window: window}]; total != n {
			t.Errorf("report %s: origin × resolution adds up to %d incidents, want %d", window, total, n)
		}
	}()
	perOrigin := func(origin string) int {
		n := 0
		for _, res := range append(slices.Clone(forumorg.Resolutions), "") {
			n += want.OriginResolution[[4]string{window, "", origin, res}]
		}
		return n
	}
	if tb.has("Origin") { // a team's table: per origin only
		for _, row := range tb.Rows {
			origin := tb.cell(t, row, "Origin")
			checkShownCount(t, "report "+window+", origin "+origin, tb.cell(t, row, "Incidents"), perOrigin(origin))
			total += perOrigin(origin)
		}
		return
	}
	for _, row := range tb.Rows {
		origin, all := tb.cell(t, row, "Origin / resolution"), 0
		for _, res := range append(slices.Clone(forumorg.Resolutions), "") {
			n := want.OriginResolution[[4]string{window, "", origin, res}]
			all += n
			col := res
			if res == "" {
				col = "not resolved"
			}
			if !tb.has(col) { // a resolution no incident of the window had
				checkShownCount(t, "report, origin "+origin+" × "+col+" (no column)", "0", n)
				continue
			}
			checkShownCount(t, "report, origin "+origin+" × "+col, tb.cell(t, row, col), n)
		}
		checkShownCount(t, "report, origin "+origin, tb.cell(t, row, "all"), all)
		if all != perOrigin(origin) {
			t.Errorf("report %s: origin %s adds up to %d, want %d", window, origin, all, perOrigin(origin))
		}
		total += all
	}
}

// checkRepeats compares the repeats per team in the window (fix not done)
// and the list of which incident repeats which, over the longest window.
func checkRepeats(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Repeat incidents")
	got := map[string]string{}
	for _, row := range tb.Rows {
		got[tb.cell(t, row, "Team")] = tb.cell(t, row, "Repeat incidents")
	}
	for _, team := range teamsOf(want) {
		n := want.RepeatsFixNotDone[figures.Key{Window: window, Team: team}]
		if cell, ok := got[team]; ok || n > 0 {
			checkShownCount(t, "report, repeats of "+team, cell, n)
		}
	}
	list, want := sc.table(t, md, "Which incident repeats which")
	if len(list.Rows) != len(want.RepeatList) {
		t.Errorf("report: %d repeats listed, want %d", len(list.Rows), len(want.RepeatList))
	}
	for i, row := range list.Rows {
		if i >= len(want.RepeatList) {
			break
		}
		r := want.RepeatList[i]
		earlier := "all closed"
		if r.FixNotDone {
			earlier = "still open"
		}
		got := []string{list.cell(t, row, "Team"), firstID(list.cell(t, row, "Incident")), firstID(list.cell(t, row, "Repeats")), list.cell(t, row, "Earlier items"), list.cell(t, row, "Started")}
		w := []string{r.Team, r.Incident, r.Earlier, earlier, r.Started.Format(time.DateOnly)}
		if !slices.Equal(got, w) {
			t.Errorf("report: repeat %d is %q, want %q", i+1, got, w)
		}
	}
}
