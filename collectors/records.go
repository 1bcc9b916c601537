package collectors

import (
	"cmp"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	recordsValidDesc = newDesc(MetricRecordsValid,
		"Valid post-mortem records the snapshot was built from.", []string{LabelSource})
	recordsInvalidDesc = newDesc(MetricRecordsInvalid,
		"Invalid post-mortem records (their incident core is broken), by reason and team (empty when unknown, and beyond the 100 reason and team pairs with most records); a record with several reasons counts under each. The exporter logs each once.",
		[]string{LabelSource, LabelReason, LabelTeam}, teamUpTo(InvalidTeamsLimit))
	recordsStaleDesc = newDesc(MetricRecordsStale,
		"Records whose file is invalid now, served in their last valid version until the file is fixed or removed; they are among the valid records.",
		[]string{LabelSource})
	recordsRemovedDesc = newDesc(MetricRecordsRemoved,
		"Records served at one refresh and no more at a later one without a problem to show for it (their file deleted, excluded or no longer a record), since the exporter started; each is logged with its path and id. The files source's; PostgreSQL's import prints each incident it prunes.",
		[]string{LabelSource})
)

// InvalidReasons are every value of the reason label; each is published,
// zero included (team=""), so alerts and panels always have a series.
// An owner problem is no reason: it is a finding (record.CodeOwner).
var InvalidReasons = []record.Code{
	record.CodeReadError, record.CodeTooLarge, record.CodeMalformed, record.CodeMissingField, record.CodeUnknownField,
	record.CodeInvalidValue, record.CodeInvalidTimestamp, record.CodeTimeOrder, record.CodeDuplicateID,
	record.CodeUnknownRelated, record.CodeImplausibleTime, record.CodeTooMany,
}

// recordsCollector publishes how many records were read and rejected.
type recordsCollector struct{}

func (recordsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	gauge(ch, recordsValidDesc, float64(s.Records), s.Source)
	gauge(ch, recordsStaleDesc, float64(s.Stale), s.Source)
	ch <- prometheus.MustNewConstMetric(recordsRemovedDesc, prometheus.CounterValue, float64(s.Removed), s.Source)
	byTeam, rest := invalidByTeam(s.Invalid, InvalidTeamsLimit)
	for _, code := range InvalidReasons {
		gauge(ch, recordsInvalidDesc, float64(rest[code]), s.Source, string(code), "")
	}
	for k, n := range byTeam {
		gauge(ch, recordsInvalidDesc, float64(n), s.Source, string(k.Code), k.Team)
	}
	return nil
}

// InvalidTeamsLimit bounds the (reason, team) series of
// postmortem_records_invalid; the invalid records beyond it, the fewest
// first, are counted under team="" with those whose team is unknown.
const InvalidTeamsLimit = 100

// invalidByTeam keeps the limit (reason, team) pairs with the most invalid
// records (ties by reason and team) and sums the rest, and those without a
// team, per reason.
func invalidByTeam(invalid map[snapshot.InvalidKey]int, limit int) (map[snapshot.InvalidKey]int, map[record.Code]int) {
	keys := make([]snapshot.InvalidKey, 0, len(invalid))
	rest := map[record.Code]int{}
	for k, n := range invalid {
		if k.Team == "" {
			rest[k.Code] += n
		} else {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b snapshot.InvalidKey) int {
		return cmp.Or(cmp.Compare(invalid[b], invalid[a]), cmp.Compare(a.Code, b.Code), cmp.Compare(a.Team, b.Team))
	})
	kept := map[snapshot.InvalidKey]int{}
	for i, k := range keys {
		if i < limit {
			kept[k] = invalid[k]
		} else {
			rest[k.Code] += invalid[k]
		}
	}
	return kept, rest
}
