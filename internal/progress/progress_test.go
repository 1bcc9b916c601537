package progress

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a fake clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)} }

// job runs a two-stage job on a fake clock and returns what it wrote:
// 1,000 of 4,000 rows in the first 250 ms, the rest by 1 s, then a stage
// of unknown size for 1.5 s.
func job(terminal bool) string {
	var out strings.Builder
	c := newClock()
	m := newMeter(&out, terminal, "synthesize", "rows", c.now)
	m.Stage("copy incidents", 4000)
	c.advance(100 * time.Millisecond)
	m.Add(400) // 100 ms after the first line: not redrawn
	c.advance(150 * time.Millisecond)
	m.Add(600) // 250 ms: redrawn
	c.advance(750 * time.Millisecond)
	m.Add(3000) // 1 s: redrawn
	m.Stage("rebuild rollups", 0)
	c.advance(100 * time.Millisecond)
	m.tick() // 100 ms after the last line: not redrawn
	c.advance(1400 * time.Millisecond)
	m.tick() // 1.5 s: redrawn, though nothing was counted
	m.Finish("4,000 rows written")
	m.Close() // after Finish: nothing more
	return out.String()
}

func TestTerminalRedrawsOneLine(t *testing.T) {
	// The working of each line:
	//  - at the stage's start nothing is done: 0s elapsed.
	//  - 250 ms, 1,000 of 4,000 rows: 25%, 1,000/0.25 s = 4,000 rows/s;
	//    3,000 left at 4,000 rows/s is 750 ms, rounded to tenths: 800ms.
	//  - 1 s, 4,000 of 4,000: 100%, 4,000 rows/s, ETA 0s.
	//  - the next stage counts nothing: the elapsed time, 0s at its
	//    start, 1.5 s at the tick.
	//  - the summary: 2.5 s since the job began, and the line ends.
	want := []string{
		"",
		"synthesize: copy incidents: 0/4,000 rows (0%), 0s elapsed",
		"synthesize: copy incidents: 1,000/4,000 rows (25%), 4,000 rows/s, ETA 800ms",
		"synthesize: copy incidents: 4,000/4,000 rows (100%), 4,000 rows/s, ETA 0s",
		"synthesize: rebuild rollups: 0s elapsed",
		"synthesize: rebuild rollups: 1.5s elapsed",
		"synthesize: 4,000 rows written in 2.5s\n", // 1 s + 1.5 s
	}
	draws := strings.Split(job(true), "\r")
	got := make([]string, len(draws))
	for i, d := range draws {
		text, end := strings.CutSuffix(d, "\n")
		got[i] = strings.TrimRight(text, " ")
		if end {
			got[i] += "\n"
		}
		// Each redraw covers all of the line before it: spaces blank
		// what a shorter line would leave on screen.
		if i > 0 && len(text) < len(strings.TrimRight(draws[i-1], " ")) {
			t.Errorf("redraw %q leaves the end of %q on screen", d, draws[i-1])
		}
	}
	if strings.Join(got, "|\n") != strings.Join(want, "|\n") {
		t.Errorf("terminal output, one redraw per line:\n%s\nwant:\n%s", strings.Join(got, "|\n"), strings.Join(want, "|\n"))
	}
}

func TestNotATerminalWritesOneSummaryLine(t *testing.T) {
	if got, want := job(false), "synthesize: 4,000 rows written in 2.5s\n"; got != want {
		t.Errorf("output when stderr is not a terminal: %q, want %q", got, want)
	}
}

func TestRedrawsAtMostFourTimesASecond(t *testing.T) {
	var out strings.Builder
	c := newClock()
	m := newMeter(&out, true, "import", "records", c.now)
	m.Stage("upsert", 1_000_000)
	for range 1_000_000 {
		c.advance(time.Microsecond) // one second in all
		m.Add(1)
	}
	// The stage's first line, then one every 250 ms of the second: 1 + 4.
	if n := strings.Count(out.String(), "\r"); n != 5 {
		t.Errorf("%d lines drawn in one second of a million adds, want 5", n)
	}
}

func TestCloseEndsTheLine(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		var out strings.Builder
		m := newMeter(&out, terminal, "import", "records", newClock().now)
		m.Stage("upsert", 10)
		m.Close() // the job failed: its error goes on the next line
		m.Close()
		want := "" // not a terminal: nothing drawn, nothing to end
		if terminal {
			want = "\rimport: upsert: 0/10 records (0%), 0s elapsed\n"
		}
		if got := out.String(); got != want {
			t.Errorf("terminal %v: %q, want %q", terminal, got, want)
		}
	}
}

// TestLongStatementIsRedrawn runs a real meter through a stage that counts
// nothing for a second: the line is redrawn while it waits, and nothing is
// drawn after Close. The meter writes under its lock, so reading after
// Close is race free; a write after it would be a race -race reports.
func TestLongStatementIsRedrawn(t *testing.T) {
	var out lockedBuffer
	m := New(&out, true, "synthesize", "incidents")
	m.Stage("rebuild rollups", 0)
	// The first line, then one per tick: wait for three, however busy the
	// machine (a fixed sleep made this test flaky under load).
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(out.String(), "\rsynthesize: rebuild rollups: ") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("not redrawn during a long stage:\n%q", out.String())
		}
		time.Sleep(RedrawEvery / 5)
	}
	m.Close()
	closed := out.String()
	time.Sleep(2 * RedrawEvery)
	if !regexp.MustCompile(`elapsed *\n$`).MatchString(closed) {
		t.Errorf("the last line does not end the line:\n%q", closed)
	}
	if after := out.String(); after != closed {
		t.Errorf("drawn after Close: %q", strings.TrimPrefix(after, closed))
	}
}

// lockedBuffer is a strings.Builder the meter's ticker may write while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4000: "-4,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
