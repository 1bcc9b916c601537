package examples_test

import (
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/examples"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestShiftedExamplesStayValid: served as the default source, the examples
// are moved to the day of the refresh; they must be valid then with the
// default limits, whatever the date (none ends up in the future).
func TestShiftedExamplesStayValid(t *testing.T) {
	for _, asOf := range []time.Time{
		examples.Anchor,
		time.Date(2026, time.November, 25, 0, 0, 0, 0, time.UTC), // midnight: the shift is to the start of this day
		time.Date(2031, time.February, 28, 23, 59, 59, 0, time.UTC),
		time.Date(2099, time.December, 31, 12, 0, 0, 0, time.UTC),
	} {
		folder, err := files.Read(t.Context(), examples.Postmortems(), examples.Dir, files.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range folder.Records {
			r.Shift(examples.Shift(asOf))
		}
		res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: asOf})
		if len(res.Problems) != 0 || len(res.Valid) < 10 {
			t.Errorf("as of %s: %d valid, problems %v", asOf, len(res.Valid), res.Problems)
		}
	}
}
