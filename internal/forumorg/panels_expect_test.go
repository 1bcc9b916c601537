package forumorg_test

import (
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg"
	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
)

// panelExpectations are the panels compared, by "dashboard: title": what
// each target must return, from the figures. A panel or target not here
// is evaluated by dashboards.TestEveryQueryReturnsData and listed by the
// forum test as not compared.
var panelExpectations = map[string]panelExpectation{
	"overview: Team scorecard":              teamScorecard,
	"overview: MTTR by severity, all teams": bySeverityMean(recoverOf),
	"overview: MTTD by severity, all teams": bySeverityMean(detectOf),
	"overview: MTTM by severity, all teams": bySeverityMean(mitigateOf),
	"overview: Invalid records": func(f *figures.Figures, c choice, _ string) expected {
		n := 0
		for _, in := range f.InvalidRecords {
			if c.team == "" || c.team == in.Team {
				n++
			}
		}
		return one(float64(n))
	},
	"overview: Invalid records by team and reason": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, in := range f.InvalidRecords {
			if c.team == "" || c.team == in.Team {
				want[in.Team+","+in.Invalid]++
			}
		}
		return expected{by: []string{"team", "reason"}, want: want}
	},
	"action-items: Overdue work by owner": func(f *figures.Figures, c choice, col string) expected {
		want := map[string]float64{}
		for _, it := range f.Overdue {
			if c.team == "" || c.team == it.Team {
				if col == "Overdue items" {
					want[it.Owner]++
				} else {
					want[it.Owner] = max(want[it.Owner], it.Overdue.Seconds()/86400)
				}
			}
		}
		return by("owner", want)
	},
	"overview: Time to recover, median and p90, all teams": bySeverityQuantiles(recoverOf),
	"overview: Time to detect, median and p90, all teams":  bySeverityQuantiles(detectOf),
	"overview: MTTR and median per team, all severities":   perTeamMeanMedian(recoverOf),
	"overview: MTTD and median per team, all severities":   perTeamMeanMedian(detectOf),
	"overview: MTTR and MTTD trend, all teams": func(f *figures.Figures, c choice, col string) expected {
		if col == "MTTR" {
			return bySeverityMean(recoverOf)(f, c, col)
		}
		return bySeverityMean(detectOf)(f, c, col)
	},
	"overview: SEV1 share and incident count": func(f *figures.Figures, c choice, col string) expected {
		k := figures.Key{Window: c.window, Team: c.team}
		sev1 := f.Incidents[figures.Key{Window: c.window, Team: c.team, Severity: "sev1"}]
		if col == "SEV1 share" {
			return single(share(sev1, f.Incidents[k]))
		}
		return one(float64(f.Incidents[k]))
	},
	"overview: Customer-detected share": func(f *figures.Figures, c choice, _ string) expected {
		k := figures.Key{Window: c.window, Team: c.team}
		return single(share(f.CustomerDetected[k], f.Incidents[k]))
	},
	"overview: Detection source share": func(f *figures.Figures, c choice, _ string) expected {
		want, all := map[string]float64{}, f.Incidents[figures.Key{Window: c.window, Team: c.team}]
		for _, d := range forumorg.Detections {
			// A detection has a series, at 0 too, while the longest window holds one.
			if f.Detection[[3]string{"365d", c.team, d}] > 0 && all > 0 {
				want[d] = float64(f.Detection[[3]string{c.window, c.team, d}]) / float64(all)
			}
		}
		return by("detection", want)
	},
	"overview: Repeated: fix not done": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.RepeatsFixNotDone[figures.Key{Window: c.window, Team: c.team}]))
	},
	"overview: Open incidents": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.Open[figures.Key{Team: c.team, Severity: c.severity}]))
	},
	"overview: Incidents": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.Incidents[windowKey(c)]))
	},
	"overview: Services that keep failing": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for k, n := range f.Services {
			if k[0] == c.window {
				want[k[1]] = float64(n)
			}
		}
		return by("service", want)
	},
	"overview: Post-mortems not published": pendingByStatus,
	"overview: Customers affected": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.CustomersAffected[figures.Key{Window: c.window, Team: c.team}]))
	},
	"overview: Failed requests": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.FailedRequests[figures.Key{Window: c.window, Team: c.team}]))
	},
	"overview: Data-loss and security incidents": func(f *figures.Figures, c choice, col string) expected {
		k := figures.Key{Window: c.window, Team: c.team}
		if col == "data loss" {
			return one(float64(f.DataLoss[k]))
		}
		return one(float64(f.Security[k]))
	},
	"overview: Oldest unpublished post-mortem": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, in := range f.Unpublished {
			if c.team == "" || c.team == in.Team {
				age := 0.0
				if !in.Resolved.IsZero() {
					age = f.Settings.AsOf.Sub(in.Resolved).Seconds()
				}
				want[in.Team] = max(want[in.Team], age)
			}
		}
		return by("team", want)
	},
	"overview: Fault origin": func(f *figures.Figures, c choice, _ string) expected {
		return byClass(f, c, "origin", func(k [4]string) string { return k[2] })
	},
	"overview: Resolution": func(f *figures.Figures, c choice, _ string) expected {
		return byClass(f, c, "resolution", func(k [4]string) string { return k[3] })
	},
	"action-items: Items not listed":     func(*figures.Figures, choice, string) expected { return one(0) },
	"action-items: Open exceptions":      noSeries,
	"team: Open exceptions":              noSeries,
	"action-items: Exceptions by status": noSeries,
	"quality: Findings": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(findings(f, c.team, "")))
	},
	"quality: Findings per rule": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for k := range f.Findings {
			if n := findings(f, c.team, k[1]); n > 0 {
				want[k[1]] = float64(n)
			}
		}
		return by("rule", want)
	},
	"quality: Findings per team and rule": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for k, n := range f.Findings {
			if c.team == "" || c.team == k[0] {
				want[k[0]+","+k[1]] = float64(n)
			}
		}
		return expected{by: []string{"team", "rule"}, want: want}
	},
	"trends: Fault origin": periodClasses("origin"),
	"trends: Resolution":   periodClasses("resolution"),
	"trends: Action items due each month": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for k, n := range f.PeriodDue {
			if k[1] == c.team {
				want[periodLabel(f, k[0])+","+k[2]] = float64(n)
			}
		}
		return expected{by: []string{"period", "outcome"}, want: want, zeroIsNone: true}
	},
	"quality: Findings in the window": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(len(findingsOf(f, c, c.window))))
	},
	"quality: Findings not listed": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(max(0, len(findingsOf(f, choice{}, "365d"))-100)))
	},
	"quality: Findings per team": func(f *figures.Figures, c choice, col string) expected {
		window := ""
		if col == "In the window" {
			window = c.window
		}
		want := map[string]float64{}
		for _, fd := range findingsOf(f, c, window) {
			want[fd.Team]++
		}
		return expected{by: []string{"team"}, want: want, zeroIsNone: true}
	},
	"quality: Findings per rule, by month of publication": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, fd := range f.FindingList {
			month := fd.Published.Format("2006-01")
			if !fd.Published.IsZero() && slices.ContainsFunc(f.Periods, func(p figures.Period) bool { return p.Name == month }) {
				want[periodLabel(f, month)+","+fd.Rule]++
			}
		}
		return expected{by: []string{"period", "rule"}, want: want}
	},
	"quality: Post-mortems that pass the bar, by month of publication": func(f *figures.Figures, c choice, col string) expected {
		return perPeriod(f, func(p string) (float64, bool) {
			published, pass := passTheBar(f, p)
			if col == "post-mortems" {
				return float64(published), true
			}
			return share(pass, published)
		})
	},
	"quality: Findings, post-mortem by post-mortem": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, fd := range findingsOf(f, c, "365d") {
			want[fd.Incident+","+fd.Rule+","+fd.Item] = 1
		}
		return expected{by: []string{"incident", "rule", "item"}, want: want}
	},
	"quality: Possible repeats, to confirm": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, r := range f.PossibleRepeats {
			if c.team == "" || c.team == r.Team {
				want[r.Incident+","+r.Earlier+","+r.Service+","+r.Origin] = 1
			}
		}
		return expected{by: []string{"incident", "repeats", "service", "origin"}, want: want}
	},
	"quality: Repeats not listed": func(*figures.Figures, choice, string) expected { return one(0) },
	"team: Incidents per window": func(f *figures.Figures, c choice, _ string) expected {
		return perWindow(func(w string) (float64, bool) {
			// Series exist, at 0 too, while the longest window holds any.
			longest := f.Incidents[figures.Key{Window: "365d", Team: c.team, Severity: c.severity}]
			return float64(f.Incidents[figures.Key{Window: w, Team: c.team, Severity: c.severity}]), longest > 0
		})
	},
	"team: MTTR per window, all severities": perWindowMeanMedian(recoverOf),
	"team: MTTD per window, all severities": perWindowMeanMedian(detectOf),
	"team: Repeat incidents per window, all severities": func(f *figures.Figures, c choice, _ string) expected {
		return perWindow(func(w string) (float64, bool) {
			return float64(f.RepeatsFixNotDone[figures.Key{Window: w, Team: c.team}]), true
		})
	},
	"team: Incidents by severity": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, sev := range forumorg.Severities {
			if (c.severity == "" || c.severity == sev) && f.Incidents[figures.Key{Window: "365d", Team: c.team, Severity: sev}] > 0 {
				want[sev] = float64(f.Incidents[figures.Key{Window: c.window, Team: c.team, Severity: sev}])
			}
		}
		return by("severity", want)
	},
	"team: Customer-detected share": func(f *figures.Figures, c choice, _ string) expected {
		k := figures.Key{Window: c.window, Team: c.team}
		return single(share(f.CustomerDetected[k], f.Incidents[k]))
	},
	"team: Action items by status": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, status := range []string{forumorg.ItemOpen, forumorg.ItemDone, forumorg.ItemWontDo} {
			if n := itemCount(f, c, status); n > 0 {
				want[status] = float64(n)
			}
		}
		return by("status", want)
	},
	"team: Overdue items":                overdueCount,
	"team: Post-mortems not published":   pendingByStatus,
	"team: Overdue action items":         func(f *figures.Figures, c choice, _ string) expected { return overdueDays(f, c) },
	"action-items: Overdue items":        overdueCount,
	"action-items: Overdue action items": func(f *figures.Figures, c choice, _ string) expected { return overdueDays(f, c) },
	"action-items: Open, overdue and done per team": func(f *figures.Figures, c choice, col string) expected {
		return perTeam(f, c, func(team string) (float64, bool) {
			tc := choice{team: team}
			switch col {
			case "open": // a status has a series while the team has items in it
				return float64(itemCount(f, tc, forumorg.ItemOpen)), itemCount(f, tc, forumorg.ItemOpen) > 0
			case "overdue":
				return float64(overdueOf(f, tc)), true
			}
			return float64(itemCount(f, tc, forumorg.ItemDone)), itemCount(f, tc, forumorg.ItemDone) > 0
		})
	},
	"action-items: Unowned items": func(f *figures.Figures, c choice, _ string) expected {
		n := 0
		for _, it := range f.Overdue {
			if it.Owner == "" && (c.team == "" || c.team == it.Team) {
				n++
			}
		}
		return one(float64(n))
	},
	"action-items: Time to complete": func(f *figures.Figures, c choice, col string) expected {
		d := f.Completion[figures.Key{Window: c.window, Team: c.team}]
		switch col {
		case "mean":
			return single(d.Mean())
		case "items done":
			return one(float64(d.N))
		}
		return expected{} // the p90 is an estimate from buckets
	},
	"action-items: On-time ratio": func(f *figures.Figures, c choice, col string) expected {
		onTime, n := 0, 0
		for k, v := range f.Due {
			if k[0] == c.window && (c.team == "" || c.team == k[1]) && k[2] != forumorg.ItemWontDo {
				n += v
				if k[2] == "on_time" {
					onTime += v
				}
			}
		}
		if col == "on time" {
			return single(share(onTime, n))
		}
		return one(float64(n))
	},
	"quality: Repeated: fix not done": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.RepeatsFixNotDone[figures.Key{Window: c.window, Team: c.team}]))
	},
	"quality: Repeated despite the fix": func(f *figures.Figures, c choice, _ string) expected {
		return one(float64(f.RepeatsAfterFix[figures.Key{Window: c.window, Team: c.team}]))
	},
	"quality: Which incident repeats which": func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, r := range f.RepeatList {
			if c.team == "" || c.team == r.Team {
				want[r.Incident+","+r.Earlier] = 1
			}
		}
		return expected{by: []string{"incident", "repeats"}, want: want}
	},
	"trends: Mean time to recover, with the number of resolved incidents":                periodMean(recoverOf),
	"trends: Mean time to detect, with the number of incidents":                          periodMean(detectOf),
	"trends: Median time to recover: by severity for all teams, by team for a selection": periodMedians(recoverOf),
	"trends: Median time to detect: by severity for all teams, by team for a selection":  periodMedians(detectOf),
	"trends: SEV1 share, with the incident count": func(f *figures.Figures, c choice, col string) expected {
		return perPeriod(f, func(p string) (float64, bool) {
			n := f.Incidents[figures.Key{Window: p, Team: c.team}]
			if col == "incidents" {
				return float64(n), true
			}
			return share(f.Incidents[figures.Key{Window: p, Team: c.team, Severity: "sev1"}], n)
		})
	},
	"trends: Customer-detected share": func(f *figures.Figures, c choice, col string) expected {
		return perPeriod(f, func(p string) (float64, bool) {
			n := f.Incidents[figures.Key{Window: p, Team: c.team}]
			if col == "incidents" {
				return float64(n), true
			}
			return share(f.CustomerDetected[figures.Key{Window: p, Team: c.team}], n)
		})
	},
}

// durationsOf picks one kind of durations from the figures.
type durationsOf func(f *figures.Figures, k figures.Key) figures.Durations

func recoverOf(f *figures.Figures, k figures.Key) figures.Durations { return f.Recover[k] }
func detectOf(f *figures.Figures, k figures.Key) figures.Durations  { return f.Detect[k] }
func mitigateOf(f *figures.Figures, k figures.Key) figures.Durations {
	return f.Mitigate[k]
}

// teamScorecard: incidents, SEV1s, median time to recover, customer
// share, repeats, overdue items, on-time ratio per team; findings are not
// compared.
func teamScorecard(f *figures.Figures, c choice, col string) expected {
	return perTeam(f, c, func(team string) (float64, bool) {
		k := figures.Key{Window: c.window, Team: team}
		switch col {
		case "Incidents":
			return float64(f.Incidents[k]), true
		case "SEV1":
			return float64(f.Incidents[figures.Key{Window: c.window, Team: team, Severity: "sev1"}]), true
		case "Median TTR":
			d := f.Recover[k]
			return d.Median, d.N > 0
		case "Customer-detected":
			return share(f.CustomerDetected[k], f.Incidents[k])
		case "Repeated: fix not done":
			return float64(f.RepeatsFixNotDone[k]), true
		case "Repeated despite the fix":
			return float64(f.RepeatsAfterFix[k]), true
		case "Overdue items":
			return float64(overdueOf(f, choice{team: team})), true
		case "On time":
			onTime, n := f.Due[[3]string{c.window, team, "on_time"}], 0
			for _, o := range []string{"on_time", "late", "open"} {
				n += f.Due[[3]string{c.window, team, o}]
			}
			return share(onTime, n)
		}
		return float64(findings(f, team, "")), true
	})
}

// findings counts the findings of a team ("" every team) under a rule
// ("" every rule).
func findings(f *figures.Figures, team, rule string) int {
	n := 0
	for k, v := range f.Findings {
		if (team == "" || team == k[0]) && (rule == "" || rule == k[1]) {
			n += v
		}
	}
	return n
}

// periodClasses: the incidents of each period by origin or resolution.
func periodClasses(class string) panelExpectation {
	return func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for k, n := range f.Classes {
			if k.Team == c.team && k.Class == class {
				want[periodLabel(f, k.Period)+","+k.Value] = float64(n)
			}
		}
		return expected{by: []string{"period", class}, want: want, zeroIsNone: true}
	}
}

// bySeverityMean: the mean of every severity the choice selects with
// incidents, and their counts (incidents), 0 included.
func bySeverityMean(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, col string) expected {
		want := map[string]float64{}
		for _, sev := range forumorg.Severities {
			if c.severity != "" && c.severity != sev {
				continue
			}
			d := of(f, figures.Key{Window: c.window, Severity: sev})
			if m, ok := d.Mean(); ok && col != "incidents" { // MTTR, MTTD or MTTM
				want[sev] = m
			} else if col == "incidents" {
				want[sev] = float64(d.N)
			}
		}
		return by("severity", want)
	}
}

// bySeverityQuantiles: the exact median (p50) and p90 per severity.
func bySeverityQuantiles(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, col string) expected {
		want := map[string]float64{}
		for _, sev := range forumorg.Severities {
			if d := of(f, figures.Key{Window: c.window, Severity: sev}); (c.severity == "" || c.severity == sev) && d.N > 0 {
				want[sev] = map[string]float64{"p50": d.Median, "p90": d.P90}[col]
			}
		}
		return by("severity", want)
	}
}

// perTeamMeanMedian: the mean and the median per team.
func perTeamMeanMedian(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, col string) expected {
		return perTeam(f, c, func(team string) (float64, bool) {
			d := of(f, figures.Key{Window: c.window, Team: team})
			if col == "mean" {
				return d.Mean()
			}
			return d.Median, d.N > 0
		})
	}
}

// perWindow is an expectation by window.
func perWindow(value func(w string) (float64, bool)) expected {
	want := map[string]float64{}
	for _, w := range forumWindows {
		if v, ok := value(w.Name); ok {
			want[w.Name] = v
		}
	}
	return by("window", want)
}

// perWindowMeanMedian: a team's mean and median in every window.
func perWindowMeanMedian(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, col string) expected {
		return perWindow(func(w string) (float64, bool) {
			d := of(f, figures.Key{Window: w, Team: c.team})
			if col == "mean" {
				return d.Mean()
			}
			return d.Median, d.N > 0
		})
	}
}

// perPeriod is an expectation by period.
func perPeriod(f *figures.Figures, value func(p string) (float64, bool)) expected {
	want := map[string]float64{}
	for _, p := range f.Periods {
		if v, ok := value(p.Name); ok {
			want[periodLabel(f, p.Name)] = v
		}
	}
	return by("period", want)
}

// periodLabel is a period's label on the dashboards: the current one is
// marked "(so far)", as a partial month is not a better month.
func periodLabel(f *figures.Figures, name string) string {
	if name == f.Periods[len(f.Periods)-1].Name {
		return name + " (so far)"
	}
	return name
}

// periodMean: the mean per period and its n (incidents), of the team
// chosen or of the severity chosen over all teams; a month's durations
// are kept per team or per severity, not both, so with both chosen there
// is no bar (the panel says so).
func periodMean(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, col string) expected {
		if c.team != "" && c.severity != "" {
			return by("period", map[string]float64{})
		}
		return perPeriod(f, func(p string) (float64, bool) {
			d := of(f, figures.Key{Window: p, Team: c.team, Severity: c.severity})
			if col == "mean" {
				return d.Mean()
			}
			return float64(d.N), true
		})
	}
}

// periodMedians: per period, the median of each severity the choice
// selects over all teams, or the chosen team's median over every
// severity, as the title says.
func periodMedians(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, _ string) expected {
		want := map[string]float64{}
		for _, p := range f.Periods {
			switch {
			case c.team != "" && c.severity != "": // kept per team or per severity, not both: no bar
			case c.team != "":
				if d := of(f, figures.Key{Window: p.Name, Team: c.team}); d.N > 0 {
					want[c.team+","+periodLabel(f, p.Name)] = d.Median
				}
			default:
				for _, sev := range forumorg.Severities {
					if d := of(f, figures.Key{Window: p.Name, Severity: sev}); (c.severity == "" || c.severity == sev) && d.N > 0 {
						want[sev+","+periodLabel(f, p.Name)] = d.Median
					}
				}
			}
		}
		return expected{by: []string{"median_of", "period"}, want: want}
	}
}

// overdueOf counts the overdue items of the teams a choice selects.
func overdueOf(f *figures.Figures, c choice) int {
	n := 0
	for _, it := range f.Overdue {
		if c.team == "" || c.team == it.Team {
			n++
		}
	}
	return n
}

func overdueCount(f *figures.Figures, c choice, _ string) expected {
	return one(float64(overdueOf(f, c)))
}

// pendingByStatus: the post-mortems not published, by status.
func pendingByStatus(f *figures.Figures, c choice, _ string) expected {
	want := map[string]float64{}
	for k, n := range f.Pending {
		if c.team == "" || c.team == k[0] {
			want[k[1]] += float64(n)
		}
	}
	return by("status", want)
}

// noSeries: the organisation has no item with an exception.
func noSeries(*figures.Figures, choice, string) expected { return expected{want: map[string]float64{}} }

// byClass counts the incidents of the window by one classification
// (origin or resolution; an unresolved incident has none), for the
// classes the chosen teams have in any window (the exporter keeps a
// series, at 0, while a class is in the longest window).
func byClass(f *figures.Figures, c choice, label string, class func(k [4]string) string) expected {
	want := map[string]float64{}
	for k, n := range f.OriginResolution {
		if cl := class(k); k[1] == c.team && cl != "" && n > 0 && k[0] == "365d" {
			want[cl] += 0
		}
	}
	for k, n := range f.OriginResolution {
		if cl := class(k); k[0] == c.window && k[1] == c.team && cl != "" {
			want[cl] += float64(n)
		}
	}
	return by(label, want)
}

// findingsOf lists the findings of the teams a choice selects, of the
// incidents started in the window ("" for all).
func findingsOf(f *figures.Figures, c choice, window string) []figures.Finding {
	var out []figures.Finding
	for _, fd := range f.FindingList {
		if (c.team == "" || c.team == fd.Team) && (window == "" || fd.Started.After(f.Settings.AsOf.Add(-windowLength(window)))) {
			out = append(out, fd)
		}
	}
	return out
}

// windowLength is the length of a window by name.
func windowLength(name string) time.Duration {
	for _, w := range forumWindows {
		if w.Name == name {
			return w.Length
		}
	}
	panic("no window " + name)
}
