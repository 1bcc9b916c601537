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
		"Invalid post-mortem records, by reason; a record with several reasons counts under each. The exporter logs each once.",
		[]string{LabelSource, LabelReason}, nil)
	recordsStaleDesc = newDesc(MetricRecordsStale,
		"Records whose file is invalid now, served in their last valid version until the file is fixed or removed; they are among the valid records.",
		[]string{LabelSource}, nil)
)

// InvalidReasons are every value of the reason label; each is published,
// zero included, so alerts and panels always have a series.
var InvalidReasons = []record.Code{
	record.CodeReadError, record.CodeTooLarge, record.CodeMalformed, record.CodeMissingField, record.CodeUnknownField,
	record.CodeInvalidValue, record.CodeInvalidTimestamp, record.CodeTimeOrder, record.CodeDuplicateID,
	record.CodeOwner, record.CodeUnknownRelated, record.CodeImplausibleTime, record.CodeTooMany,
}

// recordsCollector publishes how many records were read and rejected.
type recordsCollector struct{}

func (recordsCollector) Update(s *snapshot.Snapshot, ch chan<- prometheus.Metric) error {
	gauge(ch, recordsValidDesc, float64(s.Records), s.Source)
	gauge(ch, recordsStaleDesc, float64(s.Stale), s.Source)
	for _, code := range InvalidReasons {
		gauge(ch, recordsInvalidDesc, float64(s.Invalid[code]), s.Source, string(code))
	}
	return nil
}
