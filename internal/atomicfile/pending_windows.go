package atomicfile

import (
	"os"
	"path/filepath"
)

// renameio does not build on Windows: there a temporary file in the
// target's folder is renamed over the target with os.Rename, which calls
// MoveFileEx with MOVEFILE_REPLACE_EXISTING. Permissions are left to the
// folder's ACL (Windows has no mode bits beyond read-only).

// windowsPendingFile is a temporary file that replaces path when closed.
type windowsPendingFile struct {
	*os.File
	path     string
	replaced bool
}

// newPendingFile starts a temporary file in path's folder.
func newPendingFile(path string, _ os.FileMode) (pendingFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &windowsPendingFile{File: f, path: path}, nil
}

// CloseAtomicallyReplace closes the temporary file and renames it over the
// target.
func (p *windowsPendingFile) CloseAtomicallyReplace() error {
	if err := p.Close(); err != nil {
		return err
	}
	if err := os.Rename(p.Name(), p.path); err != nil {
		return err
	}
	p.replaced = true
	return nil
}

// Cleanup removes the temporary file unless it replaced the target.
func (p *windowsPendingFile) Cleanup() error {
	if p.replaced {
		return nil
	}
	p.Close() //nolint:errcheck // already closed by CloseAtomicallyReplace, or given up
	return os.Remove(p.Name())
}

// syncDir does nothing: Windows cannot flush a folder (FlushFileBuffers
// needs a file opened for writing), and NTFS journals the rename.
func syncDir(string) error { return nil }
