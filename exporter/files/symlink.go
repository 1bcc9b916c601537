package files

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// maxLinkHops is how many links in a row are followed before a chain is
// called a loop, as Linux's ELOOP does.
const maxLinkHops = 40

// symlink handles a symbolic link found in the folder. Links are never
// followed: a link to a file or folder inside the folder is listed as
// skipped (its target is read under its own path, and reading it twice
// would make its id a duplicate); a link named like a record that leaves
// the folder, dangles or loops is a problem. Other links are ignored.
func (f *Folder) symlink(fsys fs.FS, p, prefix string) {
	name := path.Join(prefix, p)
	target, info, err := resolveLink(fsys, p)
	switch {
	case err == nil && (info.IsDir() || kindOf(target) != notRecord):
		f.Skipped = append(f.Skipped, Skip{Path: name, Reason: fmt.Sprintf("symbolic link to %s, read under its own path", path.Join(prefix, target))})
	case err == nil || kindOf(p) == notRecord:
		f.Ignored = append(f.Ignored, name)
	default:
		f.problem(name, record.CodeReadError, "%s", err.Error())
	}
}

// resolveLink follows the link p, one hop at a time inside fsys, to what
// it finally names. It fails for a link that leaves fsys (absolute, or
// through ".."), dangles or loops.
func resolveLink(fsys fs.FS, p string) (string, fs.FileInfo, error) {
	links, ok := fsys.(fs.ReadLinkFS)
	if !ok {
		return "", nil, errors.New("symbolic link in a file system that cannot read links: not followed")
	}
	current := p
	for range maxLinkHops {
		raw, err := links.ReadLink(current)
		if err != nil {
			return "", nil, fmt.Errorf("symbolic link cannot be read: %s", pathErrorText(err))
		}
		next := path.Join(path.Dir(current), raw)
		if path.IsAbs(raw) || !fs.ValidPath(next) {
			return "", nil, fmt.Errorf("symbolic link to %s, outside the folder: not followed", raw)
		}
		info, err := links.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", nil, fmt.Errorf("broken symbolic link: %s does not exist", raw)
		case err != nil:
			return "", nil, fmt.Errorf("symbolic link to %s cannot be read: %s", raw, pathErrorText(err))
		case info.Mode()&fs.ModeSymlink == 0:
			return next, info, nil
		}
		current = next
	}
	return "", nil, fmt.Errorf("symbolic link loop: more than %d links in a row", maxLinkHops)
}
