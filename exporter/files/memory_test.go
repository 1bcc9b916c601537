package files

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/synthetic"
)

// syntheticNarrative follows each front matter of a synthetic folder, as
// a short post-mortem's text does.
const syntheticNarrative = "## Summary\n\nA synthetic incident.\n\n## Timeline\n\n- Impact began; alerts fired; the change was rolled back.\n"

// writeSyntheticFolder writes n valid records with five action items each,
// as `synthesize-files` does (one folder per team), and returns the rules
// they are valid under.
func writeSyntheticFolder(tb testing.TB, dir string, n int) record.Rules {
	tb.Helper()
	now := time.Now().UTC()
	org := synthetic.Org{Incidents: n, ItemsPerRecord: 5, Teams: 20, Seed: 1, End: now}
	for i := range n {
		r := org.Record(i)
		text, err := Format(r, syntheticNarrative)
		if err != nil {
			tb.Fatal(err)
		}
		p := filepath.Join(dir, r.Team, r.ID+".md")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, text, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: now}
}

// heapAfterGC is the heap in use once the garbage is collected.
func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryPerRecord checks how much memory a read of a folder holds per
// record once it is done: what `validate` holds before it prints, what a
// refresh of the exporter holds once its check is done (the records and
// the findings it counts), and what the exporter keeps between refreshes
// (the records, for the files that do not change and for edits in
// flight). A synthetic record has five action items and about four
// quality findings (warnings: no bar raiser, published late, items too
// large). Before its line numbers were stored compactly, a record held 7.1
// KB without findings, half of it the map of field to line; now 2.1 KB
// (the record 0.5 KB, its items 1 KB, lines 0.25 KB, its own strings 0.3
// KB), and its findings 1.2 KB for validate (a list shared by the result
// and the records, 0.25 KB with its message each; 1.9 KB when each record
// had a copy). The exporter's check keeps of each finding only its path,
// rule, severity and team (0.12 KB: 2,955 bytes per record instead of
// validate's 3,355). Between refreshes a record holds nothing for its
// findings, which are the verdict of each check and not written into it
// (2,410 bytes per record; 2,662 when the kept records shared lists of
// trimmed findings, 3,087 when each record kept a list of its own). The bounds leave room for a
// runtime that grows a structure differently, not for a list of findings
// per record.
func TestMemoryPerRecord(t *testing.T) {
	const n = 2000
	dir := t.TempDir()
	rules := writeSyntheticFolder(t, dir, n)
	cfg := record.Config{Taxonomy: rules.Taxonomy, Quality: rules.Quality}

	t.Run("validate", func(t *testing.T) {
		before := heapAfterGC()
		folder, res, err := CheckDir(context.Background(), dir, Options{}, rules)
		if err != nil {
			t.Fatal(err)
		}
		holdsAtMost(t, "a read", before, n, 4500)
		if len(res.Valid) != n {
			t.Fatalf("%d valid records, want %d: %v", len(res.Valid), n, res.Problems)
		}
		runtime.KeepAlive(folder)
	})
	t.Run("check of a refresh", func(t *testing.T) {
		before := heapAfterGC()
		folder, res, err := testSource(nil, dir).Check(context.Background(), rules.Now, cfg)
		if err != nil {
			t.Fatal(err)
		}
		holdsAtMost(t, "the check of a refresh", before, n, 3200)
		if len(res.Valid) != n || len(res.Findings) < 3*n {
			t.Fatalf("%d valid records, %d findings; want %d and about 4 findings each: %v", len(res.Valid), len(res.Findings), n, res.Problems)
		}
		runtime.KeepAlive(folder)
	})
	t.Run("refresh", func(t *testing.T) {
		before := heapAfterGC()
		src := testSource(nil, dir)
		for range 2 { // the second refresh reuses the records of the first
			snap, err := src.Snapshot(context.Background(), rules.Now, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if snap.Records != n {
				t.Fatalf("%d records in the snapshot, want %d: %v", snap.Records, n, snap.Problems)
			}
		}
		holdsAtMost(t, "the file source between refreshes", before, n, 2700)
		runtime.KeepAlive(src)
	})
}

// holdsAtMost fails t when the heap in use has grown since before by more
// than bound bytes per record of n.
func holdsAtMost(t *testing.T, what string, before uint64, n int, bound int64) {
	t.Helper()
	held := (int64(heapAfterGC()) - int64(before)) / int64(n)
	t.Logf("%d bytes per record", held)
	if held > bound {
		t.Errorf("%s holds %d bytes per record, want at most %d", what, held, bound)
	}
}

// BenchmarkReadFolder reads and checks a folder of synthetic records with
// five action items each, as `validate` does, and reports the allocations
// and bytes allocated per record (most of it the YAML parser's garbage).
func BenchmarkReadFolder(b *testing.B) {
	const n = 1000
	dir := b.TempDir()
	rules := writeSyntheticFolder(b, dir, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		folder, err := ReadDir(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res := record.Check(folder.Records, folder.Problems, rules); len(res.Valid) != n {
			b.Fatalf("%d valid records, want %d", len(res.Valid), n)
		}
	}
	runtime.ReadMemStats(&after)
	records := float64(b.N * n)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/records, "B/record")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/records, "µs/record")
}
