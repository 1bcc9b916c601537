package collectors

import (
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	incidentsDesc = newDesc(MetricIncidents,
		"Incidents started in the rolling window.", []string{LabelWindow, LabelSeverity, LabelTeam})
	severityShareDesc = newDesc(MetricSeverityShare,
		"Share of the incidents started in the window that have this severity.", []string{LabelWindow, LabelSeverity})
	incidentsOpenDesc = newDesc(MetricIncidentsOpen,
		"Incidents started and not yet resolved.", []string{LabelSeverity, LabelTeam})
	byDetectionDesc = newDesc(MetricIncidentsByDetection,
		"Incidents started in the window, by who or what detected them first.", []string{LabelWindow, LabelDetection, LabelTeam})
	byOriginDesc = newDesc(MetricIncidentsByOrigin,
		"Incidents started in the window, by where the fault came from.", []string{LabelWindow, LabelOrigin, LabelTeam})
	byResolutionDesc = newDesc(MetricIncidentsByResolution,
		"Resolved incidents started in the window, by how they were resolved.", []string{LabelWindow, LabelResolution, LabelTeam})
	repeatDesc = newDesc(MetricRepeatIncidents,
		"Incidents started in the window that repeat an earlier incident which still had open action items when they started.", []string{LabelWindow, LabelTeam})
)

// incidentsCollector publishes incident counts and their classifications.
type incidentsCollector struct{}

func (incidentsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	for k, n := range s.OpenIncidents {
		gauge(ch, incidentsOpenDesc, float64(n), k.Severity, k.Team)
	}
	for _, w := range s.Windows {
		name := w.Window.Name
		bySeverity := map[string]int{}
		repeats := map[string]int{}
		total := 0
		for k, st := range w.Incidents {
			gauge(ch, incidentsDesc, float64(st.Count), name, k.Severity, k.Team)
			bySeverity[k.Severity] += st.Count
			repeats[k.Team] += st.Repeat
			total += st.Count
		}
		if total > 0 {
			for _, sev := range s.Severities {
				gauge(ch, severityShareDesc, float64(bySeverity[sev])/float64(total), name, sev)
			}
		}
		// A severity outside the taxonomy has no share (the shares would
		// not add up to 1 over the taxonomy's): refused, the rest stands.
		for sev, n := range bySeverity {
			if n > 0 && !slices.Contains(s.Severities, sev) {
				ch <- invalidSample{severityShareDesc, fmt.Errorf("window %s: severity %q is not in the snapshot's taxonomy %v: its share is not published", name, sev, s.Severities)}
			}
		}
		for team, n := range repeats {
			gauge(ch, repeatDesc, float64(n), name, team)
		}
		for _, c := range []struct {
			desc   *prometheus.Desc
			counts map[snapshot.TeamValue]int
		}{{byDetectionDesc, w.ByDetection}, {byOriginDesc, w.ByOrigin}, {byResolutionDesc, w.ByResolution}} {
			for k, n := range c.counts {
				gauge(ch, c.desc, float64(n), name, k.Value, k.Team)
			}
		}
	}
	return nil
}
