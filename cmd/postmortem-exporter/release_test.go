package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"debug/elf"
	"debug/pe"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestReleaseScript runs scripts/release as CI does, for this machine's
// target and one cross target, windows/amd64: the target whose code
// differs most (renameio, which the atomic writes use elsewhere, does not
// build there; the old code failed this test on it). Both archives are
// listed in SHA256SUMS, which `sha256sum -c` verifies; the native binary
// is static and its --version and postmortem_exporter_build_info show the
// version given, the checkout's revision and branch and the build date;
// the windows binary is an amd64 executable. A release builds every
// target with scripts/release alone.
func TestReleaseScript(t *testing.T) {
	root := testenv.ModuleRoot(t)
	sha256sum := testenv.RequireCommand(t, "sha256sum")
	const cross = "windows/amd64"
	const version = "9.8.7-rc.1"
	out := t.TempDir()
	before := time.Now().UTC().Truncate(time.Second)
	run := exec.Command(filepath.Join(root, "scripts", "release"), "--version", version, "--targets", "native,"+cross, "--out", out)
	run.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=") // the build date is now
	if output, err := run.CombinedOutput(); err != nil {
		t.Fatalf("scripts/release: %v\n%s", err, output)
	}
	revision := gitOutput(t, root, "rev-parse", "HEAD")
	branch := gitOutput(t, root, "rev-parse", "--abbrev-ref", "HEAD")

	native := "postmortem-exporter-" + version + "." + runtime.GOOS + "-" + runtime.GOARCH
	crossName := "postmortem-exporter-" + version + "." + strings.ReplaceAll(cross, "/", "-")
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for line := range strings.Lines(string(sums)) {
		if fields := strings.Fields(line); len(fields) == 2 {
			listed = append(listed, fields[1])
		}
	}
	slices.Sort(listed)
	want := []string{crossName + ".zip", native + ".tar.gz"}
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("SHA256SUMS lists %q, want %q:\n%s", listed, want, sums)
	}
	check := exec.Command(sha256sum, "-c", "SHA256SUMS")
	check.Dir = out
	if output, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c SHA256SUMS: %v\n%s", err, output)
	}

	dir := t.TempDir()
	docs := []string{"CHANGELOG.md", "LICENSE", "NOTICE", "README.md"}
	for archive, want := range map[string][]string{
		native + ".tar.gz": append(slices.Clone(docs), "postmortem-exporter"),
		crossName + ".zip": append(slices.Clone(docs), "postmortem-exporter.exe"),
	} {
		files := extract(t, filepath.Join(out, archive), dir)
		top := strings.TrimSuffix(strings.TrimSuffix(archive, ".zip"), ".tar.gz")
		if !slices.Equal(files[top], want) {
			t.Errorf("%s holds %q in %s/, want %q", archive, files[top], top, want)
		}
	}
	bin := filepath.Join(dir, native, "postmortem-exporter")
	assertStaticELF(t, bin)
	exe, err := pe.Open(filepath.Join(dir, crossName, "postmortem-exporter.exe"))
	if err != nil {
		t.Fatalf("%s: %v", crossName, err)
	}
	if exe.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("%s: machine %#x, want amd64", crossName, exe.Machine)
	}
	exe.Close()

	printed, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", native, err, printed)
	}
	wantLine := "postmortem-exporter, version " + version + " (branch: " + branch + ", revision: " + revision + ")"
	if !strings.Contains(string(printed), wantLine) {
		t.Errorf("--version printed\n%s\nwant the line %q", printed, wantLine)
	}
	// promu's date format, between the start of the build and now.
	const dateFormat = "20060102-15:04:05"
	_, dateText, _ := strings.Cut(string(printed), "build date:")
	date, err := time.Parse(dateFormat, strings.TrimSpace(strings.SplitN(dateText, "\n", 2)[0]))
	if err != nil || date.Before(before) || date.After(time.Now()) {
		t.Errorf("--version build date: %v (%v); want a %s time between %s and now", date, err, dateFormat, before)
	}

	addr := testenv.FreeAddr(t)
	testenv.Start(t, nil, bin, "serve", "--web.listen-address="+addr)
	testenv.WaitHTTP(t, "http://"+addr+"/-/ready", 30*time.Second)
	metrics := testenv.Get(t, "http://"+addr+"/metrics")
	info := `postmortem_exporter_build_info{branch="` + branch + `",builddate="` + date.Format(dateFormat) +
		`",goarch="` + runtime.GOARCH + `",goos="` + runtime.GOOS + `",goversion="` + runtime.Version() +
		`",revision="` + revision + `",tags="unknown",version="` + version + `"} 1`
	if !strings.Contains(metrics, info) {
		t.Errorf("/metrics lacks\n%s\n%s", info, grepLines(metrics, "postmortem_exporter_build_info"))
	}
}

// gitOutput runs git in dir and returns its output, trimmed.
func gitOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// extract unpacks a .tar.gz or .zip under dir and returns the names of
// the files of each top folder, sorted.
func extract(t *testing.T, archive, dir string) map[string][]string {
	t.Helper()
	files := map[string][]string{}
	add := func(name string, mode os.FileMode, r io.Reader) {
		top, rest, _ := strings.Cut(name, "/")
		files[top] = append(files[top], rest)
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatalf("%s: %s: %v", archive, name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if strings.HasSuffix(archive, ".zip") {
		z, err := zip.OpenReader(archive)
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		defer z.Close()
		for _, f := range z.File {
			if f.FileInfo().IsDir() {
				continue
			}
			r, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %s: %v", archive, f.Name, err)
			}
			add(f.Name, 0o644, r)
			r.Close()
		}
	} else {
		f, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		tr := tar.NewReader(gz)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", archive, err)
			}
			if h.Typeflag == tar.TypeReg {
				add(h.Name, h.FileInfo().Mode(), tr)
			}
		}
	}
	for _, names := range files {
		slices.Sort(names)
	}
	return files
}

// assertStaticELF fails unless path is an ELF executable with no program
// interpreter: statically linked, as CGO_ENABLED=0 builds it.
func assertStaticELF(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked (it has a program interpreter)", path)
		}
	}
}

// grepLines returns the lines of text that contain s.
func grepLines(text, s string) string {
	var lines []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "")
}
