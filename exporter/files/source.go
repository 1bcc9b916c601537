package files

import (
	"context"
	"crypto/sha256"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// SourceName is the `source` label of records read from files.
const SourceName = "files"

// Source reads the records from a folder on every refresh.
//
// Edits in flight: when a file that held a valid record turns invalid (a
// save half done, a bad merge), its problems are reported as usual, but
// the last valid version of the record (by path) keeps being served, so the
// forum's numbers do not jump, until the file is fixed or removed.
// Snapshot.Stale counts such records.
type Source struct {
	// FS is the folder to read; when nil, Dir is opened afresh on every
	// refresh (see ReadDir).
	FS  fs.FS
	Dir string // how the folder is named in messages
	// ReadOptions are the exclusions and limits of the file reads.
	ReadOptions Options
	// Shift, when set, tells how far to move every timestamp for a refresh
	// as of an instant; only the bundled examples use it.
	Shift func(asOf time.Time) time.Duration
	// Limits bound the records' times and lists; the future is judged by
	// the wall clock, not asOf, so that a snapshot as of a past instant
	// does not reject what happened since.
	Limits  record.Limits
	Options snapshot.Options
	Logger  *slog.Logger

	mu sync.Mutex // serialises refreshes, which share the fields below
	// Every record below is shifted by lastShift, the shift of the last
	// refresh. A record may be in both maps.
	lastShift time.Duration
	// lastValid holds the record served for each path at the last refresh.
	lastValid map[string]*record.Record
	// parsed holds the records read without a problem at the last
	// refresh, with a hash of their file: a file that has not changed is
	// not parsed again, and its record is not held twice.
	parsed map[string]parsedFile
}

// parsedFile is a record and a hash of the bytes it was parsed from.
type parsedFile struct {
	sum    [sha256.Size]byte
	record *record.Record
}

// reusingParser parses the files of one refresh, reusing the record of a
// file whose bytes have not changed since the last refresh. It is called
// for many files at once.
type reusingParser struct {
	last      map[string]parsedFile // read only during the refresh
	lastShift time.Duration

	mu     sync.Mutex
	next   map[string]parsedFile
	reused map[*record.Record]bool
}

func (p *reusingParser) parse(name string, data []byte) (*record.Record, []record.Problem) {
	sum := sha256.Sum256(data)
	if old, ok := p.last[name]; ok && old.sum == sum {
		old.record.Shift(-p.lastShift) // back as read, as a new record is
		p.mu.Lock()
		defer p.mu.Unlock()
		p.next[name] = old
		p.reused[old.record] = true
		return old.record, nil
	}
	r, problems := Parse(name, data)
	if r != nil && len(problems) == 0 {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.next[name] = parsedFile{sum, r}
	}
	return r, problems
}

// Name returns "files".
func (s *Source) Name() string { return SourceName }

// Snapshot reads every record file, checks it against cfg (the taxonomy
// and the quality rules) and aggregates the valid ones, with the last valid version of the files that turned
// invalid. It gives up with ctx's error when ctx ends first (the refresh
// timeout).
func (s *Source) Snapshot(ctx context.Context, asOf time.Time, cfg record.Config) (*snapshot.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parser := &reusingParser{last: s.parsed, lastShift: s.lastShift, // sized as the last refresh found the folder
		next: make(map[string]parsedFile, len(s.parsed)), reused: make(map[*record.Record]bool, len(s.parsed))}
	shift := s.shiftAsOf(asOf)
	folder, res, err := s.check(ctx, shift, cfg, parser.parse)
	if err != nil {
		s.keepParsed(parser)
		return nil, err
	}
	for _, name := range folder.Ignored {
		s.Logger.Debug("ignoring a file that is not a record", "path", name)
	}
	for _, skip := range folder.Skipped {
		s.Logger.Debug("skipping a file that is not a record", "path", skip.Path, "reason", skip.Reason)
	}
	stale := s.serveLastValid(&res, shift, parser.reused)
	s.parsed = parser.next
	opts := s.Options
	opts.SetTaxonomy(cfg.Taxonomy)
	snap := snapshot.FromRecords(SourceName, res, asOf, opts)
	snap.Stale = stale
	s.trimFindings()
	return snap, nil
}

// trimFindings keeps of the findings of the records kept for the next
// refresh only what that refresh may use. A record checked again gets its
// findings anew; one served in its last valid version (edits in flight)
// has its findings counted by team and rule, and its published_late
// finding lists it on the report's agenda: of each finding it keeps the
// rule, severity and team, nothing more. Most records of a repository
// older than its quality rules have a few findings, the same few as
// thousands of others of their team (no bar raiser, items too large), so
// the records with the same list share one copy: a kept record holds
// nothing of its own for its findings. A record's findings as checked are
// a part of the refresh's list of all findings, messages and locations
// included (0.25 KB each, record.Check), which a kept record would keep
// whole.
func (s *Source) trimFindings() {
	lists := findingLists{}
	for _, r := range s.lastValid {
		lists.trim(r)
	}
	for name, p := range s.parsed { // the records parsed that are invalid
		if s.lastValid[name] != p.record {
			p.record.Findings = nil // checked again before any use
		}
	}
}

// findingLists holds the trimmed lists of findings of the kept records,
// by their rules, severities and teams in order. The lists are shared:
// nothing writes into a record's Findings, Check replaces them.
type findingLists struct {
	byKey map[string][]record.Problem
	key   []byte // reused for each lookup, which does not copy it
}

// trim replaces r's findings by the shared list with their rules,
// severities and teams.
func (l *findingLists) trim(r *record.Record) {
	if len(r.Findings) == 0 {
		return
	}
	l.key = l.key[:0]
	for _, f := range r.Findings {
		l.key = append(append(append(append(append(l.key, f.Rule...), 0), f.Severity...), 0), f.Team...)
		l.key = append(l.key, 0)
	}
	if shared, ok := l.byKey[string(l.key)]; ok {
		r.Findings = shared
		return
	}
	counted := make([]record.Problem, len(r.Findings))
	for i, f := range r.Findings {
		counted[i] = record.Problem{Rule: f.Rule, Severity: f.Severity, Team: f.Team}
	}
	if l.byKey == nil {
		l.byKey = map[string][]record.Problem{}
	}
	l.byKey[string(l.key)] = counted
	r.Findings = counted
}

// keepParsed keeps what a refresh that failed half-way parsed, so that the
// next one does not parse it again: a folder too large to read within the
// refresh timeout is read over a few refreshes, not never.
func (s *Source) keepParsed(parser *reusingParser) {
	if s.parsed == nil {
		s.parsed = map[string]parsedFile{}
	}
	for name, p := range parser.next {
		p.record.Shift(s.lastShift) // like every record kept
		s.parsed[name] = p
	}
}

// serveLastValid adds to res.Valid the last valid version of each file that
// has a problem now, in place of what could be read of it, and remembers
// the valid records for the next refresh. A file that is gone, or whose
// record's id is now served by another file, drops its old version. It
// returns how many old versions are served. reused are the records of
// this refresh that were reused from the last: they are shifted already.
func (s *Source) serveLastValid(res *record.Result, shift time.Duration, reused map[*record.Record]bool) int {
	next := make(map[string]*record.Record, len(res.Valid))
	served := make(map[string]bool, len(res.Valid))
	for _, r := range res.Valid {
		next[r.Path] = r
		served[r.ID] = true
	}
	var stale []*record.Record
	for _, p := range res.Problems { // sorted by path
		last, ok := s.lastValid[p.Path]
		if !ok || served[last.ID] {
			continue
		}
		if !reused[last] {
			last.Shift(shift - s.lastShift)
		}
		next[p.Path] = last
		served[last.ID] = true
		stale = append(stale, last)
	}
	s.lastValid, s.lastShift = next, shift
	if len(stale) == 0 {
		return 0
	}
	// What could be read of a file served in its old version is not
	// counted as well (an unowned item would be counted twice).
	res.Invalid = slices.DeleteFunc(res.Invalid, func(r *record.Record) bool { return next[r.Path] != nil })
	res.Valid = append(res.Valid, stale...)
	slices.SortStableFunc(res.Valid, func(a, b *record.Record) int { return strings.Compare(a.Path, b.Path) })
	return len(stale)
}
