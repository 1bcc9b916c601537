package report

import (
	"fmt"
	"math"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Trends is the second section: one row per calendar period of the unit
// asked for, the change against the previous period, and a rolling view
// of three periods.
type Trends struct {
	Unit       string // month, week or quarter
	Scope      Scope
	Severities []string // the taxonomy's, most severe first; only the filtered one with a severity filter
	// TopSeverity is the first severity of the taxonomy, whose share of
	// the incidents (of every severity, the team filter applied) is shown.
	TopSeverity string
	// CustomerDetection is the detection value counted as detected by a
	// customer; empty when no incident of the periods, of any team, has
	// it.
	CustomerDetection string
	Periods           []PeriodRow
	// Changes compare each period with the one before it, from the
	// second period on.
	Changes []Change
	// Rolling sums each run of three periods, from the third period on.
	Rolling []PeriodRow
}

// RollingPeriods is how many periods a row of the rolling view sums.
const RollingPeriods = 3

// PeriodRow holds one calendar period's figures (or, in the rolling
// view, those of a run of periods).
type PeriodRow struct {
	Period string
	// Partial marks the current period, which has not ended: its figures
	// are "so far", over DaysCovered of its Days.
	Partial           bool
	DaysCovered, Days int
	Incidents         int
	// TopSeverity counts the incidents of the top severity, of
	// AllSeverities incidents (the severity filter does not apply to it).
	TopSeverity, AllSeverities int
	TopSeverityShare           float64 // 0 with no incident
	CustomerDetected           int
	CustomerDetectedShare      float64
	// Recover, Detect, Acknowledge and Mitigate are over every severity
	// (or the one filtered); BySeverity per severity, in the order of
	// Trends.Severities (single periods only).
	Recover, Detect, Acknowledge, Mitigate Durations
	BySeverity                             []SeverityDurations
}

// Durations summarize incident durations in seconds.
type Durations struct {
	N      uint64
	Sum    float64
	Mean   float64 // 0 when N is 0
	Median float64
	// HasMedian is false when no median is known: no sample, or the
	// figure is a mean over severities, teams or periods whose medians do
	// not combine.
	HasMedian bool
}

// SeverityDurations are a period's durations of one severity.
type SeverityDurations struct {
	Severity                  string
	Recover, Detect, Mitigate Durations
}

// Change is a period's figures against the previous period's.
type Change struct {
	Period, Previous string
	Partial          bool // Period has not ended
	Incidents        Delta
	// TopSeverityShare and CustomerDetectedShare change in percentage
	// points (Abs is a ratio difference).
	TopSeverityShare, CustomerDetectedShare Delta
	Recover, Detect, Acknowledge, Mitigate  Delta
}

// Delta is a change: Abs = now − before, Rel = Abs ÷ before. Known is
// false when either side has no figure; HasRel when before is not 0.
type Delta struct {
	Abs, Rel      float64
	Known, HasRel bool
}

func delta(now, before float64, known bool) Delta {
	d := Delta{Abs: now - before, Known: known}
	if known && before != 0 {
		d.Rel, d.HasRel = d.Abs/before, true
	}
	return d
}

func trends(s *snapshot.Snapshot, f Filters) Trends {
	t := Trends{Unit: f.Period, Severities: s.Severities, Scope: f.scope(true, true)}
	if len(s.Severities) > 0 {
		t.TopSeverity = s.Severities[0]
	}
	if f.Severity != "" {
		t.Severities = []string{f.Severity}
	}
	periods := s.Trends[f.Period]
	// Over every team: a team's page has the forum page's columns, and a
	// team no customer found first reads 0%, not nothing.
	for _, p := range periods {
		for _, n := range p.CustomerDetected {
			if n > 0 {
				t.CustomerDetection = snapshot.CustomerDetection
			}
		}
	}
	for i := range periods {
		row := t.row(s.AsOf, periods[i:i+1], f)
		row.BySeverity = t.bySeverity(periods[i], f)
		t.Periods = append(t.Periods, row)
		if i > 0 {
			t.Changes = append(t.Changes, change(t.Periods[i-1], row))
		}
		if i+1 >= RollingPeriods {
			t.Rolling = append(t.Rolling, t.row(s.AsOf, periods[i+1-RollingPeriods:i+1], f))
		}
	}
	return t
}

// row sums the periods (one, or a rolling run) under the filters.
func (t Trends) row(asOf time.Time, periods []snapshot.TrendPeriod, f Filters) PeriodRow {
	first, last := periods[0].Period, periods[len(periods)-1].Period
	row := PeriodRow{Period: first.Name}
	if len(periods) > 1 {
		row.Period = first.Name + " – " + last.Name
	}
	if last.End.After(asOf) {
		row.Partial = true
		row.DaysCovered = int(math.Ceil(asOf.Sub(first.Start).Hours() / 24))
		row.Days = int(math.Round(last.End.Sub(first.Start).Hours() / 24))
	}
	var recover, detect, acknowledge, mitigate snapshot.Summary
	for _, p := range periods {
		for k, n := range p.Incidents {
			if !f.keepsTeam(k.Team) {
				continue
			}
			row.AllSeverities += n
			if k.Severity == t.TopSeverity {
				row.TopSeverity += n
			}
			if f.keeps(k.Team, k.Severity) {
				row.Incidents += n
				row.CustomerDetected += p.CustomerDetected[k]
			}
		}
		for k, d := range p.Durations {
			if f.keeps(k.Team, k.Severity) {
				addSummary(&recover, d[snapshot.TimeToRecover])
				addSummary(&detect, d[snapshot.TimeToDetect])
				addSummary(&acknowledge, d[snapshot.TimeToAcknowledge])
				addSummary(&mitigate, d[snapshot.TimeToMitigate])
			}
		}
	}
	row.TopSeverityShare = share(row.TopSeverity, row.AllSeverities)
	row.CustomerDetectedShare = share(row.CustomerDetected, row.Incidents)
	row.Recover, row.Detect, row.Acknowledge, row.Mitigate = durations(recover), durations(detect), durations(acknowledge), durations(mitigate)
	return row
}

// bySeverity are a period's durations per severity, with their medians:
// over every team, or those of the team filtered.
func (t Trends) bySeverity(p snapshot.TrendPeriod, f Filters) []SeverityDurations {
	var out []SeverityDurations
	for _, sev := range t.Severities {
		sd := SeverityDurations{Severity: sev}
		d := p.BySeverity[sev]
		if f.Team != "" {
			d = p.Durations[snapshot.SeverityTeam{Severity: sev, Team: f.Team}]
		}
		if d != nil {
			sd.Recover, sd.Detect, sd.Mitigate = durations(d[snapshot.TimeToRecover]), durations(d[snapshot.TimeToDetect]), durations(d[snapshot.TimeToMitigate])
		}
		out = append(out, sd)
	}
	return out
}

func addSummary(to *snapshot.Summary, s snapshot.Summary) {
	to.Count += s.Count
	to.Sum += s.Sum
}

func change(before, now PeriodRow) Change {
	return Change{Period: now.Period, Previous: before.Period, Partial: now.Partial,
		Incidents:             delta(float64(now.Incidents), float64(before.Incidents), true),
		TopSeverityShare:      delta(now.TopSeverityShare, before.TopSeverityShare, now.AllSeverities > 0 && before.AllSeverities > 0),
		CustomerDetectedShare: delta(now.CustomerDetectedShare, before.CustomerDetectedShare, now.Incidents > 0 && before.Incidents > 0),
		Recover:               delta(now.Recover.Mean, before.Recover.Mean, now.Recover.N > 0 && before.Recover.N > 0),
		Detect:                delta(now.Detect.Mean, before.Detect.Mean, now.Detect.N > 0 && before.Detect.N > 0),
		Acknowledge:           delta(now.Acknowledge.Mean, before.Acknowledge.Mean, now.Acknowledge.N > 0 && before.Acknowledge.N > 0),
		Mitigate:              delta(now.Mitigate.Mean, before.Mitigate.Mean, now.Mitigate.N > 0 && before.Mitigate.N > 0),
	}
}

// durations turns an exact summary into the figures shown.
func durations(s snapshot.Summary) Durations {
	d := Durations{N: s.Count, Sum: s.Sum}
	if s.Count > 0 {
		d.Mean = s.Sum / float64(s.Count)
	}
	if m, ok := s.Quantiles[0.5]; ok && s.Count > 0 {
		d.Median, d.HasMedian = m, true
	}
	return d
}

// partialNote says how much of a partial period the figures cover.
func partialNote(row PeriodRow) string {
	if !row.Partial {
		return ""
	}
	return fmt.Sprintf("so far: %d of %d days", row.DaysCovered, row.Days)
}
