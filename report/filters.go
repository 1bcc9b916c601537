package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Filter parameters: the query parameters of /report and the flags of the
// report command.
const (
	ParamTeam     = "team"
	ParamSeverity = "severity"
	ParamWindow   = "window"
	ParamPeriod   = "period"
)

// BadFilter is a filter value the snapshot does not know: the parameter,
// the value and the values it takes.
type BadFilter struct {
	Param, Value string
	Allowed      []string
}

// Error names the parameter, the value (its first 64 bytes: it comes
// from a request) and the values the parameter takes.
func (e *BadFilter) Error() string {
	value := e.Value
	if len(value) > maxEchoed {
		value = value[:maxEchoed] + "…"
	}
	return fmt.Sprintf("%s %q: not one of %s", e.Param, value, strings.Join(e.Allowed, ", "))
}

// maxEchoed bounds the bytes of a bad value an error repeats.
const maxEchoed = 64

// Filters are the choices a report was narrowed to, each one a value the
// snapshot knows (checked by New): an empty Team or Severity means all.
type Filters struct {
	Team, Severity string
	Window         string // the window of the per-window tables
	Period         string // the calendar unit of the trends
}

// Scope says what a table holds under the filters: a table keeps a team
// or a severity only when its figures are kept by it; otherwise it holds
// every team (or severity) and says so.
type Scope struct {
	Team, Severity string // the filter applied, empty when all
	// TeamIgnored and SeverityIgnored tell that a filter was asked for
	// but the table is not kept by it.
	TeamIgnored, SeverityIgnored bool
}

// scope is the scope of a table kept by team (byTeam) and by severity
// (bySeverity) under f.
func (f Filters) scope(byTeam, bySeverity bool) Scope {
	sc := Scope{TeamIgnored: f.Team != "" && !byTeam, SeverityIgnored: f.Severity != "" && !bySeverity}
	if byTeam {
		sc.Team = f.Team
	}
	if bySeverity {
		sc.Severity = f.Severity
	}
	return sc
}

// String is the scope as a table's caption: "team payments, sev1", or
// "every team (not kept per team)".
func (sc Scope) String() string {
	var parts []string
	switch {
	case sc.Team != "":
		parts = append(parts, "team "+sc.Team)
	case sc.TeamIgnored:
		parts = append(parts, "every team (this table is not kept per team)")
	default:
		parts = append(parts, "every team")
	}
	switch {
	case sc.Severity != "":
		parts = append(parts, sc.Severity)
	case sc.SeverityIgnored:
		parts = append(parts, "every severity (this table is not kept per severity)")
	default:
		parts = append(parts, "every severity")
	}
	return strings.Join(parts, ", ")
}

// keeps reports whether a row of team and severity is in the filters.
func (f Filters) keeps(team, severity string) bool {
	return (f.Team == "" || team == f.Team) && (f.Severity == "" || severity == f.Severity)
}

// keepsTeam reports whether a row of team is in the team filter.
func (f Filters) keepsTeam(team string) bool { return f.Team == "" || team == f.Team }

// Title is the report's title with its filters, for the page, its
// heading and the Markdown.
func (f Filters) Title() string {
	parts := []string{"Post-mortem forum report"}
	if f.Team != "" {
		parts = append(parts, "team "+f.Team)
	}
	if f.Severity != "" {
		parts = append(parts, f.Severity)
	}
	if f.Window != "" {
		parts = append(parts, "window "+f.Window)
	}
	if f.Period != "" {
		parts = append(parts, "by "+f.Period)
	}
	return strings.Join(parts, " · ")
}

// resolve checks the options against the snapshot and fills the
// defaults: the longest window, the unit the periods are configured with.
func resolve(s *snapshot.Snapshot, opts Options) (Filters, *snapshot.WindowStats, error) {
	f := Filters{Team: opts.Team, Severity: opts.Severity, Period: opts.Period}
	ws, err := window(s, opts.Window)
	if err != nil {
		return f, nil, err
	}
	if ws != nil {
		f.Window = ws.Window.Name
	}
	if f.Team != "" {
		if teams := Teams(s); !slices.Contains(teams, f.Team) {
			return f, nil, &BadFilter{Param: ParamTeam, Value: f.Team, Allowed: teams}
		}
	}
	if f.Severity != "" && !slices.Contains(s.Severities, f.Severity) {
		return f, nil, &BadFilter{Param: ParamSeverity, Value: f.Severity, Allowed: s.Severities}
	}
	switch {
	case f.Period == "":
		f.Period = s.PeriodUnit
	case !slices.Contains(snapshot.PeriodUnits, f.Period):
		return f, nil, &BadFilter{Param: ParamPeriod, Value: f.Period, Allowed: snapshot.PeriodUnits}
	}
	return f, ws, nil
}

// Teams lists, sorted, every team the snapshot has figures or items of:
// the values the team filter takes.
func Teams(s *snapshot.Snapshot) []string {
	seen := map[string]bool{}
	for k := range s.ActionItems {
		seen[k.Team] = true
	}
	for k := range s.OpenIncidents {
		seen[k.Team] = true
	}
	for k := range s.ReviewsPending {
		seen[k.Team] = true
	}
	for k := range s.Findings {
		seen[k.Team] = true
	}
	for k := range s.Invalid {
		seen[k.Team] = true
	}
	for _, w := range s.Windows {
		for k := range w.Incidents {
			seen[k.Team] = true
		}
	}
	for _, periods := range s.Trends {
		for _, p := range periods {
			for k := range p.Incidents {
				seen[k.Team] = true
			}
		}
	}
	delete(seen, "")
	teams := make([]string, 0, len(seen))
	for team := range seen {
		teams = append(teams, team)
	}
	slices.Sort(teams)
	return teams
}
