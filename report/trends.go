package report

import (
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Trends is the second section: one row per calendar period.
type Trends struct {
	Severities  []string // the taxonomy's, most severe first
	TopSeverity string   // the first severity, whose share is shown
	// CustomerDetection is the detection value counted as detected by a
	// customer; empty when the taxonomy has none called "customer".
	CustomerDetection string
	Periods           []PeriodRow
}

// PeriodRow holds one calendar period's figures.
type PeriodRow struct {
	Period                string
	Incidents             int
	TopSeverity           int
	TopSeverityShare      float64 // 0 with no incident
	CustomerDetected      int
	CustomerDetectedShare float64
	// Recover, Detect and Acknowledge are over every severity; BySeverity
	// per severity, in the order of Trends.Severities.
	Recover, Detect, Acknowledge Durations
	BySeverity                   []SeverityDurations
}

// Durations summarize incident durations in seconds.
type Durations struct {
	N      uint64
	Mean   float64 // 0 when N is 0
	Median float64
	// HasMedian is false when no median is known: no sample, or the
	// figure is a mean over severities whose medians do not combine.
	HasMedian bool
}

// SeverityDurations are a period's durations of one severity.
type SeverityDurations struct {
	Severity        string
	Recover, Detect Durations
}

func trends(s *snapshot.Snapshot) Trends {
	t := Trends{Severities: s.Severities}
	if len(s.Severities) > 0 {
		t.TopSeverity = s.Severities[0]
	}
	for _, p := range s.Periods {
		for k := range p.ByDetection {
			if k.Value == "customer" {
				t.CustomerDetection = k.Value
			}
		}
	}
	for _, p := range s.Periods {
		row := PeriodRow{Period: p.Period.Name}
		for k, n := range p.Incidents {
			row.Incidents += n
			if k.Severity == t.TopSeverity {
				row.TopSeverity += n
			}
		}
		for k, n := range p.ByDetection {
			if k.Value == t.CustomerDetection && t.CustomerDetection != "" {
				row.CustomerDetected += n
			}
		}
		row.TopSeverityShare = share(row.TopSeverity, row.Incidents)
		row.CustomerDetectedShare = share(row.CustomerDetected, row.Incidents)
		var recover, detect, acknowledge snapshot.Summary
		for _, sev := range s.Severities {
			d := p.BySeverity[sev]
			sd := SeverityDurations{Severity: sev}
			if d != nil {
				sd.Recover, sd.Detect = durations(d[snapshot.TimeToRecover]), durations(d[snapshot.TimeToDetect])
				recover.Count, recover.Sum = recover.Count+d[snapshot.TimeToRecover].Count, recover.Sum+d[snapshot.TimeToRecover].Sum
				detect.Count, detect.Sum = detect.Count+d[snapshot.TimeToDetect].Count, detect.Sum+d[snapshot.TimeToDetect].Sum
				acknowledge.Count, acknowledge.Sum = acknowledge.Count+d[snapshot.TimeToAcknowledge].Count, acknowledge.Sum+d[snapshot.TimeToAcknowledge].Sum
			}
			row.BySeverity = append(row.BySeverity, sd)
		}
		row.Recover, row.Detect, row.Acknowledge = durations(recover), durations(detect), durations(acknowledge)
		t.Periods = append(t.Periods, row)
	}
	return t
}

// durations turns an exact summary into the figures shown.
func durations(s snapshot.Summary) Durations {
	d := Durations{N: s.Count}
	if s.Count > 0 {
		d.Mean = s.Sum / float64(s.Count)
	}
	if m, ok := s.Quantiles[0.5]; ok && s.Count > 0 {
		d.Median, d.HasMedian = m, true
	}
	return d
}
