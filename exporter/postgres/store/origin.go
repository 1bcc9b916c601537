package store

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
)

// Source is the repository an import reads and where in it: the records'
// paths are stored relative to its root, so that the same file has the
// same stored path whatever the working directory and whichever folder of
// the repository was named.
type Source struct {
	// Name is the repository's source name (incidents.source_name).
	Name string
	// Root is the absolute path of the repository's root on this machine:
	// the top folder of the git checkout holding Dir, else Dir itself.
	Root string
	// Dir is the folder read, as it prefixes the records' paths.
	Dir string
	// Folder is Dir relative to Root, slash-separated: "." for the root.
	Folder string
}

// check reports a source an import or a prune cannot use.
func (s Source) check() error {
	switch {
	case s.Name == "":
		return errors.New("the source name is empty")
	case !filepath.IsAbs(s.Root):
		return errors.New("the source root is not an absolute path: " + s.Root)
	case s.Folder == "" || path.IsAbs(s.Folder) || s.Folder == ".." || strings.HasPrefix(s.Folder, "../"):
		return errors.New("the folder is not a path inside the source root: " + s.Folder)
	}
	return nil
}

// StoredPath is the path from the root of the record file read as p (a
// path under Dir): what source_path holds.
func (s Source) StoredPath(p string) string {
	return path.Join(s.Folder, s.fromDir(p))
}

// fromDir is p, a path under Dir, relative to Dir.
func (s Source) fromDir(p string) string {
	if dir := path.Clean(s.Dir); dir != "." {
		return strings.TrimPrefix(p, dir+"/")
	}
	return p
}

// InFolder returns a stored path relative to Folder, and false when the
// file is outside it.
func (s Source) InFolder(stored string) (string, bool) {
	if s.Folder == "." {
		return stored, true
	}
	return strings.CutPrefix(stored, s.Folder+"/")
}

// ReadPath is a stored path as the records read are named (under Dir)
// when it is in Folder, else the file's absolute path under Root.
func (s Source) ReadPath(stored string) string {
	if rel, ok := s.InFolder(stored); ok {
		return path.Join(s.Dir, rel)
	}
	return filepath.Join(s.Root, filepath.FromSlash(stored))
}

// ShownPath is a stored path as the user names it: ReadPath for a path
// stored from the repository's root (root, where it was imported from, is
// set), or as it was stored for a path stored before migration 0010.
func (s Source) ShownPath(stored, root string) string {
	if root == "" {
		return stored
	}
	return s.ReadPath(stored)
}
