package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/config"
	"github.com/postmortem-exporter/postmortem-exporter/internal/redact"
)

// envSourceName is the variable --source.name overrides.
const envSourceName = config.EnvPrefix + "SOURCE_NAME"

// sourceNameFlag registers import's --source.name, which overrides
// POSTMORTEM_SOURCE_NAME. The environment is read after parsing, never
// as a flag default, so that --help does not print a URL a token may be
// in. The returned function gives the source name of dir once flags are
// parsed, with a note when the default could not be read from git.
func sourceNameFlag(cmd *kingpin.CmdClause, environ map[string]string) func(dir string) (name, note string) {
	help := "Name of the repository the folder is, stored with each incident: import never overwrites an incident imported from another name, and --prune deletes only incidents of this name. Default: the URL of the git remote 'origin' of the repository holding the folder (credentials removed), else the folder's absolute path. Env: " + envSourceName + "."
	if environ[envSourceName] != "" {
		help += " (now set from " + envSourceName + ")"
	}
	flag := cmd.Flag("source.name", help).PlaceHolder("NAME").String()
	return func(dir string) (string, string) {
		for _, given := range []string{*flag, environ[envSourceName]} {
			if given = strings.TrimSpace(given); given != "" {
				return redact.WithoutCredentials(given), ""
			}
		}
		return defaultSourceName(dir)
	}
}

// defaultSourceName is the URL of the origin remote of the git repository
// holding dir, without credentials, or else dir's absolute path; note
// says why a repository found gave no name.
func defaultSourceName(dir string) (name, note string) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return filepath.Clean(dir), ""
	}
	origin, err := gitOrigin(abs)
	switch {
	case err != nil:
		return abs, fmt.Sprintf("source name: %v; the folder's path is used", err)
	case origin != "":
		return redact.WithoutCredentials(origin), ""
	}
	return abs, ""
}

// gitOrigin returns the URL of the remote "origin" of the git repository
// holding dir (an absolute path), or "" when dir is in no repository or
// the repository has no origin. A linked worktree's or a submodule's
// `.git` file is followed to the repository's configuration.
func gitOrigin(dir string) (string, error) {
	gitDir, err := findGitDir(dir)
	if err != nil || gitDir == "" {
		return "", err
	}
	// A linked worktree's git directory names, in commondir, the one that
	// holds the configuration.
	configDir := gitDir
	if common, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
		configDir = relativeTo(gitDir, strings.TrimSpace(string(common)))
	}
	text, err := os.ReadFile(filepath.Join(configDir, "config"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("git configuration: %w", err)
	}
	return gitRemoteURL(string(text), "origin"), nil
}

// findGitDir returns the git directory of the repository holding dir,
// looking in dir and each folder above it, or "" when there is none.
func findGitDir(dir string) (string, error) {
	top, err := gitTop(dir)
	if err != nil || top == "" {
		return "", err
	}
	dotGit := filepath.Join(top, ".git")
	info, err := os.Stat(dotGit)
	switch {
	case err != nil:
		return "", fmt.Errorf("git: %w", err)
	case info.IsDir():
		return dotGit, nil
	}
	// "gitdir: <path>" of a worktree or a submodule
	text, err := os.ReadFile(dotGit)
	if err != nil {
		return "", fmt.Errorf("git: %w", err)
	}
	target, ok := strings.CutPrefix(strings.TrimSpace(string(text)), "gitdir:")
	if !ok {
		return "", fmt.Errorf("git: %s does not say `gitdir: <path>`", dotGit)
	}
	return relativeTo(top, strings.TrimSpace(target)), nil
}

// gitTop returns the top folder of the git checkout holding dir (an
// absolute path): dir or the first folder above it that holds a `.git`
// folder or file (a linked worktree's, a submodule's), or "" when none
// does.
func gitTop(dir string) (string, error) {
	for {
		_, err := os.Stat(filepath.Join(dir, ".git"))
		switch {
		case err == nil:
			return dir, nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("git: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// sourceRoot returns the root of the repository holding dir, the folder
// paths are stored relative to (docs/postgres.md, "Paths and pruning"):
// the top of its git checkout, else dir itself; and dir relative to it,
// slash-separated. Links are resolved first, so that a folder named
// through a link is placed in the repository that holds it.
func sourceRoot(dir string) (root, folder string, err error) {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", "", fmt.Errorf("the repository of %s: %w", dir, err)
	}
	root, err = gitTop(abs)
	if err != nil {
		return "", "", fmt.Errorf("the repository of %s: %w", dir, err)
	}
	if root == "" {
		return abs, ".", nil
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return "", "", fmt.Errorf("the repository of %s: %w", dir, err)
	}
	return root, filepath.ToSlash(rel), nil
}

// relativeTo resolves path against base unless it is absolute.
func relativeTo(base, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(base, path)
}

// gitRemoteURL returns the first url of [remote "name"] in the text of a
// git configuration file, or "". It reads git's syntax as far as a
// remote's url needs it: case-insensitive section and key names, both
// subsection forms, quotes, escapes and comments; includes and
// url.<base>.insteadOf are not followed.
func gitRemoteURL(text, name string) string {
	want := "remote\x00" + name
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			header, rest, ok := strings.Cut(line[1:], "]")
			if !ok {
				section = ""
				continue
			}
			section = gitSection(header)
			line = strings.TrimSpace(rest) // a key may follow on the same line
		}
		key, value, ok := strings.Cut(line, "=")
		if section == want && ok && strings.EqualFold(strings.TrimSpace(key), "url") {
			return gitValue(value)
		}
	}
	return ""
}

// gitSection normalizes a section header: `remote "origin"` and the old
// `remote.origin` both give "remote\x00origin".
func gitSection(header string) string {
	header = strings.TrimSpace(header)
	if name, sub, ok := strings.Cut(header, " "); ok {
		sub = strings.TrimSpace(sub)
		sub = strings.TrimSuffix(strings.TrimPrefix(sub, `"`), `"`)
		sub = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(sub)
		return strings.ToLower(name) + "\x00" + sub
	}
	if name, sub, ok := strings.Cut(header, "."); ok {
		return strings.ToLower(name) + "\x00" + strings.ToLower(sub)
	}
	return strings.ToLower(header)
}

// gitValue decodes a value: quotes removed, escapes resolved, a comment
// outside quotes dropped, surrounding blanks trimmed.
func gitValue(raw string) string {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			quoted = !quoted
		case c == '\\' && i+1 < len(raw):
			i++
			switch e := raw[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e)
			}
		case !quoted && (c == '#' || c == ';'):
			return strings.TrimSpace(b.String())
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
