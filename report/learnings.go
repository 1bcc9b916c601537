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
	// RepeatListScope of the list.
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
	// Repeats counts the incidents repeating an earlier one with action
	// items still open, per team.
	Repeats      []Count
	RepeatsTotal int
	// RepeatList says which incident repeats which, the latest first.
	RepeatList     []Repeat
	RepeatsDropped int
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
}

// Count is a labelled count and its share of the total.
type Count struct {
	Name  string
	N     int
	Share float64
}

func learnings(s *snapshot.Snapshot, ws *snapshot.WindowStats, f Filters, topServices int) Learnings {
	l := Learnings{Scope: f.scope(true, false), ServicesScope: f.scope(false, false), RepeatsScope: f.scope(true, true),
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
	repeats := map[string]int{}
	for k, st := range ws.Incidents {
		if st.Repeat > 0 && f.keeps(k.Team, k.Severity) {
			repeats[k.Team] += st.Repeat
			l.RepeatsTotal += st.Repeat
		}
	}
	l.Repeats = counts(repeats, false)
	for _, rp := range s.Repeats {
		if !f.keepsTeam(rp.Team) {
			continue
		}
		l.RepeatList = append(l.RepeatList, Repeat{Incident: rp.Incident, Title: title(s, rp.Incident), Team: rp.Team,
			Started: rp.StartedAt.UTC().Format(time.DateOnly), Earlier: rp.Earlier, EarlierTitle: title(s, rp.Earlier), FixDone: rp.FixDone})
	}
	l.RepeatsDropped = s.RepeatsDropped
	return l
}

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
