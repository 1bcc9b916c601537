package forumorg_test

import (
	"strings"

	"github.com/postmortem-exporter/postmortem-exporter/internal/forumorg/figures"
)

// The panels of month over month (issue 21): the change against the
// previous month, the rolling three-month view, the month so far, the
// period metrics that replaced the history-bound panels of the overview,
// and the quality dashboard's panels over all teams.
func init() {
	for name, e := range map[string]panelExpectation{
		"trends: Change against the previous month": changeAgainstPrevious,
		"trends: Rolling three months: MTTR and MTTD": func(f *figures.Figures, c choice, col string) expected {
			switch col {
			case "MTTR, 3 months":
				return rolling(f, false, func(p string) (float64, float64, bool) { return trendSample(f, c, p, recoverOf) })
			case "MTTD, 3 months":
				return rolling(f, false, func(p string) (float64, float64, bool) { return trendSample(f, c, p, detectOf) })
			}
			return rolling(f, true, func(p string) (float64, float64, bool) {
				_, n, ok := trendSample(f, c, p, detectOf)
				return n, 0, ok
			})
		},
		"trends: Rolling three months: SEV1 and customer-detected share": func(f *figures.Figures, c choice, col string) expected {
			return rolling(f, col == "incidents", func(p string) (float64, float64, bool) {
				all := float64(f.Incidents[figures.Key{Window: p, Team: c.team}])
				switch col {
				case "SEV1 share, 3 months":
					return float64(f.Incidents[figures.Key{Window: p, Team: c.team, Severity: "sev1"}]), all, true
				case "customer-detected, 3 months":
					return float64(f.CustomerDetected[figures.Key{Window: p, Team: c.team}]), all, true
				}
				return all, 0, true
			})
		},
		"trends: Mean time to mitigate, with the number of mitigated incidents, all teams": severityPeriodMean(mitigateOf),
		"overview: MTTR, MTTD and MTTM per month, all teams": func(f *figures.Figures, c choice, col string) expected {
			of := map[string]durationsOf{"MTTR": recoverOf, "MTTD": detectOf, "MTTM": mitigateOf}[col]
			if col == "incidents" {
				return severityPeriodMean(detectOf)(f, c, col)
			}
			return severityPeriodMean(of)(f, c, "mean")
		},
		"overview: SEV1 share per month, with the incident count": func(f *figures.Figures, c choice, col string) expected {
			return panelExpectations["trends: SEV1 share, with the incident count"](f, c, col)
		},
		"trends: This month so far, all teams, all severities": func(f *figures.Figures, _ choice, _ string) expected {
			current := f.Periods[len(f.Periods)-1]
			return by("period", map[string]float64{current.Name: f.Settings.AsOf.Sub(current.Start).Seconds() / 86400})
		},
		// 8 teams are well under the teams the budget allows by team.
		"trends: Team filter": func(*figures.Figures, choice, string) expected { return one(1) },
		"quality: Learnings, all teams": func(f *figures.Figures, c choice, _ string) expected {
			return one(float64(f.Learnings[figures.Key{Window: c.window}]))
		},
		"quality: Time to publish, all teams": func(f *figures.Figures, c choice, col string) expected {
			var d figures.Durations
			for _, in := range f.Published {
				if startedWithin(f, figures.Finding{Started: in.Started}, windowLength(c.window)) {
					d.N++
					d.Sum += in.Published.Sub(in.Resolved).Seconds()
				}
			}
			switch col {
			case "mean":
				return single(d.Mean())
			case "post-mortems":
				return one(float64(d.N))
			}
			return expected{} // the p90 is an estimate from the buckets
		},
		"quality: Post-mortems waiting, oldest first": func(f *figures.Figures, c choice, _ string) expected {
			want := map[string]float64{}
			for _, in := range f.Unpublished {
				if c.team == "" || c.team == in.Team {
					key, age := in.Team+","+in.Status, 0.0
					if !in.Resolved.IsZero() {
						age = f.Settings.AsOf.Sub(in.Resolved).Seconds() / 86400
					}
					want[key] = max(want[key], age)
				}
			}
			return expected{by: []string{"team", "status"}, want: want}
		},
	} {
		panelExpectations[name] = e
	}
}

// trendSample is the sum and count of a period's durations as the trend
// dashboard reads them: of the team chosen over every severity, or of the
// severity chosen over every team; kept per team or per severity, not
// both, so with both chosen there is none.
func trendSample(f *figures.Figures, c choice, period string, of durationsOf) (sum, n float64, ok bool) {
	if c.team != "" && c.severity != "" {
		return 0, 0, false
	}
	d := of(f, figures.Key{Window: period, Team: c.team, Severity: c.severity})
	return d.Sum, float64(d.N), true
}

// severityPeriodMean: the mean per period of the severity chosen over
// every team, and its n, from the per-severity summaries, which have no
// team: a team chosen has none.
func severityPeriodMean(of durationsOf) panelExpectation {
	return func(f *figures.Figures, c choice, col string) expected {
		if c.team != "" {
			return by("period", map[string]float64{})
		}
		return periodMean(of)(f, c, col)
	}
}

// changeAgainstPrevious: per month but the oldest, a figure, its change
// against the month before (absolute: a share changes in points, as a
// ratio here) and its relative change (none after 0); the oldest month
// has its figure only.
func changeAgainstPrevious(f *figures.Figures, c choice, col string) expected {
	figure, kind, _ := strings.Cut(col, " change")
	value := func(p string) (float64, bool) {
		k := figures.Key{Window: p, Team: c.team}
		switch figure {
		case "Incidents":
			return float64(f.Incidents[windowKey(choice{team: c.team, severity: c.severity, window: p})]), true
		case "SEV1 share":
			return share(f.Incidents[figures.Key{Window: p, Team: c.team, Severity: "sev1"}], f.Incidents[k])
		case "Customer-detected":
			return share(f.CustomerDetected[k], f.Incidents[k])
		}
		of := map[string]durationsOf{"MTTR": recoverOf, "MTTD": detectOf}[figure]
		sum, n, ok := trendSample(f, c, p, of)
		return sum / n, ok && n > 0
	}
	want := map[string]float64{}
	for i, p := range f.Periods {
		now, ok := value(p.Name)
		if !ok {
			continue
		}
		if col == figure {
			want[periodLabel(f, p.Name)] = now
			continue
		}
		if i == 0 {
			continue
		}
		before, ok := value(f.Periods[i-1].Name)
		switch {
		case !ok:
		case kind == "":
			want[periodLabel(f, p.Name)] = now - before
		case before != 0:
			want[periodLabel(f, p.Name)] = (now - before) / before
		}
	}
	return expected{by: []string{"period"}, want: want, zeroIsNone: figure == "Incidents"}
}

// rolling is an expectation by period of each month with the two before
// it, from the third month on: the sum of part over the sum of whole, or
// the sum of part for a count (whole ignored).
func rolling(f *figures.Figures, count bool, value func(p string) (part, whole float64, ok bool)) expected {
	want := map[string]float64{}
	for i := 2; i < len(f.Periods); i++ {
		var part, whole float64
		ok := true
		for _, p := range f.Periods[i-2 : i+1] {
			a, b, have := value(p.Name)
			part, whole, ok = part+a, whole+b, ok && have
		}
		switch {
		case ok && count:
			want[periodLabel(f, f.Periods[i].Name)] = part
		case ok && whole > 0:
			want[periodLabel(f, f.Periods[i].Name)] = part / whole
		}
	}
	return by("period", want)
}
