package files

import (
	"context"
	"io/fs"
	"log/slog"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// SourceName is the `source` label of records read from files.
const SourceName = "files"

// Source reads the records from a folder on every refresh.
type Source struct {
	FS  fs.FS
	Dir string // how the folder is named in messages
	// Shift, when set, tells how far to move every timestamp for a refresh
	// as of an instant; only the bundled examples use it.
	Shift func(asOf time.Time) time.Duration
	// Limits bound the records' times and lists; the future is judged by
	// the wall clock, not asOf, so that a snapshot as of a past instant
	// does not reject what happened since.
	Limits record.Limits
	// Quality configures the quality rules; the zero value is the defaults.
	Quality record.Quality
	Options snapshot.Options
	Logger  *slog.Logger
}

// Name returns "files".
func (s *Source) Name() string { return SourceName }

// Snapshot reads every record file, checks it against tax and aggregates
// the valid ones.
func (s *Source) Snapshot(_ context.Context, asOf time.Time, tax record.Taxonomy) (*snapshot.Snapshot, error) {
	records, problems, ignored, err := Read(s.FS, s.Dir)
	if err != nil {
		return nil, err
	}
	for _, name := range ignored {
		s.Logger.Debug("ignoring a file that is not a record", "path", name)
	}
	if s.Shift != nil {
		d := s.Shift(asOf)
		for _, r := range records {
			r.Shift(d)
		}
	}
	res := record.Check(records, problems, record.Rules{Taxonomy: tax, Limits: s.Limits, Now: time.Now(), Quality: s.Quality})
	opts := s.Options
	opts.Severities = tax.Severities
	return snapshot.FromRecords(SourceName, res, asOf, opts), nil
}
