package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// The rollup tables keep histograms as one column per bucket:
// <prefix>_count, <prefix>_sum_us and <prefix>_b0 .. _bN.
var (
	durationHistograms = []string{"detect", "mitigate", "recover"}
	durationBuckets    = len(snapshot.IncidentDurationBuckets) + 1
	completionBuckets  = len(snapshot.CompletionBuckets) + 1
)

// sums returns "sum(col)::bigint" for each column, comma separated.
func sums(columns ...string) string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = fmt.Sprintf("sum(r.%s)::bigint", c)
	}
	return strings.Join(out, ", ")
}

// bucketColumns returns prefix_b0 .. prefix_b<n-1>.
func bucketColumns(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s_b%d", prefix, i)
	}
	return out
}

// incidentColumns are the summed columns of rollup_incidents, in the order
// incidentStats expects them.
func incidentColumns() []string {
	columns := []string{"incidents", "repeats", "security", "data_loss", "customers_affected", "failed_requests"}
	for _, h := range durationHistograms {
		columns = append(columns, h+"_count", h+"_sum_us")
		columns = append(columns, bucketColumns(h, durationBuckets)...)
	}
	return columns
}

// rollupQuery sums a rollup table's rows over the plan's blocks, per
// segment and key. Rows a correction brought back to zero are skipped.
func rollupQuery(table, keys, summed, nonZero string) string {
	return fmt.Sprintf(`SELECT b.segment, %[2]s, %[3]s
  FROM unnest($1::int[], $2::int[], $3::int[]) AS b (segment, span, first_day)
  JOIN %[1]s r ON r.span = b.span AND r.first_day = b.first_day
 WHERE r.%[4]s <> 0
 GROUP BY b.segment, %[2]s`, table, keys, summed, nonZero)
}

// rollupRow is a row of a rollupQuery: the segment, the keys, the sums.
type rollupRow struct {
	segment int
	keys    []string
	values  []int64
}

// rollupReads sum the rollups over the plan's whole days into the stats
// of each segment (rollupSums.Spans), which the builder adds to the
// windows each segment lies in. They are applied before the corrections.
func (r *refresh) rollupReads() []read {
	segments, spans, firstDays := r.plan.blockArrays()
	blockArgs := []any{segments, spans, firstDays}
	incidentCols := incidentColumns()
	completionCols := append([]string{"items", "sum_us"}, bucketColumns("c", completionBuckets)...)

	queries := []struct {
		name string
		sql  string
		keys int // key columns after the segment
		add  func(part *snapshot.WindowStats, keys []string, v []int64)
	}{
		{"incidents", rollupQuery("rollup_incidents", "r.severity, r.team", sums(incidentCols...), "incidents"), 2,
			func(part *snapshot.WindowStats, keys []string, v []int64) {
				part.Incidents[snapshot.SeverityTeam{Severity: keys[0], Team: keys[1]}] = incidentStats(v)
			}},
		{"classes", rollupQuery("rollup_classes", "r.team, r.class, r.value", sums("incidents"), "incidents"), 3,
			func(part *snapshot.WindowStats, keys []string, v []int64) {
				counts := map[string]map[snapshot.TeamValue]int{
					"detection": part.ByDetection, "origin": part.ByOrigin, "resolution": part.ByResolution,
				}[keys[1]]
				if counts != nil {
					counts[snapshot.TeamValue{Team: keys[0], Value: keys[2]}] += int(v[0])
				}
			}},
		{"services", rollupQuery("rollup_services", "r.service", sums("incidents"), "incidents"), 1,
			func(part *snapshot.WindowStats, keys []string, v []int64) { part.Services[keys[0]] += int(v[0]) }},
		{"quality", rollupQuery("rollup_quality", "r.severity, r.team", sums(qualityColumns()...), "incidents"), 2, addQualityRollup},
		{"completion", rollupQuery("rollup_completion", "r.team", sums(completionCols...), "items"), 1,
			func(part *snapshot.WindowStats, keys []string, v []int64) {
				part.Completion[keys[0]] = &snapshot.CompletionStats{Time: histogram(snapshot.CompletionBuckets, v[0], v[1], v[2:])}
			}},
	}
	var reads []read
	for _, query := range queries {
		reads = append(reads, func(ctx context.Context, q pgx.Tx) (func(), error) {
			rows, err := collect(ctx, q, "rollup "+query.name, query.sql, blockArgs, func(row pgx.CollectableRow) (rollupRow, error) {
				values := row.RawValues()
				out := rollupRow{keys: make([]string, query.keys), values: make([]int64, len(values)-1-query.keys)}
				dest := []any{&out.segment}
				for i := range out.keys {
					dest = append(dest, &out.keys[i])
				}
				for i := range out.values {
					dest = append(dest, &out.values[i])
				}
				return out, row.Scan(dest...)
			})
			return func() {
				for _, row := range rows {
					query.add(&r.sums.Spans[row.segment].Stats, row.keys, row.values)
				}
			}, err
		})
	}
	return reads
}

// incidentStats turns a row of incidentColumns into stats.
func incidentStats(v []int64) *snapshot.IncidentStats {
	st := &snapshot.IncidentStats{
		Count: int(v[0]), Repeat: int(v[1]), Security: int(v[2]), DataLoss: int(v[3]),
		CustomersAffected: v[4], FailedRequests: v[5],
		PublicationDelay: snapshot.NewHistogram(snapshot.PublicationBuckets), // from rollup_quality
	}
	histograms := []*snapshot.Histogram{&st.TimeToDetect, &st.TimeToMitigate, &st.TimeToRecover}
	v = v[6:]
	for _, h := range histograms {
		*h = histogram(snapshot.IncidentDurationBuckets, v[0], v[1], v[2:2+durationBuckets])
		v = v[2+durationBuckets:]
	}
	return st
}

// histogram builds a histogram from a count, a sum in microseconds and the
// per-bucket counts.
func histogram(bounds []float64, count, sumMicroseconds int64, buckets []int64) snapshot.Histogram {
	h := snapshot.NewHistogram(bounds)
	for i, n := range buckets {
		h.Counts[i] = uint64(n)
	}
	h.Count = uint64(count)
	h.Sum = float64(sumMicroseconds) / 1e6
	return h
}
