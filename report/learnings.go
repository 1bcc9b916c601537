package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Learnings is the third section: what the incidents of the window teach.
type Learnings struct {
	// Scope is that of the origin, resolution and detection tables;
	// ServicesScope of the services, RepeatsScope of the repeat counts,
	// RepeatListScope of the lists of repeats and possible repeats.
	Scope, ServicesScope, RepeatsScope, RepeatListScope Scope
	// Crossed tells whether origin by resolution is known: counted by the
	// source, over every team (so not with a team filter); without it
	// only OriginTot is.
	Crossed     bool
	Origins     []string // rows of the cross table
	Resolutions []string // its columns
	// Cross[i][j] counts the resolved incidents of Origins[i] resolved by
	// Resolutions[j]; Unresolved[i] those not resolved yet.
	Cross      [][]int
	Unresolved []int
	OriginTot  []int
	Detections []Count
	Services   []Count // most incidents first, "other" last
	// ByService are the services with the most incidents, at most
	// Options.TopServices, with their time to recover, when ServicesListed
	// (the source counts them); ByServiceDropped how many services more
	// had incidents.
	ByService        []ServiceRow
	ByServiceScope   Scope
	ServicesListed   bool
	ByServiceDropped int
	// Repeats counts, per team, the incidents repeating an earlier one:
	// snapshot.RepeatFixNotDone and snapshot.RepeatDespiteFix, most first.
	Repeats      []TeamRepeats
	RepeatsTotal int // of both kinds
	// RepeatList says which incident repeats which, the latest first.
	RepeatList     []Repeat
	RepeatsDropped int
	// PossibleListed tells whether the source lists the possible repeats
	// (snapshot.QualityDetail); PossibleRepeats lists them, the latest
	// first.
	PossibleListed         bool
	PossibleRepeats        []PossibleRepeat
	PossibleRepeatsDropped int
}

// TeamRepeats are a team's repeat incidents of both kinds.
type TeamRepeats struct {
	Team                   string
	FixNotDone, DespiteFix int
}

// ServiceRow is a service's incidents in the window and their time to
// recover (those resolved).
type ServiceRow struct {
	Service   string
	Incidents int
	Recover   Durations
}

// Repeat is an incident that repeats an earlier one.
type Repeat struct {
	Incident, Title, Team, Started string
	Earlier, EarlierTitle          string
	// FixDone: the earlier incident's action items were all closed when
	// this one started (the fix did not work); otherwise some were open.
	FixDone bool
	// Kind says it in words: snapshot.RepeatDespiteFix or
	// snapshot.RepeatFixNotDone.
	Kind string
}

// PossibleRepeat is an incident that may repeat an earlier one on the
// same service with the same origin, for the forum to confirm.
type PossibleRepeat struct {
	Incident, Title, Team, Started string
	Earlier, EarlierTitle          string
	Service, Origin                string
}

// Count is a labelled count and its share of the total.
type Count struct {
	Name  string
	N     int
	Share float64
}

func learnings(s *snapshot.Snapshot, ws *snapshot.WindowStats, f Filters, topServices int) Learnings {
	l := Learnings{Scope: f.scope(true, false), ServicesScope: f.scope(false, false), RepeatsScope: f.scope(true, false),
		RepeatListScope: f.scope(true, false), ByServiceScope: f.scope(true, true)}
	i := slices.IndexFunc(s.Windows, func(w snapshot.WindowStats) bool { return w.Window.Name == ws.Window.Name })
	if i < len(s.ServiceIncidents) {
		l.ServicesListed = true
		l.ByService, l.ByServiceDropped = byService(s.ServiceIncidents[i], f, cmp.Or(topServices, DefaultTopServices))
	}
	origins := sumByValue(ws.ByOrigin, f)
	resolutions := sumByValue(ws.ByResolution, f)
	l.Origins = sortedByCount(origins)
	l.Resolutions = sortedByCount(resolutions)
	var cross map[snapshot.OriginResolution]int
	if i < len(s.OriginResolution) && f.Team == "" {
		l.Crossed, cross = true, s.OriginResolution[i]
	}
	for _, o := range l.Origins {
		row := make([]int, len(l.Resolutions))
		resolved := 0
		for j, res := range l.Resolutions {
			row[j] = cross[snapshot.OriginResolution{Origin: o, Resolution: res}]
			resolved += row[j]
		}
		l.Cross = append(l.Cross, row)
		l.OriginTot = append(l.OriginTot, origins[o])
		l.Unresolved = append(l.Unresolved, origins[o]-resolved)
	}
	l.Detections = counts(sumByValue(ws.ByDetection, f), false)
	l.Services = counts(ws.Services, true)
	l.Repeats, l.RepeatsTotal = teamRepeats(s, ws, i, f)
	for _, rp := range s.Repeats {
		if !f.keepsTeam(rp.Team) {
			continue
		}
		kind := snapshot.RepeatFixNotDone
		if rp.FixDone {
			kind = snapshot.RepeatDespiteFix
		}
		l.RepeatList = append(l.RepeatList, Repeat{Incident: rp.Incident, Title: title(s, rp.Incident), Team: rp.Team,
			Started: day(rp.StartedAt), Earlier: rp.Earlier, EarlierTitle: title(s, rp.Earlier), FixDone: rp.FixDone, Kind: kind})
	}
	l.RepeatsDropped = s.RepeatsDropped
	if d := s.QualityDetail; d != nil {
		l.PossibleListed, l.PossibleRepeatsDropped = true, d.PossibleRepeatsDropped
		for _, p := range d.PossibleRepeats {
			if !f.keepsTeam(p.Team) {
				continue
			}
			l.PossibleRepeats = append(l.PossibleRepeats, PossibleRepeat{Incident: p.Incident, Title: title(s, p.Incident), Team: p.Team,
				Started: day(p.StartedAt), Earlier: p.Earlier, EarlierTitle: title(s, p.Earlier), Service: p.Service, Origin: p.Origin})
		}
	}
	return l
}

// teamRepeats counts the repeats of both kinds per team the filters keep
// in the window at index i, most first, and their total.
func teamRepeats(s *snapshot.Snapshot, ws *snapshot.WindowStats, i int, f Filters) ([]TeamRepeats, int) {
	byTeam := map[string]*TeamRepeats{}
	get := func(team string) *TeamRepeats {
		if byTeam[team] == nil {
			byTeam[team] = &TeamRepeats{Team: team}
		}
		return byTeam[team]
	}
	total := 0
	for k, st := range ws.Incidents {
		if st.Repeat > 0 && f.keepsTeam(k.Team) {
			get(k.Team).FixNotDone += st.Repeat
			total += st.Repeat
		}
	}
	if i >= 0 && i < len(s.RepeatsAfterFix) {
		for team, n := range s.RepeatsAfterFix[i] {
			if n > 0 && f.keepsTeam(team) {
				get(team).DespiteFix += n
				total += n
			}
		}
	}
	out := make([]TeamRepeats, 0, len(byTeam))
	for _, r := range byTeam {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b TeamRepeats) int {
		return cmp.Or(cmp.Compare(b.FixNotDone+b.DespiteFix, a.FixNotDone+a.DespiteFix), cmp.Compare(a.Team, b.Team))
	})
	return out, total
}

// day is an instant's UTC day, as the lists show it.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// sumByValue sums counts kept by team and value over the teams the
// filters keep.
func sumByValue(m map[snapshot.TeamValue]int, f Filters) map[string]int {
	out := map[string]int{}
	for k, n := range m {
		if f.keepsTeam(k.Team) {
			out[k.Value] += n
		}
	}
	return out
}

// sortedByCount returns the keys with a count, most first, ties by name.
func sortedByCount(m map[string]int) []string {
	var keys []string
	for k, n := range m {
		if n > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return keys
}

// counts lists the non-zero counts, most first; with otherLast the
// services beyond the top N come last.
func counts(m map[string]int, otherLast bool) []Count {
	total := 0
	for _, n := range m {
		total += n
	}
	var out []Count
	for _, k := range sortedByCount(m) {
		out = append(out, Count{Name: k, N: m[k], Share: share(m[k], total)})
	}
	if otherLast {
		if i := slices.IndexFunc(out, func(c Count) bool { return c.Name == snapshot.OtherService }); i >= 0 {
			other := out[i]
			out = append(slices.Delete(out, i, i+1), other)
		}
	}
	return out
}

// byService sums the incidents of each service under the filters, and
// returns the top services by incidents (ties by name) and how many
// services more had incidents.
func byService(counts map[snapshot.ServiceKey]*snapshot.ServiceStats, f Filters, top int) ([]ServiceRow, int) {
	rows := map[string]*ServiceRow{}
	for k, st := range counts {
		if !f.keeps(k.Team, k.Severity) {
			continue
		}
		row, ok := rows[k.Service]
		if !ok {
			row = &ServiceRow{Service: k.Service}
			rows[k.Service] = row
		}
		row.Incidents += st.Incidents
		row.Recover.N += uint64(st.Recovered)
		row.Recover.Sum += st.RecoverSeconds
	}
	out := make([]ServiceRow, 0, len(rows))
	for _, row := range rows {
		if row.Recover.N > 0 {
			row.Recover.Mean = row.Recover.Sum / float64(row.Recover.N)
		}
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b ServiceRow) int {
		return cmp.Or(cmp.Compare(b.Incidents, a.Incidents), cmp.Compare(a.Service, b.Service))
	})
	return capList(out, top)
}
