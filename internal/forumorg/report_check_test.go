package forumorg_test

import (
	"cmp"
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

// ruleTitles are the rules this organisation breaks, as the report names
// them.
var ruleTitles = map[string]string{
	"published_late": "published late", "security_review": "no security review", "action_item_owner": "item without one owner",
}

// checkFindings compares the findings per team (all, in the window, by
// rule), per rule, the share of post-mortems that pass the bar by month
// of publication, and the findings post-mortem by post-mortem, each with
// the figures of the team and severity its table holds.
func checkFindings(t *testing.T, sc *scopes, window string, md mdReport) {
	perTeam, want := sc.table(t, md, "Findings per team")
	teams, _ := tallyFindings(want, windowLength(window))
	eachKeyedRow(t, "report "+window+", findings per team", perTeam, "Team", teams, func(row []string, team string, tf *teamFindings) {
		var byRule []string
		for title, n := range tf.byRule {
			byRule = append(byRule, fmt.Sprintf("%s %d", title, n))
		}
		gotRules := strings.Split(perTeam.cell(t, row, "By rule"), ", ")
		slices.Sort(byRule)
		slices.Sort(gotRules)
		got := []string{perTeam.cell(t, row, "Findings"), perTeam.cell(t, row, "In the window"), strings.Join(gotRules, ", ")}
		if w := []string{strconv.Itoa(tf.all), strconv.Itoa(tf.inWindow), strings.Join(byRule, ", ")}; !slices.Equal(got, w) {
			t.Errorf("report %s: findings of %s %q, want %q", window, team, got, w)
		}
	})
	perRule, want := sc.table(t, md, "Findings per rule")
	_, rules := tallyFindings(want, windowLength(window))
	if len(perRule.Rows) != len(rules) {
		t.Errorf("report %s: %d rules with findings, want %d", window, len(perRule.Rows), len(rules))
	}
	for _, row := range perRule.Rows {
		checkShownCount(t, "report "+window+", findings of "+perRule.cell(t, row, "Rule"), perRule.cell(t, row, "Findings"), rules[perRule.cell(t, row, "Rule")])
	}
	checkPassTheBar(t, sc, md)
	list, want := sc.table(t, md, "Findings, post-mortem by post-mortem")
	var got, w []string
	for _, row := range list.Rows {
		got = append(got, strings.Join([]string{firstID(list.cell(t, row, "Post-mortem")), list.cell(t, row, "Team"), list.cell(t, row, "Rule"), list.cell(t, row, "Action item")}, " "))
	}
	for _, fd := range want.FindingList {
		if startedWithin(want, fd, want.Settings.Windows[len(want.Settings.Windows)-1].Length) {
			w = append(w, strings.Join([]string{fd.Incident, fd.Team, ruleTitles[fd.Rule], fd.Item}, " "))
		}
	}
	slices.Sort(got)
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Errorf("report %s: findings post-mortem by post-mortem\n%s\nwant\n%s", window, strings.Join(got, "\n"), strings.Join(w, "\n"))
	}
}

// teamFindings are a team's findings: all, those of incidents started in
// the window, and all by rule title.
type teamFindings struct {
	all, inWindow int
	byRule        map[string]int
}

// tallyFindings counts the findings of want per team, and per rule title.
func tallyFindings(want *figures.Figures, window time.Duration) (map[string]*teamFindings, map[string]int) {
	teams, rules := map[string]*teamFindings{}, map[string]int{}
	for _, fd := range want.FindingList {
		tf := teams[fd.Team]
		if tf == nil {
			tf = &teamFindings{byRule: map[string]int{}}
			teams[fd.Team] = tf
		}
		tf.all++
		tf.byRule[ruleTitles[fd.Rule]]++
		rules[ruleTitles[fd.Rule]]++
		if startedWithin(want, fd, window) {
			tf.inWindow++
		}
	}
	return teams, rules
}

// startedWithin says whether the finding's incident started in the
// window of that length ending at the figures' instant.
func startedWithin(want *figures.Figures, fd figures.Finding, length time.Duration) bool {
	return fd.Started.After(want.Settings.AsOf.Add(-length))
}

// checkPassTheBar compares, per month of publication, the post-mortems
// published and those with no finding.
func checkPassTheBar(t *testing.T, sc *scopes, md mdReport) {
	monthly := sc.settings
	monthly.Unit = "" // by month, whatever the report's period unit
	tb, want := newScopes(sc.org, monthly).table(t, md, "Post-mortems that pass the bar, by month of publication")
	if len(tb.Rows) != len(want.Periods) {
		t.Errorf("report: pass the bar in %d periods, want %d", len(tb.Rows), len(want.Periods))
	}
	for _, row := range tb.Rows {
		period := tb.cell(t, row, "Period")
		published, pass := passTheBar(want, period)
		checkShownCount(t, "report, published in "+period, tb.cell(t, row, "Published"), published)
		checkShownCount(t, "report, passing the bar in "+period, tb.cell(t, row, "Pass the bar"), pass)
		if published > 0 {
			checkShownPercent(t, "report, share passing the bar in "+period, tb.cell(t, row, "Share"), float64(pass)/float64(published))
		}
	}
}

// passTheBar counts the post-mortems published in a month (2026-05) and
// those of them with no finding.
func passTheBar(want *figures.Figures, month string) (published, pass int) {
	failed := map[string]bool{}
	for _, fd := range want.FindingList {
		failed[fd.Incident] = true
	}
	for _, in := range want.Published {
		if in.Published.Format("2006-01") == month {
			published++
			if !failed[in.ID] {
				pass++
			}
		}
	}
	return published, pass
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
// teams, overdue items, the days of the most overdue ("–" for none) and
// the items due today, the most overdue owner first; an owner with items
// due today and none overdue is listed too (docs/report.md), last.
func checkOverdueByOwner(t *testing.T, sc *scopes, window string, md mdReport) {
	type owner struct {
		teams                    []string
		items, maxDays, dueToday int
	}
	tb, want := sc.table(t, md, "Overdue work by owner")
	owners := map[string]*owner{}
	get := func(name, team string) *owner {
		o := owners[ownerShown(name)]
		if o == nil {
			o = &owner{maxDays: -1}
			owners[ownerShown(name)] = o
		}
		if !slices.Contains(o.teams, team) {
			o.teams = append(o.teams, team)
		}
		return o
	}
	for _, it := range want.Overdue {
		o := get(it.Owner, it.Team)
		o.items++
		o.maxDays = max(o.maxDays, daysLate(want, it))
	}
	for k, n := range want.DueToday {
		get(k[0], k[1]).dueToday += n
	}
	last := math.MaxInt
	eachKeyedRow(t, "report "+window+", overdue work by owner", tb, "Owner", owners, func(row []string, name string, o *owner) {
		slices.Sort(o.teams)
		most := "–"
		if o.maxDays >= 0 {
			most = daysText(o.maxDays)
		}
		got := []string{tb.cell(t, row, "Team"), tb.cell(t, row, "Overdue items"), tb.cell(t, row, "Most overdue"), tb.cell(t, row, "Due today")}
		if w := []string{strings.Join(o.teams, ", "), strconv.Itoa(o.items), most, strconv.Itoa(o.dueToday)}; !slices.Equal(got, w) {
			t.Errorf("report %s: overdue work of %s shows %q, want %q", window, name, got, w)
		}
		if o.maxDays > last {
			t.Errorf("report %s: owner %s listed after a less overdue one", window, name)
		}
		last = o.maxDays
	})
}

// eachKeyedRow checks that a table has one row per key of want, named in
// its column col, and calls check with each row, its key and value.
func eachKeyedRow[V any](t *testing.T, where string, tb mdTable, col string, want map[string]V, check func(row []string, key string, v V)) {
	t.Helper()
	if len(tb.Rows) != len(want) {
		t.Errorf("%s: %d rows, want %d", where, len(tb.Rows), len(want))
	}
	for _, row := range tb.Rows {
		key := tb.cell(t, row, col)
		v, ok := want[key]
		if !ok {
			t.Errorf("%s: a row for %s, want none", where, key)
			continue
		}
		check(row, key, v)
	}
}

// checkTrends compares the trend per period (incidents, SEV1 share and
// customer-detected share with their n, MTTR, MTTD and MTTM with n, the
// current period marked with the days it covers so far) and the medians
// and means by severity.
func checkTrends(t *testing.T, sc *scopes, _ string, md mdReport) {
	tb, want := sc.table(t, md, "2. Trends per "+unitOf(sc))
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

// unitOf is the period unit of the report: month unless it asks for
// another.
func unitOf(sc *scopes) string { return cmp.Or(sc.settings.Unit, "month") }

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
	tb, want := sc.table(t, md, "Change against the previous "+unitOf(sc))
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
	tb, want := sc.table(t, md, "Rolling 3 "+unitOf(sc)+"s")
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

// checkRepeats compares the repeats per team in the window, of both
// kinds, the list of which incident repeats which over the longest
// window, and the possible repeats to confirm.
func checkRepeats(t *testing.T, sc *scopes, window string, md mdReport) {
	tb, want := sc.table(t, md, "Repeat incidents")
	got := map[string][]string{}
	for _, row := range tb.Rows {
		got[tb.cell(t, row, "Team")] = []string{tb.cell(t, row, "Repeated: fix not done"), tb.cell(t, row, "Repeated despite the fix")}
	}
	for _, team := range teamsOf(want) {
		k := figures.Key{Window: window, Team: team}
		w := []string{strconv.Itoa(want.RepeatsFixNotDone[k]), strconv.Itoa(want.RepeatsAfterFix[k])}
		if g, ok := got[team]; (ok || w[0] != "0" || w[1] != "0") && !slices.Equal(g, w) {
			t.Errorf("report %s: repeats of %s %q, want %q", window, team, g, w)
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
		kind := "Repeated despite the fix"
		if r.FixNotDone {
			kind = "Repeated: fix not done"
		}
		got := []string{list.cell(t, row, "Team"), firstID(list.cell(t, row, "Incident")), firstID(list.cell(t, row, "Repeats")), list.cell(t, row, "Kind"), list.cell(t, row, "Started")}
		w := []string{r.Team, r.Incident, r.Earlier, kind, r.Started.Format(time.DateOnly)}
		if !slices.Equal(got, w) {
			t.Errorf("report: repeat %d is %q, want %q", i+1, got, w)
		}
	}
	possible, want := sc.table(t, md, "Possible repeats, to confirm")
	var gotPairs, wantPairs []string
	for _, row := range possible.Rows {
		gotPairs = append(gotPairs, strings.Join([]string{possible.cell(t, row, "Started"), possible.cell(t, row, "Team"), firstID(possible.cell(t, row, "Incident")),
			firstID(possible.cell(t, row, "Earlier")), possible.cell(t, row, "Service"), possible.cell(t, row, "Origin")}, " "))
	}
	for _, r := range want.PossibleRepeats {
		wantPairs = append(wantPairs, strings.Join([]string{r.Started.Format(time.DateOnly), r.Team, r.Incident, r.Earlier, r.Service, r.Origin}, " "))
	}
	slices.Sort(gotPairs)
	slices.Sort(wantPairs)
	if !slices.Equal(gotPairs, wantPairs) {
		t.Errorf("report: possible repeats\n%s\nwant\n%s", strings.Join(gotPairs, "\n"), strings.Join(wantPairs, "\n"))
	}
}
