// Package atomicfile writes files so that a write that fails leaves what
// was there: each file is written to a temporary file in its own folder,
// synced, then renamed over its target, and the folder synced. It is the
// one way the binary writes a file.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// pendingFile is a temporary file beside its target that replaces the
// target when closed (renameio's PendingFile; see pending_windows.go).
type pendingFile interface {
	io.Writer
	Sync() error
	CloseAtomicallyReplace() error
	Cleanup() error
}

// Batch is a set of files written together: none replaces its target
// until every one is written and synced, so a full disk halfway through
// leaves every target as it was. The zero value is ready to use; call
// Commit, or Discard when giving up. Each file added stays open until
// then: batch a handful of files, not thousands.
type Batch struct {
	pending []pendingFile
	paths   []string
}

// Add writes the content that write produces to a temporary file destined
// for path, creating path's folder when missing. On error nothing is left
// behind for this file; the caller still Discards the batch.
func (b *Batch) Add(path string, perm os.FileMode, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := newPendingFile(path, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Cleanup() //nolint:errcheck // the write error is the one to report
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Sync now, not at Commit, so that a full disk shows before any
	// target is replaced.
	if err := f.Sync(); err != nil {
		f.Cleanup() //nolint:errcheck // the sync error is the one to report
		return fmt.Errorf("write %s: %w", path, err)
	}
	b.pending = append(b.pending, f)
	b.paths = append(b.paths, path)
	return nil
}

// AddBytes adds a file holding data.
func (b *Batch) AddBytes(path string, perm os.FileMode, data []byte) error {
	return b.Add(path, perm, contents(data))
}

// Commit renames every file over its target, then syncs the folders so
// that the renames survive a crash. It stops at the first error, naming
// the file, and removes the temporary files not renamed.
func (b *Batch) Commit() error {
	defer b.Discard()
	dirs := map[string]bool{}
	for i, f := range b.pending {
		if err := f.CloseAtomicallyReplace(); err != nil {
			return fmt.Errorf("write %s: %w", b.paths[i], err)
		}
		dirs[filepath.Dir(b.paths[i])] = true
	}
	var errs []error
	for dir := range dirs {
		if err := syncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Discard removes the temporary files not yet renamed; the targets stay
// as they were.
func (b *Batch) Discard() {
	for _, f := range b.pending {
		f.Cleanup() //nolint:errcheck // a no-op for the files renamed
	}
	b.pending, b.paths = nil, nil
}

// Write writes one file, as a batch of one.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	var b Batch
	if err := b.Add(path, perm, write); err != nil {
		return err
	}
	return b.Commit()
}

// WriteFile writes data to one file, as a batch of one.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return Write(path, perm, contents(data))
}

// contents writes data.
func contents(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}
