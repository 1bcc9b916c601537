package collectors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

var (
	recordsValidDesc = newDesc(MetricRecordsValid,
		"Valid post-mortem records the snapshot was built from.", []string{LabelSource}, nil)
	recordsInvalidDesc = newDesc(MetricRecordsInvalid,
		"Invalid post-mortem records (their incident core is broken), by reason and team (empty when unknown); a record with several reasons counts under each. The exporter logs each once.",
		[]string{LabelSource, LabelReason, LabelTeam}, nil)
	recordsStaleDesc = newDesc(MetricRecordsStale,
		"Records whose file is invalid now, served in their last valid version until the file is fixed or removed; they are among the valid records.",
		[]string{LabelSource}, nil)
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
	for _, code := range InvalidReasons {
		gauge(ch, recordsInvalidDesc, float64(s.Invalid[snapshot.InvalidKey{Code: code}]), s.Source, string(code), "")
	}
	for k, n := range s.Invalid {
		if k.Team != "" {
			gauge(ch, recordsInvalidDesc, float64(n), s.Source, string(k.Code), k.Team)
		}
	}
	return nil
}
