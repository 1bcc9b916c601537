package source

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// The quality bar's part of a refresh (migrations/0006_quality.sql):
// learnings and the time from resolution to publication come from
// rollup_quality like the other window sums; findings from rollup_findings
// (import stores them); unowned items and repeats are read row by row
// through partial indexes that hold only such rows (the repeats as the
// triggers keep them in incident_facts).

var publicationBuckets = len(snapshot.PublicationBuckets) + 1

// qualityColumns are the summed columns of rollup_quality, in the order
// addQualityRollup expects them.
func qualityColumns() []string {
	return append([]string{"learnings", "publish_count", "publish_sum_us"}, bucketColumns("p", publicationBuckets)...)
}

// addQualityRollup adds a row of rollup_quality to a segment's stats.
func addQualityRollup(part *snapshot.WindowStats, keys []string, v []int64) {
	k := snapshot.SeverityTeam{Severity: keys[0], Team: keys[1]}
	st, ok := part.Incidents[k]
	if !ok {
		st = snapshot.NewIncidentStats()
		part.Incidents[k] = st
	}
	st.Learnings += int(v[0])
	st.PublicationDelay.Add(histogram(snapshot.PublicationBuckets, v[1], v[2], v[3:]))
}

// qualityReads are the reads of the quality bar besides the rollup.
func (r *refresh) qualityReads() []read {
	return []read{r.countFindings, r.countUnowned, r.addRepeats, r.listStored}
}

// unownedQuery reads the items without an owner, by a partial index.
const unownedQuery = itemColumns + `
	  FROM action_items a JOIN incidents i ON i.id = a.incident_id
	 WHERE a.owner = ''`

// repeatsQuery reads the incidents started in ($1, $2] that repeat
// earlier ones, with which and whether each one's fix was done, as the
// triggers keep them in incident_facts: an index-only range of a partial
// index that holds only the repeats.
const repeatsQuery = `
	SELECT incident_id, team, started_at, repeat_of, repeat_fix_done FROM incident_facts
	 WHERE repeat_of <> '{}' AND started_at > $1 AND started_at <= $2`

// countFindings counts the stored findings per team and rule, less those
// of invalid incidents; rules configured off are left out.
func (r *refresh) countFindings(ctx context.Context, q pgx.Tx) (func(), error) {
	type count struct {
		Team, Rule string
		Findings   int
	}
	counts, err := collect(ctx, q, "rollup findings", `SELECT team, rule, findings FROM rollup_findings WHERE findings <> 0`,
		nil, pgx.RowToStructByPos[count])
	if err != nil {
		return nil, err
	}
	invalid, err := collect(ctx, q, "findings of invalid incidents", `SELECT team, rule, count(*)::int FROM quality_findings
		WHERE incident_id = ANY ($1) GROUP BY team, rule`, []any{mapKeys(r.invalid)}, pgx.RowToStructByPos[count])
	return func() {
		off := func(c count) bool { return r.quality.SeverityOf(c.Rule) == record.SeverityOff }
		for _, c := range counts {
			if !off(c) {
				r.sums.Findings[snapshot.TeamValue{Team: c.Team, Value: c.Rule}] += c.Findings
			}
		}
		for _, c := range invalid {
			if !off(c) {
				r.sums.removeInvalidFindings(c.Team, c.Rule, c.Findings)
			}
		}
	}, err
}

// countUnowned counts the items without an owner that were open as of
// the snapshot's instant (of an invalid incident: that are open), like
// the file source.
func (r *refresh) countUnowned(ctx context.Context, q pgx.Tx) (func(), error) {
	items, err := collect(ctx, q, "unowned action items", unownedQuery, nil, scanItem)
	return func() {
		for _, it := range items {
			switch {
			case r.invalid[it.incident.ID]:
				r.sums.addUnownedOfInvalid(it.item)
			case !it.incident.StartedAt.After(r.asOf):
				r.b.AddUnowned(it.item)
			}
		}
	}, err
}

// addRepeats reads the incidents started in the longest window that
// repeat earlier ones and adds their repeats (see snapshot.RepeatsOf).
func (r *refresh) addRepeats(ctx context.Context, q pgx.Tx) (func(), error) {
	longest := time.Duration(0)
	for _, w := range r.windows {
		longest = max(longest, w.Length)
	}
	type repeating struct {
		incident *record.Record
		earlier  []string
		fixDone  []bool
	}
	rows, err := collect(ctx, q, "repeats", repeatsQuery, []any{r.asOf.Add(-longest), r.asOf}, func(row pgx.CollectableRow) (repeating, error) {
		rp := repeating{incident: &record.Record{}}
		err := row.Scan(&rp.incident.ID, &rp.incident.Team, &rp.incident.StartedAt, &rp.earlier, &rp.fixDone)
		rp.incident.StartedAt = rp.incident.StartedAt.UTC()
		return rp, err
	})
	return func() {
		for _, rp := range rows {
			if r.invalid[rp.incident.ID] {
				continue
			}
			var repeats []snapshot.Repeat
			for i, earlier := range rp.earlier {
				if !r.invalid[earlier] && i < len(rp.fixDone) {
					repeats = append(repeats, snapshot.Repeat{Incident: rp.incident.ID, Team: rp.incident.Team, Earlier: earlier,
						StartedAt: rp.incident.StartedAt, FixDone: rp.fixDone[i]})
				}
			}
			r.b.AddRepeats(rp.incident, repeats)
		}
	}, err
}
