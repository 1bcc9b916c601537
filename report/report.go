// Package report renders the operational-excellence forum's agenda from a
// snapshot: timeliness of action items, trends per calendar period,
// aggregate learnings and the quality bar, as one self-contained HTML page
// (charts as inline SVG) or Markdown tables. It reads only the snapshot the
// collectors publish, so the page and the metrics never disagree. The CSV
// of every record and action item is built from the records themselves
// (csv.go), which the snapshot does not hold.
package report

import (
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// Options choose what the report shows.
type Options struct {
	// Window is the rolling window of the per-window tables (a `window`
	// label such as "90d"); empty means the longest window.
	Window string
	// Team and Severity narrow every table kept by them; empty means all.
	Team, Severity string
	// Period is the calendar unit of the trends (snapshot.PeriodUnits);
	// empty means the unit the periods are configured with.
	Period string
	// TopServices is how many services the per-service table lists, the
	// most incidents first; 0 is DefaultTopServices.
	TopServices int
}

// DefaultTopServices is how many services the report lists by default.
const DefaultTopServices = 10

// Report is the agenda computed from one snapshot, ready to render.
type Report struct {
	// Filters are the choices the report is narrowed to; Title says them.
	Filters Filters
	Title   string
	AsOf    time.Time
	Source  string
	Window  string   // the window of the per-window tables
	Windows []string // every window of the snapshot
	Records int      // valid records
	Invalid int      // invalid records
	Stale   int
	// Listed tells whether the source listed the items due soon and the
	// titles, which the metrics do not carry.
	Listed bool

	Timeliness Timeliness
	Trends     Trends
	Learnings  Learnings
	Quality    Quality
}

// New computes the report from a snapshot.
func New(s *snapshot.Snapshot, opts Options) (*Report, error) {
	f, ws, err := resolve(s, opts)
	if err != nil {
		return nil, err
	}
	r := &Report{Filters: f, Title: f.Title(), AsOf: s.AsOf, Source: s.Source, Records: s.Records, Stale: s.Stale, Listed: s.Listed}
	for _, n := range s.Invalid {
		r.Invalid += n
	}
	for _, w := range s.Windows {
		r.Windows = append(r.Windows, w.Window.Name)
	}
	if ws == nil {
		return r, nil
	}
	r.Window = ws.Window.Name
	r.Timeliness = timeliness(s, ws, f)
	r.Trends = trends(s, f)
	r.Learnings = learnings(s, ws, f, opts.TopServices)
	r.Quality = quality(s, ws.Window.Name, f)
	return r, nil
}

// window returns the snapshot's window named name, the longest when name
// is empty, nil when the snapshot has no window.
func window(s *snapshot.Snapshot, name string) (*snapshot.WindowStats, error) {
	if len(s.Windows) == 0 {
		return nil, nil
	}
	if name == "" {
		longest := &s.Windows[0]
		for i := range s.Windows {
			if s.Windows[i].Window.Length > longest.Window.Length {
				longest = &s.Windows[i]
			}
		}
		return longest, nil
	}
	var names []string
	for i := range s.Windows {
		if s.Windows[i].Window.Name == name {
			return &s.Windows[i], nil
		}
		names = append(names, s.Windows[i].Window.Name)
	}
	return nil, &BadFilter{Param: ParamWindow, Value: name, Allowed: names}
}

func share(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) / float64(total)
}
