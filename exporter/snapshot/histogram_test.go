package snapshot

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// TestUnmatchedTakeBackIsReported takes back an incident that was never
// added, as a source correcting its rollups would if they missed it: the
// unsigned counts wrap around to 2^64−1 ≈ 1.8e19, which must never reach
// a scrape. A take-back followed by its addition, the order the postgres
// source applies them in, is fine.
func TestUnmatchedTakeBackIsReported(t *testing.T) {
	asOf := time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	started := asOf.Add(-48 * time.Hour)
	r := &record.Record{
		ID: "PM-1", Severity: "sev2", Team: "payments", Detection: "automated", Origin: "code_change",
		StartedAt: started, DetectedAt: started.Add(10 * time.Minute), // 600 s: bucket le=900
	}
	opts := Options{Windows: []Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Severities: []string{"sev2"}}

	// What a source hands in: the stats of the span that holds r, with
	// r taken back (and added again when matched).
	span := func(matched bool) Sums {
		w := SpanSums{Since: opts.Windows[0].Length, Stats: NewWindowStats(Window{})}
		w.Stats.RemoveIncident(r, false, asOf)
		if matched {
			w.Stats.AddIncident(r, false, asOf)
		}
		return Sums{Spans: []SpanSums{w}}
	}

	matched := NewBuilder("postgres", asOf, opts)
	matched.AddSums(span(true))
	if err := matched.Snapshot().CheckHistograms(); err != nil {
		t.Fatalf("a take-back matched by an addition: %v", err)
	}

	unmatched := NewBuilder("postgres", asOf, opts)
	unmatched.AddSums(span(false))
	err := unmatched.Snapshot().CheckHistograms()
	if err == nil {
		t.Fatal("an unmatched take-back passed the check")
	}
	for _, want := range []string{"window 30d, severity sev2, team payments: time to detect", "bucket le=900 holds -1 observations"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestHistogramCheck(t *testing.T) {
	bounds := []float64{60, 300}
	for _, c := range []struct {
		name string
		h    Histogram
		want string // "" when the histogram is fine
	}{
		{"empty", NewHistogram(bounds), ""},
		{"zero value", Histogram{}, ""},
		{"consistent", Histogram{Bounds: bounds, Counts: []uint64{1, 0, 2}, Count: 3, Sum: 1000}, ""},
		{"bucket below zero", Histogram{Bounds: bounds, Counts: []uint64{1, ^uint64(0), 0}, Count: 0}, "bucket le=300 holds -1 observations"},
		{"+Inf bucket below zero", Histogram{Bounds: bounds, Counts: []uint64{0, 0, ^uint64(1)}}, "bucket le=+Inf holds -2 observations"},
		{"count below zero", Histogram{Bounds: bounds, Counts: []uint64{0, 0, 0}, Count: ^uint64(0)}, "count is -1"},
		{"buckets and count disagree", Histogram{Bounds: bounds, Counts: []uint64{1, 1, 0}, Count: 3}, "the buckets hold 2 observations but the count is 3"},
		{"sum not a number", Histogram{Bounds: bounds, Counts: []uint64{1, 0, 0}, Count: 1, Sum: math.NaN()}, "sum is NaN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.h.Check()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}
