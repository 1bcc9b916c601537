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
// Every record is judged on every refresh under the rules of that refresh:
// a reload of the taxonomy that refuses a value makes the files that hold
// it invalid, whether or not they changed, as a restart would.
//
// Edits in flight: when a file that held a valid record turns invalid (a
// save half done, a bad merge, front matter pushed below a heading, or an
// edit of another file that it relates to), its problems are reported as
// usual, but the last valid version of the record (by path) keeps being
// served, so the forum's numbers do not jump, until the file is fixed or
// removed. That version is judged again, on its own, under the rules of
// each refresh, and is dropped once they refuse it: an unchanged file that
// a narrower taxonomy refuses is invalid, not served as it was.
// Snapshot.Stale counts the records served so. A
// record served at one refresh whose id nothing serves at the next and
// whose file has no problem (the file deleted, excluded or no longer a
// record) is logged and counted in Snapshot.Removed.
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
	// Merge, when set, merges into the checked records what is known of
	// them elsewhere before they are aggregated: the last known states of
	// the action items' tickets (ticketsync.Syncer.Merge). It replaces the
	// records it changes with copies, so the records kept between
	// refreshes keep their own values.
	Merge func(res *record.Result, rules record.Rules)

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
	// removed counts the records gone since the source was made.
	removed int
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
// and the quality rules) and aggregates the valid ones, with the last
// valid version of the files whose content turned invalid. It gives up
// with ctx's error when ctx ends first (the refresh timeout).
func (s *Source) Snapshot(ctx context.Context, asOf time.Time, cfg record.Config) (*snapshot.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parser := &reusingParser{last: s.parsed, lastShift: s.lastShift, // sized as the last refresh found the folder
		next: make(map[string]parsedFile, len(s.parsed)), reused: make(map[*record.Record]bool, len(s.parsed))}
	shift := s.shiftAsOf(asOf)
	rules := s.rules(cfg)
	folder, res, err := check(ctx, s.FS, s.Dir, s.ReadOptions, parser.parse, shift, rules)
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
	stale, removed := s.serveLastValid(&res, rules, shift, parser.reused)
	for _, r := range removed {
		s.Logger.Warn("a record is no longer served: its file is gone, excluded or holds no record", "path", r.Path, "id", r.ID)
	}
	s.removed += len(removed)
	s.parsed = parser.next
	if s.Merge != nil {
		s.Merge(&res, rules)
	}
	opts := s.Options
	opts.SetTaxonomy(cfg.Taxonomy)
	snap := snapshot.FromRecords(SourceName, res, asOf, opts)
	snap.Stale, snap.Removed = stale, s.removed
	return snap, nil
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

// serveLastValid adds to res the last valid version of each file that has
// a problem now, in place of what could be read of it, when rules find
// that version's incident core sound on its own (record.Judge); and
// remembers the valid records for the next refresh. A file that is gone,
// or whose record's id is now served by another file, drops its old
// version. reused are the records of this refresh that were reused from
// the last: they are shifted already. It returns how many old versions are
// served, and the records of the last refresh that are served no more and
// whose file has no problem now.
func (s *Source) serveLastValid(res *record.Result, rules record.Rules, shift time.Duration, reused map[*record.Record]bool) (int, []*record.Record) {
	next := make(map[string]*record.Record, len(res.Valid))
	served := make(map[string]bool, len(res.Valid))
	for _, r := range res.Valid {
		next[r.Path] = r
		served[r.ID] = true
	}
	withProblem := map[string]bool{}
	stale := 0
	for _, p := range res.Problems { // sorted by path
		last, ok := s.lastValid[p.Path]
		if withProblem[p.Path] {
			continue
		}
		withProblem[p.Path] = true
		if !ok || served[last.ID] {
			continue
		}
		if !reused[last] {
			last.Shift(shift - s.lastShift)
		}
		core, verdict := record.Judge(last, rules)
		if len(core) > 0 {
			continue // today's rules refuse it too: the file is invalid, and counted so
		}
		next[p.Path] = last
		served[last.ID] = true
		res.AddValid(last, verdict)
		stale++
	}
	var removed []*record.Record
	for path, r := range s.lastValid {
		if !served[r.ID] && !withProblem[path] {
			removed = append(removed, r)
		}
	}
	slices.SortFunc(removed, func(a, b *record.Record) int { return strings.Compare(a.Path, b.Path) })
	s.lastValid, s.lastShift = next, shift
	if stale > 0 {
		// What could be read of a file served in its old version is not
		// counted as well (an unowned item would be counted twice).
		res.Invalid = slices.DeleteFunc(res.Invalid, func(r *record.Record) bool { return next[r.Path] != nil })
	}
	return stale, removed
}
