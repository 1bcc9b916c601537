package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateWritesTheCommittedFiles runs `generate DIR` and compares what
// it wrote with the committed deploy/ folder.
func TestGenerateWritesTheCommittedFiles(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "generate", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	written := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		got, _ := os.ReadFile(path)
		want, err := os.ReadFile(filepath.Join("../../deploy", rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from deploy/%s (%v)", rel, rel, err)
		}
		written++
		return nil
	})
	if err != nil || written < 6 {
		t.Fatalf("wrote %d files (%v), want the 3 dashboards, the rules and the Alertmanager files", written, err)
	}
}
