package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// DefaultMaxFileSize is the largest record file read unless Options say
// otherwise: a post-mortem with a long narrative takes tens of KiB.
const DefaultMaxFileSize = 4 << 20

// Options are the exclusions and limits of a folder read.
type Options struct {
	// Exclude holds glob patterns (doublestar syntax: `*` within a folder,
	// `**` across folders, e.g. "templates/**") matched against the
	// slash-separated path of each file and folder relative to the
	// folder read. A matching folder is not entered.
	Exclude []string
	// MaxFileSize is the size in bytes of the largest file read; a larger
	// one is a problem and is not opened. 0 means DefaultMaxFileSize.
	MaxFileSize int64
}

// Check reports a malformed exclude pattern or a negative size.
func (o Options) Check() error {
	var errs []error
	for _, p := range o.Exclude {
		if !doublestar.ValidatePattern(p) {
			errs = append(errs, fmt.Errorf("exclude pattern %q: %w", p, doublestar.ErrBadPattern))
		}
	}
	if o.MaxFileSize < 0 {
		errs = append(errs, fmt.Errorf("max file size %d: must not be negative", o.MaxFileSize))
	}
	return errors.Join(errs...)
}

func (o Options) maxFileSize() int64 {
	if o.MaxFileSize == 0 {
		return DefaultMaxFileSize
	}
	return o.MaxFileSize
}

func (o Options) excluded(p string) bool {
	for _, pattern := range o.Exclude {
		pattern = strings.TrimPrefix(pattern, "./")    // as people write paths in a shell
		if ok, _ := doublestar.Match(pattern, p); ok { // patterns are checked by Check
			return true
		}
	}
	return false
}

// Reads reports whether a read of a folder considers the file at p, a
// slash-separated path relative to that folder: false when p or a folder
// above it is hidden (its name starts with '.') or excluded.
func (o Options) Reads(p string) bool {
	for dir := p; dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if strings.HasPrefix(path.Base(dir), ".") || o.excluded(dir) {
			return false
		}
	}
	return true
}

// Folder is what a read of a folder found.
type Folder struct {
	// Records read from the files, valid or not.
	Records []*record.Record
	// Problems of the files, including those that held no record.
	Problems []record.Problem
	// Skipped lists the files named like records that are not records:
	// Markdown without front matter (a README, a template) and symbolic
	// links to a file or folder that is read under its own path.
	Skipped []Skip
	// Ignored lists the files of other types and the excluded paths.
	// Hidden files and folders (a name starting with '.') are not even
	// listed.
	Ignored []string
}

// Skip is a file that is not read as a record, and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// ReadDir reads the records under dir. The folder is opened as an os.Root,
// so that nothing outside it is ever opened, and closed again: a refresh
// sees dir as it is now, even when dir is a link that was swapped (as
// git-sync does).
func ReadDir(ctx context.Context, dir string, opts Options) (*Folder, error) {
	return readDir(ctx, dir, opts, Parse)
}

// parseFunc decodes one record file, as Parse does.
type parseFunc func(name string, data []byte) (*record.Record, []record.Problem)

func readDir(ctx context.Context, dir string, opts Options, parse parseFunc) (*Folder, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	defer root.Close()
	return read(ctx, root.FS(), dir, opts, parse)
}

// Read walks fsys recursively and decodes every record file in it, as many
// at once as there are CPUs. Paths in records and problems are joined to
// prefix (the folder as the user named it). The error is non-nil only when
// the folder itself cannot be read or ctx ends first: the walk checks ctx
// before each file, and gives up on a read that is still blocked when ctx
// ends.
func Read(ctx context.Context, fsys fs.FS, prefix string, opts Options) (*Folder, error) {
	return read(ctx, fsys, prefix, opts, Parse)
}

func read(ctx context.Context, fsys fs.FS, prefix string, opts Options, parse parseFunc) (*Folder, error) {
	f := &Folder{}
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, walkErr error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return walkErr
		}
		name := path.Join(prefix, p)
		switch {
		case strings.HasPrefix(d.Name(), "."): // .git, .github, .DS_Store, editor swap files
			return skipEntry(d)
		case opts.excluded(p):
			f.Ignored = append(f.Ignored, name)
			return skipEntry(d)
		case walkErr != nil:
			f.problem(name, record.CodeReadError, "cannot read: %s", pathErrorText(walkErr))
		case d.IsDir():
		case d.Type()&fs.ModeSymlink != 0:
			f.symlink(fsys, p, prefix)
		case kindOf(p) == notRecord:
			f.Ignored = append(f.Ignored, name)
		case !d.Type().IsRegular(): // a named pipe would block a read forever
			f.problem(name, record.CodeReadError, "not a regular file (%s): not read", typeName(d.Type()))
		default:
			files = append(files, p)
		}
		return nil
	})
	if err == nil {
		err = f.readRecords(ctx, fsys, prefix, files, opts.maxFileSize(), parse)
	}
	if err != nil {
		return nil, fmt.Errorf("read records from %s: %w", prefix, err)
	}
	slices.SortFunc(f.Skipped, func(a, b Skip) int { return strings.Compare(a.Path, b.Path) })
	return f, nil
}

// fileRecord is what one record file held.
type fileRecord struct {
	record   *record.Record
	problems []record.Problem
}

// readRecords reads and parses files, as many at once as there are CPUs,
// and adds what they hold to f in the order of files.
func (f *Folder) readRecords(ctx context.Context, fsys fs.FS, prefix string, files []string, limit int64, parse parseFunc) error {
	results := make([]fileRecord, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			shared := stringPool{}
			for i := int(next.Add(1) - 1); i < len(files) && ctx.Err() == nil; i = int(next.Add(1) - 1) {
				results[i] = readRecord(ctx, fsys, files[i], path.Join(prefix, files[i]), limit, parse)
				if r := results[i].record; r != nil {
					r.ShareStrings(shared.canonical)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, res := range results {
		switch {
		case res.record == nil && len(res.problems) == 0:
			f.Skipped = append(f.Skipped, Skip{Path: path.Join(prefix, files[i]), Reason: "Markdown without front matter: not a record"})
		case res.record != nil:
			f.Records = append(f.Records, res.record)
		}
		f.Problems = append(f.Problems, res.problems...)
	}
	return nil
}

// stringPool holds one copy of each string it was given.
type stringPool map[string]string

// canonical returns the pool's copy of s, which becomes s's first copy.
func (p stringPool) canonical(s string) string {
	if c, ok := p[s]; ok {
		return c
	}
	c := strings.Clone(s) // not a piece of a larger string, which it would keep
	p[c] = c
	return c
}

// readRecord reads and parses the file p, named name in messages.
func readRecord(ctx context.Context, fsys fs.FS, p, name string, limit int64, parse parseFunc) fileRecord {
	fail := func(code record.Code, format string, args ...any) fileRecord {
		return fileRecord{problems: []record.Problem{{Path: name, Field: "file", Code: code, Message: fmt.Sprintf(format, args...)}}}
	}
	data, err := readFile(ctx, fsys, p, limit)
	var tooLarge *tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return fail(record.CodeTooLarge, "%s", tooLarge.Error())
	case err != nil:
		return fail(record.CodeReadError, "cannot read: %s", pathErrorText(err))
	}
	r, problems := parse(name, data)
	return fileRecord{r, problems}
}

func (f *Folder) problem(name string, code record.Code, format string, args ...any) {
	f.Problems = append(f.Problems, record.Problem{Path: name, Field: "file", Code: code, Message: fmt.Sprintf(format, args...)})
}

// skipEntry leaves out a file, or a folder with everything in it.
func skipEntry(d fs.DirEntry) error {
	if d.IsDir() {
		return fs.SkipDir
	}
	return nil
}

// typeName names the type of a file that is not regular.
func typeName(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "type " + mode.String()
}

// pathErrorText drops the path an fs error repeats: the problem names it.
func pathErrorText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// tooLargeError is a file over the size limit.
type tooLargeError struct{ size, limit int64 }

func (e *tooLargeError) Error() string {
	if e.size < 0 {
		return fmt.Sprintf("larger than the limit of %s (--source.max-file-size): not read", formatSize(e.limit))
	}
	return fmt.Sprintf("%s, larger than the limit of %s (--source.max-file-size): not read", formatSize(e.size), formatSize(e.limit))
}

// formatSize prints a size in the unit that keeps it readable.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// readFile reads a regular file of at most limit bytes. It returns when
// ctx ends even if the read is blocked (a hung network mount): the read
// then finishes in the background and its result is dropped.
func readFile(ctx context.Context, fsys fs.FS, p string, limit int64) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := readLimited(fsys, p, limit)
		done <- result{data, err}
	}()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		return r.data, r.err
	}
}

// readLimited checks the size before reading, and reads at most one byte
// more than limit in case the file grows meanwhile. The file is read into
// a buffer of its size (plus the byte that sees the end): io.ReadAll would
// grow one from 512 bytes, twice the garbage on a folder of small files.
func readLimited(fsys fs.FS, p string, limit int64) ([]byte, error) {
	file, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	info, err := file.Stat()
	switch {
	case err != nil:
		return nil, err
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file (%s)", typeName(info.Mode().Type()))
	case info.Size() > limit:
		return nil, &tooLargeError{size: info.Size(), limit: limit}
	}
	data, err := readAll(io.LimitReader(file, limit+1), info.Size()+1)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{size: -1, limit: limit}
	}
	return data, nil
}

// readAll reads r to its end into a buffer of size bytes, grown only if r
// holds more.
func readAll(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
