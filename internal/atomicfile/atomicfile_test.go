package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestBatch: a batch whose second file fails leaves both targets as they
// were and no temporary file; a batch that succeeds replaces both, the
// new file with the permissions asked for and the old one with its own.
func TestBatch(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "rules.yml")
	if err := os.WriteFile(old, []byte("old rules"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "sub", "overview.json")

	var b Batch
	if err := b.AddBytes(old, 0o644, []byte("new rules")); err != nil {
		t.Fatal(err)
	}
	err := b.Add(fresh, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half a dashb") //nolint:errcheck // the failure below is the point
		return errors.New("disk full")
	})
	if err == nil || !strings.Contains(err.Error(), "write "+fresh+": disk full") {
		t.Errorf("error %v does not name %s", err, fresh)
	}
	b.Discard()
	if got, _ := os.ReadFile(old); string(got) != "old rules" {
		t.Errorf("after a failed batch rules.yml is %q", got)
	}
	checkFiles(t, dir, "rules.yml")

	b = Batch{}
	for _, f := range []struct{ path, text string }{{old, "new rules"}, {fresh, "{}"}} {
		if err := b.AddBytes(f.path, 0o644, []byte(f.text)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]struct {
		text string
		perm os.FileMode
	}{old: {"new rules", 0o600}, fresh: {"{}", 0o644 &^ umask(t)}} {
		got, _ := os.ReadFile(path)
		info, err := os.Stat(path)
		if err != nil || string(got) != want.text || info.Mode().Perm() != want.perm {
			t.Errorf("%s: %q, %v (%v); want %q, %v", path, got, info.Mode().Perm(), err, want.text, want.perm)
		}
	}
	checkFiles(t, dir, "rules.yml", "sub/overview.json")
}

// umask returns the process's umask, as a file created 0o777 shows it.
func umask(t *testing.T) os.FileMode {
	path := filepath.Join(t.TempDir(), "probe")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o777)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ info.Mode().Perm()
}

// checkFiles fails unless dir holds exactly the files named (relative,
// with '/'): no temporary file is left.
func checkFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := testenv.ListFiles(t, dir); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}
