package collectors

import (
	"slices"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// TestSeriesBoundFollowsDescriptors checks that the bound is derived from
// the descriptors, not restated beside them: giving one descriptor one
// more label, or one less, changes the bound by what that label's values
// multiply or divide. TestSeriesBudget checks the bound against the
// series really published.
func TestSeriesBoundFollowsDescriptors(t *testing.T) {
	opts := snapshot.Options{
		Windows:     []snapshot.Window{{Name: "30d"}, {Name: "90d"}, {Name: "365d"}},
		TopServices: 50, OverdueItemsLimit: 1000,
		Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13},
	}
	opts.SetTaxonomy(record.DefaultTaxonomy())
	b := bounds{opts, 200, false}
	descs := make([]descName, len(described))
	for i, d := range described {
		descs[i] = describedName[d]
	}
	base := seriesOf(descs, b)
	if got := SeriesBound(opts, 200, false); got != base+RuntimeSeries {
		t.Fatalf("SeriesBound = %d, want the descriptors' %d + %d", got, base, RuntimeSeries)
	}
	open := slices.IndexFunc(descs, func(n descName) bool { return n.metric == MetricIncidentsOpen })
	if open < 0 {
		t.Fatalf("no descriptor of %s", MetricIncidentsOpen)
	}
	// postmortem_incidents_open{severity,team}: 4 × 200 = 800 series.
	// With a window label too, 3 × 4 × 200 = 2,400: 1,600 more.
	wider := slices.Clone(descs)
	wider[open].labels = append(slices.Clone(descs[open].labels), LabelWindow)
	if got := seriesOf(wider, b); got != base+1600 {
		t.Errorf("with a window label on %s, the bound is %d, want %d + 1,600", MetricIncidentsOpen, got, base)
	}
	// Without the team label: 4 series, 796 fewer.
	narrower := slices.Clone(descs)
	narrower[open].labels = []string{LabelSeverity}
	if got := seriesOf(narrower, b); got != base-796 {
		t.Errorf("without the team label on %s, the bound is %d, want %d − 796", MetricIncidentsOpen, got, base)
	}
	// A fourth detection value adds one series per window and team to
	// postmortem_incidents_by_detection (3 × 200) and, the periods summed
	// over the teams, one per period to its period metric (13).
	opts.Taxonomy.Detections = append(slices.Clone(opts.Taxonomy.Detections), "partner")
	if got := seriesOf(descs, bounds{opts, 200, false}); got != base+600+13 {
		t.Errorf("with a fourth detection, the bound is %d, want %d + 613", got, base)
	}
}

// TestLabelsWithoutBound checks that a descriptor with a label of no
// known bound is refused where it is made, unless it is a list.
func TestLabelsWithoutBound(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a label without bound was accepted")
		}
	}()
	_ = newShape([]string{LabelTeam, LabelOwner}, nil)
}

// TestPeriodTeamsLimitDefaults works out the limit of
// --periods.by-team=auto by hand for the default settings.
func TestPeriodTeamsLimitDefaults(t *testing.T) {
	opts := snapshot.Options{
		Windows:     []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "90d"}, {Name: "365d"}},
		TopServices: 50, OverdueItemsLimit: 1000,
		Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13},
	}
	opts.SetTaxonomy(record.DefaultTaxonomy())
	perTeam := SeriesBound(opts, 1, true) - SeriesBound(opts, 0, true)
	fixed := SeriesBound(opts, 0, true)
	t.Logf("per team %d, fixed %d, summed periods %d", perTeam, fixed, SeriesBound(opts, 0, false)-SeriesBound(opts, 0, true))
	// 476 per team: 488 less the findings per rule (10), which are by
	// team only with --metrics.detail, and the p90 of time to detect and
	// recover per window (6), plus the team's findings over the rules (1)
	// and per window (3). Fixed: 2,504 plus the findings per rule
	// over the teams (15), per period and rule (13 × 15 = 195), the
	// post-mortems published and passing per period (26), and the lists
	// of findings and of possible repeats with their dropped counts
	// (2 × 101): 2,942; 2,955 with the 13 periods of
	// postmortem_period_covered_seconds; 3,226 with 271 for the time to
	// acknowledge (3 windows × 4 severities × 4 samples of the summary +
	// 12 means + 13 months × 4 severities × 4 samples) and the custom
	// collector's three self-metrics (postmortem_incidents_by_custom has
	// no series without --metrics.custom-labels).
	if got := PeriodTeamsLimit(opts); got != 56 || perTeam != 476 || fixed != 3226 {
		t.Errorf("limit %d (%d per team, %d fixed), want 56 = (30,000 − 3,226) / 476", got, perTeam, fixed)
	}
	opts.Detail = true
	if got := PeriodTeamsLimit(opts); got != 56 {
		t.Errorf("with --metrics.detail the limit is %d, want 56: the detail is opted in beyond the budget", got)
	}
}

// TestCustomBound: postmortem_incidents_by_custom has no series without
// --metrics.custom-labels, and W × K × (M + 1) with K fields and the top M
// values: 3 windows × 5 fields × 21 = 315 at the most the flags allow.
func TestCustomBound(t *testing.T) {
	opts := snapshot.Options{
		Windows:     []snapshot.Window{{Name: "30d"}, {Name: "90d"}, {Name: "365d"}},
		TopServices: 50, Periods: snapshot.PeriodOptions{Unit: snapshot.Month, Count: 13},
	}
	opts.SetTaxonomy(record.DefaultTaxonomy())
	without := SeriesBound(opts, 200, false)
	opts.CustomLabels, opts.TopCustomValues = []string{"a", "b", "c", "d", "e"}, 20
	if got := SeriesBound(opts, 200, false) - without; got != 315 {
		t.Errorf("the custom fields add %d series, want 315", got)
	}
}
