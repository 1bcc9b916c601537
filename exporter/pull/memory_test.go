package pull

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// bulkSource makes n incidents with a narrative of narrativeBytes each,
// one at a time so that it holds none of them, and measures the live heap
// once it has emitted the last: what the pull keeps until it writes.
type bulkSource struct {
	n, narrativeBytes int
	liveAtEnd         uint64
}

func (s *bulkSource) Name() string { return "document" }

func (s *bulkSource) Pull(_ context.Context, _ string, emit func(Incident) error) (string, error) {
	for i := range s.n {
		inc := sampleIncident()
		inc.SourceID, inc.ID = fmt.Sprintf("page-%d", i), fmt.Sprintf("PM-2026-%05d", i)
		line := fmt.Sprintf("Incident %d: what happened, minute by minute.\n", i)
		inc.Narrative = strings.Repeat(line, s.narrativeBytes/len(line))
		if err := emit(inc); err != nil {
			return "", err
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.liveAtEnd = ms.HeapAlloc
	return "cursor", nil
}

// TestPullMemoryDoesNotGrowWithFiles pulls 50 and then 200 incidents of
// 64 KiB each into new folders. Keeping the 150 more rendered files in
// memory until the end would hold at least 150 × 64 KiB = 9.6 MB more;
// what the pull must keep of each record (its file name and the values
// it wrote, the narrative as a hash) is under 2 KiB, so 150 more stay
// well under the 2 MiB allowed.
func TestPullMemoryDoesNotGrowWithFiles(t *testing.T) {
	const few, many, narrative = 50, 200, 64 << 10
	live := func(n int) uint64 {
		src := &bulkSource{n: n, narrativeBytes: narrative}
		sum, err := Run(context.Background(), src, Options{Dir: t.TempDir(), Mapping: sampleMapping, Taxonomy: record.DefaultTaxonomy()})
		if err != nil {
			t.Fatalf("pull of %d: %v", n, err)
		}
		if sum.Written != n {
			t.Fatalf("pull of %d wrote %d files", n, sum.Written)
		}
		return src.liveAtEnd
	}
	small, large := live(few), live(many)
	if grew := int64(large) - int64(small); grew > 2<<20 {
		t.Errorf("live heap once the source answered: %d bytes for %d incidents, %d for %d: grew by %d bytes, want under 2 MiB",
			small, few, large, many, grew)
	}
}
