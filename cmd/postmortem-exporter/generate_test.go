package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	// The same rules and dashboards as Kubernetes objects, for clusters
	// without the chart.
	for _, name := range []string{"kubernetes/prometheusrule.yaml", "kubernetes/dashboards.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not written: %v", name, err)
		}
	}
}

// runCLIEnv runs the command line with the given environment.
func runCLIEnv(t *testing.T, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, environ, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestGenerateFollowsTheServeSettings generates for a deployment with its
// own windows, period, quality file, job and thresholds, given as
// serve's environment variable and flags: the files must use them, not
// the defaults.
func TestGenerateFollowsTheServeSettings(t *testing.T) {
	dir := t.TempDir()
	quality := filepath.Join(t.TempDir(), "quality.yaml")
	if err := os.WriteFile(quality, []byte("published_late: {severity: warning, max_days: 4}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLIEnv(t, map[string]string{"POSTMORTEM_WINDOWS": "7d,28d"}, "generate", "--periods=week", "--mixin.job=incidents", "--mixin.team-overdue-items=9", "--quality.file="+quality, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	overview, trends, rules := read("grafana/dashboards/overview.json"), read("grafana/dashboards/trends.json"), read("prometheus/rules.yml")
	for _, c := range []struct{ file, text, want string }{
		{overview, `"query": "7d,28d"`, "the windows as $window's values"},
		{overview, `"text": "incidents"`, "the job as $job's default"},
		{trends, `trends per week`, "the period in the title"},
		{rules, `{window="7d"} > ignoring (window) (1.5 * window:postmortem_time_to_recover_seconds:mean{window="28d"})`, "the MTTR regression between the shortest and longest window"},
		{rules, `postmortem_action_items_overdue{job="incidents"})) > 9`, "the job and the team threshold"},
		{rules, `> 4 * 86400`, "the quality file's published_late limit in the unpublished alert"},
	} {
		if !strings.Contains(c.file, c.text) {
			t.Errorf("want %s: %q not found", c.want, c.text)
		}
	}
	if strings.Contains(overview+rules, "365d") {
		t.Error("a default window is left in the files")
	}

	// A setting serve would reject is rejected here too.
	if code, _, stderr := runCLIEnv(t, map[string]string{"POSTMORTEM_WINDOWS": "7d,soon"}, "generate", t.TempDir()); code != exitError || !strings.Contains(stderr, `"soon"`) {
		t.Errorf("bad window: exit %d, %s", code, stderr)
	}
}
