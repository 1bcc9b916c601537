package forumorg_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
)

// checkReport compares every figure of the report's Markdown for one
// window with the expected figures.
func checkReport(t *testing.T, want *figures.Figures, window string, md mdReport) {
	t.Helper()
	if !slices.ContainsFunc(md.Lines, func(l string) bool { return strings.Contains(l, fmt.Sprintf("· %d valid records", want.Valid)) }) {
		t.Errorf("%s: the header does not say %d valid records: %q", window, want.Valid, md.Lines[:min(4, len(md.Lines))])
	}
	checkTimeliness(t, want, window, md)
	checkOverdueList(t, want, window, md)
	checkTrends(t, want, md)
	checkDetection(t, want, window, md)
	checkServices(t, want, window, md)
	checkOriginResolution(t, want, window, md)
	checkRepeats(t, want, window, md)
	checkPostMortems(t, want, window, md)
	checkFindings(t, want, window, md)
}

// ruleTitles are the rules this organisation breaks, as the report names
// them.
var ruleTitles = map[string]string{
	"published_late": "published late", "security_review": "no security review", "action_item_owner": "item without one owner",
}

// checkFindings compares the findings per team (all, in the window, by
// rule), per rule, the share of post-mortems that pass the bar by month
// of publication, and the findings post-mortem by post-mortem.
func checkFindings(t *testing.T, want *figures.Figures, window string, md mdReport) {
	var length time.Duration
	for _, w := range forumWindows {
		if w.Name == window {
			length = w.Length
		}
	}
	inWindow := func(fd figures.Finding, d time.Duration) bool { return fd.Started.After(want.Settings.AsOf.Add(-d)) }
	type teamFindings struct {
		all, inWindow int
		byRule        map[string]int
	}
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
		if inWindow(fd, length) {
			tf.inWindow++
		}
	}
	perTeam := md.table("Findings per team")
	if len(perTeam.Rows) != len(teams) {
		t.Errorf("report %s: findings of %d teams, want %d", window, len(perTeam.Rows), len(teams))
	}
	for _, row := range perTeam.Rows {
		team := perTeam.cell(t, row, "Team")
		tf := teams[team]
		if tf == nil {
			t.Errorf("report %s: findings of %s, want none", window, team)
			continue
		}
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
	}
	perRule := md.table("Findings per rule")
	if len(perRule.Rows) != len(rules) {
		t.Errorf("report %s: %d rules with findings, want %d", window, len(perRule.Rows), len(rules))
	}
	for _, row := range perRule.Rows {
		checkShownCount(t, "report "+window+", findings of "+perRule.cell(t, row, "Rule"), perRule.cell(t, row, "Findings"), rules[perRule.cell(t, row, "Rule")])
	}
	checkPassTheBar(t, want, md)
	list := md.table("Findings, post-mortem by post-mortem")
	var got, w []string
	for _, row := range list.Rows {
		got = append(got, strings.Join([]string{firstID(list.cell(t, row, "Post-mortem")), list.cell(t, row, "Team"), list.cell(t, row, "Rule"), list.cell(t, row, "Action item")}, " "))
	}
	for _, fd := range want.FindingList {
		if inWindow(fd, forumWindows[len(forumWindows)-1].Length) {
			w = append(w, strings.Join([]string{fd.Incident, fd.Team, ruleTitles[fd.Rule], fd.Item}, " "))
		}
	}
	slices.Sort(got)
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Errorf("report %s: findings post-mortem by post-mortem\n%s\nwant\n%s", window, strings.Join(got, "\n"), strings.Join(w, "\n"))
	}
}

// checkPassTheBar compares, per month of publication, the post-mortems
// published and those with no finding.
func checkPassTheBar(t *testing.T, want *figures.Figures, md mdReport) {
	tb := md.table("Post-mortems that pass the bar, by month of publication")
	if len(tb.Rows) != len(want.Periods) {
		t.Errorf("report: pass the bar in %d periods, want %d", len(tb.Rows), len(want.Periods))
	}
	failed := map[string]bool{}
	for _, fd := range want.FindingList {
		failed[fd.Incident] = true
	}
	for _, row := range tb.Rows {
		period := tb.cell(t, row, "Period")
		published, pass := 0, 0
		for _, in := range want.Published {
			if in.Published.Format("2006-01") == period {
				published++
				if !failed[in.ID] {
					pass++
				}
			}
		}
		checkShownCount(t, "report, published in "+period, tb.cell(t, row, "Published"), published)
		checkShownCount(t, "report, passing the bar in "+period, tb.cell(t, row, "Pass the bar"), pass)
		if published > 0 {
			checkShownPercent(t, "report, share passing the bar in "+period, tb.cell(t, row, "Share"), float64(pass)/float64(published))
		}
	}
}

// checkPostMortems compares the post-mortems published late (with whole
// days from resolution to publication) and those not published yet
// (with their status and whole days since the resolution).
func checkPostMortems(t *testing.T, want *figures.Figures, window string, md mdReport) {
	late := md.table("Post-mortems published late")
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
	pending := md.table("Post-mortems not published yet")
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
func checkTimeliness(t *testing.T, want *figures.Figures, window string, md mdReport) {
	tb := md.table("Per team")
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

// checkOverdueList compares the overdue items with their team, owner,
// due day and whole days overdue.
func checkOverdueList(t *testing.T, want *figures.Figures, window string, md mdReport) {
	tb := md.table("Overdue items by team and owner")
	got := map[string][]string{}
	for _, row := range tb.Rows {
		got[firstID(tb.cell(t, row, "Item"))] = []string{tb.cell(t, row, "Team"), tb.cell(t, row, "Owner"),
			firstID(tb.cell(t, row, "Incident")), tb.cell(t, row, "Due"), tb.cell(t, row, "Days overdue")}
	}
	if len(got) != len(want.Overdue) {
		t.Errorf("report %s: %d overdue items listed, want %d", window, len(got), len(want.Overdue))
	}
	for _, it := range want.Overdue {
		row, ok := got[it.ID]
		if !ok {
			t.Errorf("report %s: overdue item %s (%s, %s) not listed", window, it.ID, it.Team, it.Owner)
			continue
		}
		w := []string{it.Team, it.Owner, it.Incident, it.Due.Format(time.DateOnly), fmt.Sprint(int(it.Overdue / (24 * time.Hour)))}
		if it.Owner == "" {
			w[1] = row[1] // how an item with no owner is shown is issue 21's item 6
		}
		if !slices.Equal(row, w) {
			t.Errorf("report %s: overdue item %s shows %q, want %q", window, it.ID, row, w)
		}
	}
}

// checkTrends compares the trend per period (incidents, SEV1 count and
// share, customer-detected count and share, MTTR and MTTD with n) and
// the medians and means by severity.
func checkTrends(t *testing.T, want *figures.Figures, md mdReport) {
	tb, periods := md.table("2. Trends per period"), map[string]bool{}
	for _, row := range tb.Rows {
		period := tb.cell(t, row, "Period")
		periods[period] = true
		k := figures.Key{Window: period}
		n, sev1, customer := want.Incidents[k], want.Incidents[figures.Key{Window: period, Severity: "sev1"}], want.CustomerDetected[k]
		where := "report, trend " + period
		checkShownCount(t, where+", incidents", tb.cell(t, row, "Incidents"), n)
		checkShownCount(t, where+", sev1", tb.cell(t, row, "sev1"), sev1)
		checkShownCount(t, where+", customer-detected", tb.cell(t, row, "Customer-detected"), customer)
		if n > 0 {
			checkShownPercent(t, where+", sev1 share", tb.cell(t, row, "sev1 share"), float64(sev1)/float64(n))
			checkShownPercent(t, where+", customer share", tb.cell(t, row, "share"), float64(customer)/float64(n))
		}
		checkMeanCell(t, where+", MTTR", tb.cell(t, row, "MTTR"), want.Recover[k])
		checkMeanCell(t, where+", MTTD", tb.cell(t, row, "MTTD"), want.Detect[k])
	}
	for _, p := range want.Periods {
		if !periods[p.Name] {
			t.Errorf("report: no trend row for %s", p.Name)
		}
	}
	bySeverity := md.table("Time to recover and detect by severity: median / mean (n)")
	if len(bySeverity.Rows) != len(want.Periods) {
		t.Errorf("report: %d periods by severity, want %d", len(bySeverity.Rows), len(want.Periods))
	}
	for _, row := range bySeverity.Rows {
		period := bySeverity.cell(t, row, "Period")
		for _, sev := range forumorg.Severities {
			k := figures.Key{Window: period, Severity: sev}
			checkMedianMeanCell(t, "report, "+period+" "+sev+" recover", bySeverity.cell(t, row, sev+" recover"), want.Recover[k])
			checkMedianMeanCell(t, "report, "+period+" "+sev+" detect", bySeverity.cell(t, row, sev+" detect"), want.Detect[k])
		}
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
func checkDetection(t *testing.T, want *figures.Figures, window string, md mdReport) {
	tb, all := md.table("Who detected them first"), want.Incidents[figures.Key{Window: window}]
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
func checkServices(t *testing.T, want *figures.Figures, window string, md mdReport) {
	tb, got := md.table("Services that keep failing"), map[string]string{}
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
func checkOriginResolution(t *testing.T, want *figures.Figures, window string, md mdReport) {
	tb, total := md.table("Where faults came from and how they were resolved"), 0
	defer func() {
		if n := want.Incidents[figures.Key{Window: window}]; total != n {
			t.Errorf("report %s: origin × resolution adds up to %d incidents, want %d", window, total, n)
		}
	}()
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
		total += all
	}
}

// checkRepeats compares the repeats per team in the window, of both
// kinds, the list of which incident repeats which over the longest
// window, and the possible repeats to confirm.
func checkRepeats(t *testing.T, want *figures.Figures, window string, md mdReport) {
	tb := md.table("Repeat incidents")
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
	list := md.table("Which incident repeats which")
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
	possible := md.table("Possible repeats, to confirm")
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
