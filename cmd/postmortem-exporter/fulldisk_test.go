package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestGenerateOnAFullDisk generates into a folder of a full tmpfs that
// holds the files of an earlier run: generate exits 2 naming the file it
// could not write, says it wrote nothing, and every earlier file is byte
// for byte as it was (the old code exited 0, printed "wrote" and left a
// 0-byte rules.yml). No temporary file is left behind.
func TestGenerateOnAFullDisk(t *testing.T) {
	disk := testenv.SmallDisk(t, "64k")
	if disk == "" {
		return // ran as root of its own namespaces
	}
	earlier := map[string]string{
		"prometheus/rules.yml":                 "groups: [] # the rules of an earlier run\n",
		"grafana/dashboards/overview.json":     `{"title": "an earlier overview"}`,
		"alertmanager/alertmanager.yml":        "route: {receiver: earlier}\n",
		"grafana/dashboards/action-items.json": `{"title": "earlier action items"}`,
	}
	for name, text := range earlier {
		path := filepath.Join(disk, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testenv.FillDisk(t, disk)

	code, stdout, stderr := runCLI(t, "generate", disk)
	if code != exitError || !strings.Contains(stderr, "no space left on device") || !strings.Contains(stderr, "write "+disk+"/") {
		t.Errorf("exit %d, stderr %q; want exit %d naming the file and the full disk", code, stderr, exitError)
	}
	if strings.Contains(stdout, "wrote") {
		t.Errorf("says it wrote files:\n%s", stdout)
	}
	for name, text := range earlier {
		if got, err := os.ReadFile(filepath.Join(disk, name)); err != nil || string(got) != text {
			t.Errorf("%s is now %q (%v), want the earlier %q", name, got, err, text)
		}
	}
	checkOnly(t, disk, len(earlier)+1) // and the filler
}

// TestReportOutputOnAFullDisk writes a report over an earlier one on a
// full tmpfs: report exits 2 naming the file, and the earlier report is
// intact (the old code truncated it, then removed it).
func TestReportOutputOnAFullDisk(t *testing.T) {
	disk := testenv.SmallDisk(t, "64k")
	if disk == "" {
		return // ran as root of its own namespaces
	}
	const earlier = "<html>the report of last week</html>\n"
	path := filepath.Join(disk, "report.html")
	if err := os.WriteFile(path, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.FillDisk(t, disk)

	code, _, stderr := runCLI(t, "report", "-o", path)
	if code != exitError || !strings.Contains(stderr, "write "+path+": ") || !strings.Contains(stderr, "no space left on device") {
		t.Errorf("exit %d, stderr %q; want exit %d naming %s and the full disk", code, stderr, exitError, path)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != earlier {
		t.Errorf("the earlier report is now %q (%v), want %q", got, err, earlier)
	}
	checkOnly(t, disk, 2) // the report and the filler
}

// checkOnly fails when dir holds other than n files: a temporary file
// was left behind.
func checkOnly(t *testing.T, dir string, n int) {
	t.Helper()
	if found := testenv.ListFiles(t, dir); len(found) != n {
		t.Errorf("%s holds %d files, want %d: %s", dir, len(found), n, strings.Join(found, ", "))
	}
}
