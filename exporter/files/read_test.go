package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/refresh"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// recordText is a valid Markdown record with the given id and team.
func recordText(id, team string) string {
	return "---\n" + strings.Replace(strings.Replace(fields, "PM-1", id, 1), "team: a", "team: "+team, 1) + "---\n# Narrative\n"
}

// writeTree writes files under dir, creating their folders.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// problemsByPath indexes problems by their path relative to dir.
func problemsByPath(t *testing.T, dir string, problems []record.Problem) map[string]record.Problem {
	t.Helper()
	m := map[string]record.Problem{}
	for _, p := range problems {
		rel, err := filepath.Rel(dir, p.Path)
		if err != nil {
			t.Fatal(err)
		}
		m[rel] = p
	}
	return m
}

// slowFS delays opening the files whose name starts with "slow" while
// slow is set, as a hung network mount does.
type slowFS struct {
	fs.FS
	slow  *atomic.Bool
	delay time.Duration
}

func (s slowFS) Open(name string) (fs.File, error) {
	if s.slow.Load() && strings.HasPrefix(path.Base(name), "slow") {
		time.Sleep(s.delay)
	}
	return s.FS.Open(name)
}

// tax is the taxonomy of the sources of these tests, and defaultConfig
// their taxonomy and quality rules.
var (
	tax           = record.DefaultTaxonomy()
	defaultConfig = record.Config{Taxonomy: tax}
)

func testSource(fsys fs.FS, dir string) *Source {
	return &Source{FS: fsys, Dir: dir, Limits: record.DefaultLimits(), Logger: slog.New(slog.DiscardHandler), Options: snapshot.Options{
		Windows: []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}}, Severities: tax.Severities,
		TopServices: 10, OverdueItemsLimit: 100,
	}}
}

// TestSnapshotHonoursTimeout checks a refresh on a folder that is slow to
// read gives up at the refresh timeout, and the refresher keeps serving the
// last snapshot with the source reported down. Before the fix the file
// source ignored the context and took 3 × 2 s.
func TestSnapshotHonoursTimeout(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.md": recordText("PM-1", "a"), "slow-1.md": recordText("PM-2", "a"),
		"slow-2.md": recordText("PM-3", "a"), "slow-3.md": recordText("PM-4", "a"),
	})
	slow := &atomic.Bool{}
	src := testSource(slowFS{FS: os.DirFS(dir), slow: slow, delay: 2 * time.Second}, dir)
	now := func() time.Time { return time.Date(2026, time.January, 2, 0, 0, 0, 0, time.UTC) }
	refresher := refresh.New(refresh.Config{Source: src, Rules: defaultConfig, Timeout: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Now: now})
	if err := refresher.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	first, _ := refresher.Current()
	if first.Records != 4 {
		t.Fatalf("first refresh served %d records, want 4", first.Records)
	}

	slow.Store(true)
	start := time.Now()
	err := refresher.Refresh(t.Context())
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || elapsed > 1500*time.Millisecond {
		t.Fatalf("refresh on a slow folder: err %v after %v; want the deadline error at about 300ms", err, elapsed)
	}
	served, status := refresher.Current()
	if served != first || status.Up {
		t.Fatalf("after the timeout: snapshot kept %v, source up %v; want the first snapshot and up false", served == first, status.Up)
	}
}

// TestReadSkipsNamedPipes checks a named pipe named like a record is
// reported and never opened: opening it would block until a writer comes.
func TestReadSkipsNamedPipes(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "a")})
	for _, name := range []string{"pipe.md", "pipe.yaml"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	folder, err := ReadDir(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := problemsByPath(t, dir, folder.Problems)
	for _, name := range []string{"pipe.md", "pipe.yaml"} {
		if p := got[name]; p.Code != record.CodeReadError || p.Field != "file" || p.Message != "not a regular file (a named pipe): not read" {
			t.Errorf("%s: got %+v, want a read_error: not a regular file", name, p)
		}
	}
	if len(folder.Records) != 1 {
		t.Errorf("read %d records, want 1", len(folder.Records))
	}
}

// countingFS counts the bytes read from its files.
type countingFS struct {
	fs.FS
	read *atomic.Int64
}

func (c countingFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil || name == "." {
		return f, err
	}
	return countingFile{f, c.read}, nil
}

type countingFile struct {
	fs.File
	read *atomic.Int64
}

func (c countingFile) Read(p []byte) (int, error) {
	n, err := c.File.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// TestReadSizeLimit checks a file over the limit is reported as too large
// without being read, and a file at the limit is read.
func TestReadSizeLimit(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "a")})
	big, err := os.Create(filepath.Join(dir, "big.md"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(64 << 20); err != nil { // sparse: 64 MiB of NUL bytes
		t.Fatal(err)
	}
	big.Close()
	read := &atomic.Int64{}
	folder, err := Read(t.Context(), countingFS{os.DirFS(dir), read}, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := problemsByPath(t, dir, folder.Problems)["big.md"]
	if p.Code != record.CodeTooLarge || p.Field != "file" || !strings.Contains(p.Message, "64.0 MiB, larger than the limit of 4.0 MiB") {
		t.Errorf("big.md: got %+v, want too_large naming both sizes", p)
	}
	if n := read.Load(); n != int64(len(recordText("PM-1", "a"))) {
		t.Errorf("read %d bytes, want only a.md's %d", n, len(recordText("PM-1", "a")))
	}

	// The limit is inclusive: a.md is exactly its own size.
	limit := int64(len(recordText("PM-1", "a")))
	folder, err = Read(t.Context(), os.DirFS(dir), dir, Options{MaxFileSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	if len(folder.Records) != 1 || len(folder.Problems) != 1 {
		t.Errorf("with a limit of %d bytes: records %d, problems %v; want a.md read and big.md too large", limit, len(folder.Records), folder.Problems)
	}
}

// growingFS reports every file as 10 bytes long, as a file that grows
// between the size check and the read looks.
type growingFS struct{ fs.FS }

func (g growingFS) Open(name string) (fs.File, error) {
	f, err := g.FS.Open(name)
	if err != nil || name == "." {
		return f, err
	}
	return growingFile{f}, nil
}

type growingFile struct{ fs.File }

func (g growingFile) Stat() (fs.FileInfo, error) {
	info, err := g.File.Stat()
	return smallInfo{info}, err
}

type smallInfo struct{ fs.FileInfo }

func (smallInfo) Size() int64 { return 10 }

// TestReadStopsAtLimitWhenFileGrows checks the read itself stops one byte
// past the limit, whatever the size check saw.
func TestReadStopsAtLimitWhenFileGrows(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "a")})
	folder, err := Read(t.Context(), growingFS{os.DirFS(dir)}, dir, Options{MaxFileSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if p := problemsByPath(t, dir, folder.Problems)["a.md"]; p.Code != record.CodeTooLarge || !strings.Contains(p.Message, "larger than the limit of 100 bytes") {
		t.Errorf("got %+v, want too_large", p)
	}
}

// deniedFS refuses to open files named secret*, as chmod 000 does for
// anyone but root (the tests run as root).
type deniedFS struct{ fs.FS }

func (d deniedFS) Open(name string) (fs.File, error) {
	if strings.HasPrefix(path.Base(name), "secret") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

// TestReadUnreadableFile checks an unreadable file is a problem naming it,
// and the other records are still read.
func TestReadUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "a"), "secret.md": recordText("PM-2", "a")})
	folder, err := Read(t.Context(), deniedFS{os.DirFS(dir)}, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := problemsByPath(t, dir, folder.Problems)["secret.md"]
	if p.Code != record.CodeReadError || p.Field != "file" || p.Message != "cannot read: permission denied" || len(folder.Records) != 1 {
		t.Errorf("got %+v and %d records, want read_error 'cannot read: permission denied' and a.md read", p, len(folder.Records))
	}
}

// TestReadSymlinks checks symbolic links are never followed: a link inside
// the folder is listed as skipped (its target is read once, under its own
// path), a link named like a record that leaves the folder, dangles or
// loops is a problem, and other links are ignored.
func TestReadSymlinks(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "records")
	writeTree(t, parent, map[string]string{
		"outside.md": recordText("PM-9", "a"), "LICENSE": "MIT\n",
		"records/a.md": recordText("PM-1", "a"), "records/sub/b.md": recordText("PM-2", "b"),
	})
	for link, target := range map[string]string{
		"inside.md": "a.md", "sub-link": "sub", "sub/up.md": "../a.md",
		"outside.md": "../outside.md", "absolute.md": filepath.Join(parent, "outside.md"),
		"broken.md": "gone.md", "loop-1.md": "loop-2.md", "loop-2.md": "loop-1.md",
		"LICENSE": "../LICENSE",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	folder, err := ReadDir(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range folder.Records {
		ids = append(ids, r.ID)
	}
	if strings.Join(ids, ",") != "PM-1,PM-2" {
		t.Errorf("records %v, want PM-1,PM-2 read once each", ids)
	}
	var skipped []string
	for _, s := range folder.Skipped {
		skipped = append(skipped, fmt.Sprintf("%s: %s", strings.TrimPrefix(s.Path, dir+"/"), s.Reason))
	}
	want := []string{
		"inside.md: symbolic link to " + dir + "/a.md, read under its own path",
		"sub-link: symbolic link to " + dir + "/sub, read under its own path",
		"sub/up.md: symbolic link to " + dir + "/a.md, read under its own path",
	}
	if strings.Join(skipped, "\n") != strings.Join(want, "\n") {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(skipped, "\n"), strings.Join(want, "\n"))
	}
	got := problemsByPath(t, dir, folder.Problems)
	for name, message := range map[string]string{
		"outside.md":  "symbolic link to ../outside.md, outside the folder: not followed",
		"absolute.md": "symbolic link to " + filepath.Join(parent, "outside.md") + ", outside the folder: not followed",
		"broken.md":   "broken symbolic link: gone.md does not exist",
		"loop-1.md":   "symbolic link loop: more than 40 links in a row",
		"loop-2.md":   "symbolic link loop: more than 40 links in a row",
	} {
		if p := got[name]; p.Code != record.CodeReadError || p.Field != "file" || p.Message != message {
			t.Errorf("%s: got %+v, want read_error %q", name, p, message)
		}
	}
	if len(got) != 5 {
		t.Errorf("problems %v, want the 5 links above only", folder.Problems)
	}
}

// TestParseContentLimits checks content that is not a record's text is a
// clear problem, and that hostile YAML costs little: yaml.v3 keeps aliases
// unexpanded in the node tree and stops at a nesting depth of 10,000, and
// a document over MaxDocumentSize is not parsed at all.
func TestParseContentLimits(t *testing.T) {
	laughs := "lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		laughs += fmt.Sprintf("lol%d: &lol%[1]d [%s]\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*lol%d, ", i-1), 9), ", "))
	}
	for _, tc := range []struct {
		name, text string
		line       int
		field      string
		code       record.Code
		message    string
	}{
		{"latin1.md", "---\n" + fields + "---\nCaf\xe9 outage\n", 0, "file", record.CodeMalformed, "not UTF-8 text (line 12)"},
		{"latin1.yaml", fields + "services: [caf\xe9]\n", 0, "file", record.CodeMalformed, "not UTF-8 text (line 10)"},
		{"binary.md", "---\n" + fields + "---\n\x00\x01\x02", 0, "file", record.CodeMalformed, fmt.Sprintf("binary content (a NUL byte at offset %d)", len("---\n"+fields+"---\n"))},
		{"conflict.md", "<<<<<<< HEAD\n---\n" + fields + "---\n=======\n>>>>>>> branch\n", 1, "file", record.CodeMalformed, "unresolved merge conflict"},
		{"conflict-inside.yaml", fields + "<<<<<<< ours\nservices: [a]\n=======\nservices: [b]\n>>>>>>> theirs\n", 10, "file", record.CodeMalformed, "unresolved merge conflict"},
		{"utf16.md", "\xff\xfe-\x00-\x00-\x00", 0, "file", record.CodeMalformed, "UTF-16 text"},
		{"huge.yaml", fields + "services: [" + strings.Repeat("s,", MaxDocumentSize/2) + "s]\n", 0, "document", record.CodeTooLarge,
			"64.2 KiB of fields, more than the 64.0 KiB a record may hold"}, // 158 bytes of fields + 11 ("services: [") + 65,536 + 3 ("s]\n") = 65,708 bytes = 64.17 KiB
		{"deep.yaml", fields + "impact: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n", 10, "document", record.CodeMalformed, "exceeded max depth of 10000"},
		{"laughs.yaml", laughs + strings.Replace(fields, "team: a", "team: *lol9", 1), 14, "team", record.CodeMalformed, "expected a string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, problems := Parse(tc.name, []byte(tc.text))
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			var got *record.Problem
			for i, p := range problems {
				if p.Field == tc.field {
					got = &problems[i]
				}
			}
			if got == nil || got.Line != tc.line || got.Code != tc.code || !strings.Contains(got.Message, tc.message) {
				t.Fatalf("got %v, want %d: %s: %s containing %q", problems, tc.line, tc.field, tc.code, tc.message)
			}
			// 16 MiB: a few times the text, far from the ~100x a full
			// parse of a large document costs.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 || elapsed > time.Second {
				t.Errorf("took %v and %d MiB", elapsed, alloc>>20)
			}
		})
	}
}

// TestReadCancelled checks a read whose context has ended reports the
// error, not a partial folder.
func TestReadCancelled(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": recordText("PM-1", "a")})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Read(ctx, os.DirFS(dir), dir, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestOptionsCheck checks malformed settings are refused.
func TestOptionsCheck(t *testing.T) {
	if err := (Options{Exclude: []string{"templates/**", "*.tmp"}}).Check(); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{Exclude: []string{"[a"}}, {MaxFileSize: -1}} {
		if err := o.Check(); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
