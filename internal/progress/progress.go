// Package progress tells the person at a terminal how far a long job has
// come: one line on stderr, redrawn in place a few times per second, with
// the stage, the count, the rate and the time left. When stderr is not a
// terminal (CI logs, a pipe) it writes one summary line when the job ends.
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// RedrawEvery is the shortest time between two redraws on a terminal.
const RedrawEvery = 250 * time.Millisecond

// Meter reports one job's progress on a writer. It is not safe for
// concurrent use: one goroutine runs the job.
type Meter struct {
	w        io.Writer
	terminal bool
	job      string // names the job at the start of every line
	unit     string // what Add counts: "records", "incidents"
	now      func() time.Time

	began      time.Time // of the job
	stage      string
	stageBegan time.Time
	done       int64 // units of the stage done
	total      int64 // units of the stage, 0 when unknown
	drawn      time.Time
	width      int // of the line drawn last, to blank it
}

// New returns a meter for job on w; terminal says whether w is a terminal
// (the line is redrawn) or not (one summary line at the end). now is the
// clock; nil means time.Now.
func New(w io.Writer, terminal bool, job, unit string, now func() time.Time) *Meter {
	if now == nil {
		now = time.Now
	}
	t := now()
	return &Meter{w: w, terminal: terminal, job: job, unit: unit, now: now, began: t, stageBegan: t}
}

// Stage starts a step of total units (0 when unknown) and draws it at once.
func (m *Meter) Stage(name string, total int64) {
	m.stage, m.total, m.done, m.stageBegan = name, total, 0, m.now()
	m.draw(m.stageBegan)
}

// Add counts n more units done, and redraws if the last line is older
// than RedrawEvery.
func (m *Meter) Add(n int64) {
	m.done += n
	if !m.terminal {
		return
	}
	if t := m.now(); t.Sub(m.drawn) >= RedrawEvery {
		m.draw(t)
	}
}

// Finish ends the job with one line: "job: summary in 5m11s". On a
// terminal it replaces the progress line.
func (m *Meter) Finish(summary string) {
	line := fmt.Sprintf("%s: %s in %s", m.job, summary, roundDuration(m.now().Sub(m.began)))
	if m.terminal {
		m.overwrite(line)
		fmt.Fprintln(m.w)
	} else {
		fmt.Fprintln(m.w, line)
	}
	m.width = 0
}

// draw writes the progress line at t, on a terminal only.
func (m *Meter) draw(t time.Time) {
	if !m.terminal {
		return
	}
	m.drawn = t
	m.overwrite(m.line(t))
}

// overwrite returns to the start of the line and writes text over what was
// drawn, blanking what is left of a longer previous line.
func (m *Meter) overwrite(text string) {
	fmt.Fprint(m.w, "\r"+text+strings.Repeat(" ", max(0, m.width-len(text))))
	m.width = len(text)
}

// line renders the stage at t: "job: stage: 1,200/5,000 units (24%),
// 400 units/s, ETA 10s". Without a total: the count and the rate; before
// anything is done: the elapsed time.
func (m *Meter) line(t time.Time) string {
	elapsed := t.Sub(m.stageBegan)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: ", m.job, m.stage)
	if m.total > 0 {
		fmt.Fprintf(&b, "%s/%s %s (%d%%)", thousands(m.done), thousands(m.total), m.unit, 100*m.done/m.total)
	} else {
		fmt.Fprintf(&b, "%s %s", thousands(m.done), m.unit)
	}
	if m.done == 0 || elapsed <= 0 {
		fmt.Fprintf(&b, ", %s elapsed", roundDuration(elapsed))
		return b.String()
	}
	rate := float64(m.done) / elapsed.Seconds()
	fmt.Fprintf(&b, ", %s %s/s", thousands(int64(rate)), m.unit)
	if m.total > 0 {
		left := time.Duration(float64(m.total-m.done) / rate * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", roundDuration(left))
	}
	return b.String()
}

// roundDuration rounds to what a person reads: tenths of a second under a
// minute, whole seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// thousands formats n with commas: 1234567 is "1,234,567".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
