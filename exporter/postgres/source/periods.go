package source

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// periodPlan says where a refresh finds the action items of the calendar
// periods: the due days of each period are whole dates, summed from
// rollup_item_days; the created and closed instants are summed for the
// whole UTC days of each period and read row by row in its partial first
// and last UTC days (its edges), which a time zone other than UTC makes.
type periodPlan struct {
	blocks dayBlocks // of rollup_item_days, the targets being the periods
	edges  []interval
	// wholeDays are the UTC days whose created and closed items the
	// rollups count: [start, end) per period.
	wholeDays []interval
}

// The kinds of rows of rollup_item_days.
const (
	itemsDue     = "due"     // by due day and outcome
	itemsCreated = "created" // by created_at
	itemsClosed  = "closed"  // by closed_at, done or wont_do
)

func newPeriodPlan(periods []snapshot.Period) periodPlan {
	var p periodPlan
	for i, period := range periods {
		p.blocks.add(i, itemsDue, coverDays(dateDay(period.Start), dateDay(period.End)))
		seg := newSegment(period.Start.Add(-time.Microsecond), period.End.Add(-time.Microsecond), 0)
		p.blocks.add(i, itemsCreated, seg.blocks)
		p.blocks.add(i, itemsClosed, seg.blocks)
		p.edges = append(p.edges, seg.edges...)
		p.wholeDays = append(p.wholeDays, interval{seg.wholeDaysStart, seg.wholeDaysEnd})
	}
	return p
}

// dateDay is the calendar date of a local midnight, in days since
// 1970-01-01: the due dates of a period are [dateDay(Start), dateDay(End)).
func dateDay(t time.Time) int {
	return epochDay(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}

// rolledUp reports whether rollup_item_days counts an instant of a
// created or closed item in the periods.
func (p periodPlan) rolledUp(t time.Time) bool {
	for _, d := range p.wholeDays {
		if !t.Before(d.after) && t.Before(d.until) {
			return true
		}
	}
	return false
}

// periodReads are the reads of the action items of the calendar periods:
// their rollups, and the items of the periods' edges.
func (r *refresh) periodReads() []read {
	if len(r.periods) == 0 {
		return nil
	}
	return []read{r.addPeriodItemSums, r.addPeriodItemEdges}
}

// recentChunks is how many reads the incidents started in the windows or
// periods are split into, by when they started: they are most of the rows
// of a refresh (216,000 at a million incidents), and split they are read
// on several connections at once.
const recentChunks = 3

// recentReads read every incident started in the windows or the periods,
// for the exact summaries and the period counts, in recentChunks
// stretches of time.
func (r *refresh) recentReads() []read {
	start := r.recentStart()
	step := r.asOf.Sub(start) / recentChunks
	var reads []read
	for i := range recentChunks {
		after, until := start.Add(time.Duration(i)*step), start.Add(time.Duration(i+1)*step)
		if i == recentChunks-1 {
			until = r.asOf
		}
		reads = append(reads, func(ctx context.Context, q pgx.Tx) (func(), error) {
			return r.addRecentIncidents(ctx, q, after, until)
		})
	}
	return reads
}

// recentStart is the earliest instant the windows or periods reach back
// to, the report's trend periods of every unit included.
func (r *refresh) recentStart() time.Time {
	start := r.asOf
	for _, w := range r.windows {
		start = minTime(start, r.asOf.Add(-w.Length))
	}
	if len(r.periods) > 0 {
		start = minTime(start, r.trendsStart.Add(-time.Microsecond))
	}
	return start
}

// recentGroup is every incident of one severity and team started in the
// windows or periods, as parallel arrays: one row per group instead of
// one per incident keeps the transfer and decoding cheap at a million
// incidents. Codes packs the 1-based positions of detection, origin and
// resolution in the taxonomy (8 bits each, 0 when absent) and the
// security, data-loss and repeat flags. The times are in microseconds
// since 1970 (see timestampArray).
type recentGroup struct {
	severity, team                    string
	started, detected                 []int64
	mitigated, resolved, acknowledged []int64 // noTime when not yet
	codes                             []int32
}

// scanRecentGroup scans a row of recent incidents, decoding the arrays
// by hand (arrays.go).
func scanRecentGroup(row pgx.CollectableRow) (recentGroup, error) {
	var g recentGroup
	var raw [6]pgtype.UndecodedBytes
	if err := row.Scan(&g.severity, &g.team, &raw[0], &raw[1], &raw[2], &raw[3], &raw[4], &raw[5]); err != nil {
		return g, err
	}
	var errs [6]error
	g.started, errs[0] = timestampArray(raw[0])
	g.detected, errs[1] = timestampArray(raw[1])
	g.mitigated, errs[2] = timestampArray(raw[2])
	g.resolved, errs[3] = timestampArray(raw[3])
	g.acknowledged, errs[4] = timestampArray(raw[4])
	g.codes, errs[5] = int4Array(raw[5])
	if err := errors.Join(errs[:]...); err != nil {
		return g, err
	}
	if n := len(g.started); len(g.detected) != n || len(g.mitigated) != n || len(g.resolved) != n || len(g.acknowledged) != n || len(g.codes) != n {
		return g, fmt.Errorf("%s %s: arrays of different lengths", g.severity, g.team)
	}
	return g, nil
}

const (
	codeBits     = 8
	codeSecurity = 1 << (3 * codeBits)
	codeDataLoss = codeSecurity << 1
	codeRepeat   = codeSecurity << 2
)

// addRecentIncidents reads the incidents started in (after, until], with
// what their aggregates need, from the covering index of incident_facts.
func (r *refresh) addRecentIncidents(ctx context.Context, q pgx.Tx, after, until time.Time) (func(), error) {
	tax := r.taxonomy
	if max(len(tax.Detections), len(tax.Origins), len(tax.Resolutions)) >= 1<<codeBits {
		return nil, fmt.Errorf("read incidents of the windows and periods: taxonomy lists longer than %d values", 1<<codeBits-1)
	}
	groups, err := collect(ctx, q, "incidents of the windows and periods", fmt.Sprintf(`
		SELECT f.severity, f.team, array_agg(f.started_at), array_agg(f.detected_at), array_agg(f.mitigated_at), array_agg(f.resolved_at),
		       array_agg(f.acknowledged_at), array_agg(coalesce(array_position($4::text[], f.detection), 0)
		                 + (coalesce(array_position($5::text[], f.origin), 0) << %[1]d)
		                 + (coalesce(array_position($6::text[], f.resolution), 0) << %[2]d)
		                 + %[3]d * f.security_incident::int + %[4]d * f.data_loss::int + %[5]d * f.repeat::int)
		  FROM incident_facts f
		 WHERE f.started_at > $1 AND f.started_at <= $2 AND f.incident_id <> ALL ($3)
		 GROUP BY f.severity, f.team`, codeBits, 2*codeBits, codeSecurity, codeDataLoss, codeRepeat),
		[]any{after, until, mapKeys(r.invalid), tax.Detections, tax.Origins, tax.Resolutions},
		scanRecentGroup)
	return func() {
		var rec record.Record // reused: the builder keeps no reference to it
		for _, g := range groups {
			rec.Severity, rec.Team = g.severity, g.team
			group := r.b.IncidentGroup(g.severity, g.team)
			for i, started := range g.started {
				rec.StartedAt, rec.DetectedAt = microsTime(started), microsTime(g.detected[i])
				rec.MitigatedAt, rec.ResolvedAt = microsTime(g.mitigated[i]), microsTime(g.resolved[i])
				rec.AcknowledgedAt = microsTime(g.acknowledged[i])
				code := g.codes[i]
				rec.Detection, rec.Origin = taxonomyValue(tax.Detections, code), taxonomyValue(tax.Origins, code>>codeBits)
				rec.Resolution = taxonomyValue(tax.Resolutions, code>>(2*codeBits))
				rec.SecurityIncident, rec.Impact.DataLoss = code&codeSecurity != 0, code&codeDataLoss != 0
				group.Add(&rec, code&codeRepeat != 0)
			}
			group.Close()
		}
	}, err
}

// taxonomyValue decodes a 1-based position in the low bits of code.
func taxonomyValue(values []string, code int32) string {
	i := int(code & (1<<codeBits - 1))
	if i == 0 || i > len(values) {
		return ""
	}
	return values[i-1]
}

// addPeriodItemSums sums rollup_item_days over each period's blocks.
func (r *refresh) addPeriodItemSums(ctx context.Context, q pgx.Tx) (func(), error) {
	sums, err := sumItemDays(ctx, q, "rollup of the period items", r.periodPlan.blocks, r.byTeam)
	return func() {
		for _, s := range sums {
			p := &r.sums.Periods[s.Target]
			switch s.Kind {
			case itemsDue:
				p.Due[snapshot.TeamValue{Team: s.Team, Value: s.Outcome}] += s.Items
			case itemsCreated:
				p.Created += s.Items
			case itemsClosed:
				p.Closed += s.Items
			}
		}
	}, err
}

// addWindowItemsDue sums rollup_item_days over the due days of each
// window (snapshot.Window.DueDays): whole dates, so the blocks cover them
// exactly and no row is read at the edges. They are always by team.
func (r *refresh) addWindowItemsDue(ctx context.Context, q pgx.Tx) (func(), error) {
	var blocks dayBlocks
	for i, w := range r.windows {
		first, end := w.DueDays(r.asOf)
		blocks.add(i, itemsDue, coverDays(epochDay(first), epochDay(end)))
	}
	sums, err := sumItemDays(ctx, q, "rollup of the items due in the windows", blocks, true)
	return func() {
		for _, s := range sums {
			r.sums.ItemsDue[s.Target][snapshot.TeamValue{Team: s.Team, Value: s.Outcome}] += s.Items
		}
	}, err
}

// dayBlocks are blocks of rollup_item_days to sum, each for a target (a
// period or a window, by index) and a kind, as parallel arrays for unnest.
type dayBlocks struct {
	targets, spans, firstDays []int
	kinds                     []string
}

// add adds blocks of a kind to the i-th target.
func (d *dayBlocks) add(i int, kind string, blocks []block) {
	for _, b := range blocks {
		d.targets, d.spans, d.firstDays, d.kinds = append(d.targets, i), append(d.spans, b.span), append(d.firstDays, b.firstDay), append(d.kinds, kind)
	}
}

// itemDaySum is the items of one target, team, kind and outcome.
type itemDaySum struct {
	Target              int
	Team, Kind, Outcome string
	Items               int
}

// sumItemDays sums rollup_item_days over the blocks of each target, in the
// database: by team, or over the teams (an empty Team) when byTeam is false.
func sumItemDays(ctx context.Context, q pgx.Tx, what string, d dayBlocks, byTeam bool) ([]itemDaySum, error) {
	team := "''"
	if byTeam {
		team = "r.team"
	}
	return collect(ctx, q, what, fmt.Sprintf(`
		SELECT b.target, %s, r.kind, r.outcome, sum(r.items)::int
		  FROM unnest($1::int[], $2::int[], $3::int[], $4::text[]) AS b (target, span, first_day, kind)
		  JOIN rollup_item_days r ON r.span = b.span AND r.first_day = b.first_day AND r.kind = b.kind
		 WHERE r.items <> 0
		 GROUP BY 1, 2, 3, 4`, team), []any{d.targets, d.spans, d.firstDays, d.kinds}, pgx.RowToStructByPos[itemDaySum])
}

// addPeriodItemEdges reads the items created or closed in the partial
// UTC days at the periods' edges.
func (r *refresh) addPeriodItemEdges(ctx context.Context, q pgx.Tx) (func(), error) {
	var after, until []time.Time
	for _, e := range r.periodPlan.edges {
		after, until = append(after, e.after), append(until, e.until)
	}
	items, err := collect(ctx, q, "items of the periods' edges", itemColumns+`
		  FROM action_items a JOIN incidents i ON i.id = a.incident_id
		 WHERE a.id IN (SELECT l.id FROM unnest($1::timestamptz[], $2::timestamptz[]) AS e (after, until)
		                  JOIN action_items l ON l.created_at > e.after AND l.created_at <= e.until
		                UNION SELECT l.id FROM unnest($1::timestamptz[], $2::timestamptz[]) AS e (after, until)
		                  JOIN action_items l ON l.closed_at > e.after AND l.closed_at <= e.until)`,
		[]any{after, until}, scanItem)
	return func() {
		for _, it := range items {
			if r.countsAsOf(it) {
				r.sums.addEdgeItemInstants(it.item)
			}
		}
	}, err
}

// countsAsOf reports whether an item counts as of the snapshot's instant:
// its incident is valid and had started, and the item existed.
func (r *refresh) countsAsOf(it item) bool {
	return !r.invalid[it.incident.ID] && !it.incident.StartedAt.After(r.asOf) && !it.item.CreatedAt.After(r.asOf)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
