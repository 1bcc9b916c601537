package pull

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Options of one pull.
type Options struct {
	// Dir is the folder of records.
	Dir      string
	Mapping  SourceMapping
	Taxonomy record.Taxonomy
	// Full ignores the source's cursor.
	Full bool
	// Overwrite takes the source's value of a field edited by hand.
	Overwrite bool
	// Progress, when set, is told of every incident handled.
	Progress func()
}

// Summary is what one pull did.
type Summary struct {
	Source    string
	Incidents int // handled, skipped ones included
	Written   int
	Unchanged int
	Skipped   int
	Conflicts []Conflict
	// Gone lists the records whose incident left the source: "file: why".
	Gone []string
}

func (s *Summary) String() string {
	return fmt.Sprintf("%d incidents: %d written, %d unchanged, %d skipped, %d conflicts, %d gone",
		s.Incidents, s.Written, s.Unchanged, s.Skipped, len(s.Conflicts), len(s.Gone))
}

// Run pulls src into opts.Dir. Nothing is written unless the whole pull
// succeeds: the files then, and the state file last. On error the
// summary says what was read so far.
func Run(ctx context.Context, src Source, opts Options) (*Summary, error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("records folder: %w", err)
	}
	st, err := loadState(opts.Dir)
	if err != nil {
		return nil, err
	}
	ss := st.source(src.Name())
	cursor := ss.Cursor
	if opts.Full {
		cursor = ""
	}
	r := &run{opts: opts, ss: ss, sum: &Summary{Source: src.Name()}, files: map[string]string{}, listed: map[string]bool{},
		tr: translator{source: src.Name(), mapping: opts.Mapping, taxonomy: opts.Taxonomy}}
	defer r.pending.close()
	next, err := src.Pull(ctx, cursor, func(inc Incident) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if opts.Progress != nil {
			defer opts.Progress()
		}
		return r.incident(inc)
	})
	if err != nil {
		return r.sum, fmt.Errorf("pull %s: %w", src.Name(), err)
	}
	if ex, ok := src.(Exhaustive); ok && cursor == "" && ex.ListsEverything() {
		r.unlisted(src.Name())
	}
	if err := r.pending.commit(ctx); err != nil {
		return r.sum, err
	}
	ss.Cursor = next
	for id, rs := range r.updates {
		ss.Records[id] = rs
	}
	return r.sum, st.save(opts.Dir)
}

// run is one pull in progress.
type run struct {
	opts Options
	ss   *sourceState
	tr   translator
	sum  *Summary
	// files maps each file written or kept this pull to the source id
	// of its incident, so two incidents never share one.
	files map[string]string
	// listed holds the source id of every incident the source emitted.
	listed map[string]bool
	// pending holds the files to write once the source answered in full.
	pending spool
	updates map[string]*recordState
}

// unlisted reports gone the records of the incidents the source listed
// before and did not list in this full pull, while their files are
// there, in the order of their files.
func (r *run) unlisted(source string) {
	var gone []string
	for id, rs := range r.ss.Records {
		if r.listed[id] || rs.File == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(r.opts.Dir, rs.File)); err == nil {
			gone = append(gone, fmt.Sprintf("%s: no longer listed by %s (deleted, or moved out of what is pulled)", rs.File, source))
		}
	}
	slices.Sort(gone)
	r.sum.Gone = append(r.sum.Gone, gone...)
}

// incident merges one incident into its file, in memory.
func (r *run) incident(inc Incident) error {
	r.sum.Incidents++
	r.listed[inc.SourceID] = true
	if inc.Skipped != "" {
		r.sum.Skipped++
		return nil
	}
	if inc.SourceID == "" {
		return errors.New("an incident without a source id")
	}
	d, err := r.tr.desire(inc)
	if err != nil {
		return err
	}
	last := r.ss.Records[inc.SourceID]
	name := sanitizeID(d.id) + ".md"
	if last != nil && last.File != "" {
		name = last.File
	}
	path := filepath.Join(r.opts.Dir, name)
	if inc.Gone != "" {
		if _, err := os.Stat(path); err == nil {
			r.sum.Gone = append(r.sum.Gone, fmt.Sprintf("%s: %s", name, inc.Gone))
		}
		return nil
	}
	if other, taken := r.files[name]; taken && other != inc.SourceID {
		r.sum.Conflicts = append(r.sum.Conflicts, Conflict{File: name, Field: "id",
			Reason: fmt.Sprintf("incidents %s and %s both have the id %s: the second is not written", other, inc.SourceID, d.id)})
		return nil
	}
	r.files[name] = inc.SourceID
	m := &merger{name: name, last: last, overwrite: r.opts.Overwrite, next: &recordState{File: name, Fields: map[string]string{}}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		m.file = newRecordFile()
	case err != nil:
		return fmt.Errorf("read %s: %w", path, err)
	default:
		m.file, err = parseRecordFile(data)
		if err != nil {
			r.sum.Conflicts = append(r.sum.Conflicts, Conflict{File: name, Field: "file", Reason: err.Error() + ": left as it is"})
			return nil
		}
		m.exists = true
	}
	m.merge(d)
	r.sum.Conflicts = append(r.sum.Conflicts, m.conflicts...)
	if r.updates == nil {
		r.updates = map[string]*recordState{}
	}
	r.updates[inc.SourceID] = m.next
	if m.exists && !m.changed {
		r.sum.Unchanged++
		return nil
	}
	out, err := m.file.render()
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := r.pending.add(path, out); err != nil {
		return err
	}
	r.sum.Written++
	return nil
}
