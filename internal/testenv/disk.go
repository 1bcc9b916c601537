package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// inNamespace marks the run of a test that SmallDisk started inside its
// own user and mount namespaces.
const inNamespace = "POSTMORTEM_TESTENV_IN_NAMESPACE"

// SmallDisk mounts a tmpfs of the given size (e.g. "64k") on a new folder
// and returns its path; it is unmounted when the test ends. Mounting needs
// root: run as another user, SmallDisk runs the test again inside
// `unshare --user --map-root-user --mount`, where it is root of its own
// namespaces, fails the test when that run fails, and returns "": the
// caller then returns at once, the test having run in the namespaces.
func SmallDisk(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv(inNamespace) != "" {
			t.Fatal("not root inside the namespace unshare made")
		}
		rerunAsNamespaceRoot(t)
		return ""
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Fatalf("mount a tmpfs of %s on %s: %v", size, dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// rerunAsNamespaceRoot runs the current test alone, in a new user and
// mount namespace where the test process is root.
func rerunAsNamespaceRoot(t *testing.T) {
	t.Helper()
	unshare := RequireCommand(t, "unshare")
	levels := strings.Split(t.Name(), "/")
	for i, l := range levels {
		levels[i] = "^" + regexp.QuoteMeta(l) + "$"
	}
	cmd := exec.Command(unshare, "--user", "--map-root-user", "--mount", os.Args[0],
		"-test.run="+strings.Join(levels, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), inNamespace+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test run as root of its own namespaces failed (%v):\n%s", err, out)
	}
}

// FillDisk writes a file into dir until the file system holding it is
// full, so that the next write there fails with "no space left on device".
func FillDisk(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 512)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", dir, err)
			}
			return
		}
	}
}

// ListFiles returns the files under dir, relative with '/', in walk
// order: a test sees that no temporary file was left behind.
func ListFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// FolderContents returns every file under dir (hidden ones included)
// with its content, in walk order: a test compares it before and after a
// run that must leave the folder as it was.
func FolderContents(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	for _, name := range ListFiles(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("== " + name + "\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String()
}
