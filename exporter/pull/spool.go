package pull

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/postmortem-exporter/postmortem-exporter/internal/atomicfile"
)

// commitChunk is how many files one atomicfile.Batch holds open at once
// when the pull's files are written.
const commitChunk = 64

// spool keeps the files a pull will write on disk, one after the other
// in a single temporary file removed as soon as it is made, until the
// pull commits them: the pull's memory does not grow with the number of
// files, and a failed or killed pull leaves nothing behind.
type spool struct {
	f *os.File
	// leftover is the temporary file's name when the system could not
	// remove it while open (Windows): close removes it then.
	leftover string
	size     int64
	files    []spooledFile
}

// spooledFile is one file's place in the spool.
type spooledFile struct {
	path      string
	off, size int64
}

// add appends the file destined for path.
func (s *spool) add(path string, data []byte) error {
	if s.f == nil {
		f, err := os.CreateTemp("", "postmortem-pull-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		s.f = f
		if os.Remove(f.Name()) != nil {
			s.leftover = f.Name()
		}
	}
	if _, err := s.f.Write(data); err != nil {
		return fmt.Errorf("write %s: spool: %w", path, err)
	}
	s.files = append(s.files, spooledFile{path: path, off: s.size, size: int64(len(data))})
	s.size += int64(len(data))
	return nil
}

// commit writes the spooled files over their targets, a bounded batch at
// a time.
func (s *spool) commit(ctx context.Context) error {
	for start := 0; start < len(s.files); start += commitChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		var b atomicfile.Batch
		for _, sf := range s.files[start:min(start+commitChunk, len(s.files))] {
			content := io.NewSectionReader(s.f, sf.off, sf.size)
			if err := b.Add(sf.path, 0o644, func(w io.Writer) error {
				_, err := io.Copy(w, content)
				return err
			}); err != nil {
				b.Discard()
				return err
			}
		}
		if err := b.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// close drops the spool.
func (s *spool) close() {
	if s.f == nil {
		return
	}
	s.f.Close() //nolint:errcheck // read-only use from here; nothing to lose
	if s.leftover != "" {
		os.Remove(s.leftover) //nolint:errcheck // a temporary file in the system's folder
	}
}
