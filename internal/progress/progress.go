// Package progress tells the person at a terminal how far a long job has
// come: one line on stderr, redrawn in place a few times per second, with
// the stage, the count, the rate and the time left. When stderr is not a
// terminal (CI logs, a pipe) it writes one summary line when the job ends.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// RedrawEvery is the shortest time between two redraws on a terminal; a
// stage that counts nothing (one long statement) is redrawn this often
// too, so that its elapsed time moves.
const RedrawEvery = 250 * time.Millisecond

// Meter reports one job's progress on a writer. Its methods may be called
// from any goroutine.
type Meter struct {
	w        io.Writer
	terminal bool
	job      string // names the job at the start of every line
	unit     string // what Add counts: "records", "incidents"
	now      func() time.Time
	stop     chan struct{}
	stopOnce sync.Once

	mu         sync.Mutex
	began      time.Time // of the job
	stage      string
	stageBegan time.Time
	done       int64 // units of the stage done
	total      int64 // units of the stage, 0 when unknown
	drawn      time.Time
	width      int  // of the line on screen, 0 when none
	closed     bool // by Finish or Close: nothing more is drawn
}

// New returns a meter for job on w, whose Add counts unit. terminal says
// whether w is a terminal (a line redrawn in place) or not (one summary
// line from Finish). Call Close when the job ends, however it ends.
func New(w io.Writer, terminal bool, job, unit string) *Meter {
	m := newMeter(w, terminal, job, unit, time.Now)
	if terminal {
		go m.redrawEvery(time.NewTicker(RedrawEvery))
	}
	return m
}

// newMeter returns a meter on the clock now that redraws only when told.
func newMeter(w io.Writer, terminal bool, job, unit string, now func() time.Time) *Meter {
	t := now()
	return &Meter{w: w, terminal: terminal, job: job, unit: unit, now: now, stop: make(chan struct{}), began: t, stageBegan: t}
}

// redrawEvery redraws on every tick until the meter is closed.
func (m *Meter) redrawEvery(ticker *time.Ticker) {
	defer ticker.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-ticker.C:
			m.tick()
		}
	}
}

// tick redraws if the line is older than RedrawEvery. A tick may come
// after Close (the select in redrawEvery picks at random between a tick
// and the stop): draw checks closed for that.
func (m *Meter) tick() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.now(); m.stage != "" && t.Sub(m.drawn) >= RedrawEvery {
		m.draw(t)
	}
}

// Stage starts a step of total units (0 when unknown) and draws it at once.
func (m *Meter) Stage(name string, total int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stage, m.total, m.done, m.stageBegan = name, total, 0, m.now()
	m.draw(m.stageBegan)
}

// Add counts n more units done, and redraws if the line is older than
// RedrawEvery.
func (m *Meter) Add(n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	if !m.terminal {
		return
	}
	if t := m.now(); t.Sub(m.drawn) >= RedrawEvery {
		m.draw(t)
	}
}

// Finish ends a job that succeeded with one line, "job: summary in 5m11s",
// in place of the progress line on a terminal. It closes the meter.
func (m *Meter) Finish(summary string) {
	m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	line := fmt.Sprintf("%s: %s in %s", m.job, summary, roundDuration(m.now().Sub(m.began)))
	if m.terminal {
		m.overwrite(line)
		fmt.Fprintln(m.w)
	} else {
		fmt.Fprintln(m.w, line)
	}
	m.width = 0
}

// Close stops the redraws and ends the progress line, so that what is
// written next (an error) starts a line of its own. Closing again, or
// after Finish, does nothing.
func (m *Meter) Close() {
	m.halt()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.width > 0 {
		fmt.Fprintln(m.w)
		m.width = 0
	}
}

// halt stops the redraws.
func (m *Meter) halt() {
	m.stopOnce.Do(func() { close(m.stop) })
}

// draw writes the progress line at t, on a terminal only, until closed.
func (m *Meter) draw(t time.Time) {
	if !m.terminal || m.closed {
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
// 400 units/s, ETA 10s". Without a total: the count and the rate, or only
// the elapsed time while nothing is counted.
func (m *Meter) line(t time.Time) string {
	elapsed := t.Sub(m.stageBegan)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: ", m.job, m.stage)
	switch {
	case m.total > 0:
		fmt.Fprintf(&b, "%s/%s %s (%d%%), ", Thousands(m.done), Thousands(m.total), m.unit, 100*m.done/m.total)
	case m.done > 0:
		fmt.Fprintf(&b, "%s %s, ", Thousands(m.done), m.unit)
	}
	if m.done == 0 || elapsed <= 0 {
		fmt.Fprintf(&b, "%s elapsed", roundDuration(elapsed))
		return b.String()
	}
	rate := float64(m.done) / elapsed.Seconds()
	fmt.Fprintf(&b, "%s %s/s", Thousands(int64(rate)), m.unit)
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

// Thousands formats n with commas: 1234567 is "1,234,567".
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
