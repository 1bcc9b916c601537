package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestEditInFlightServed breaks a record under a running exporter: its last
// valid version keeps MTTR where it was and is counted as stale, while
// validate (which has no memory) fails on the same folder; fixing the file
// clears the stale count.
func TestEditInFlightServed(t *testing.T) {
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-2", "sev1", "payments", 24*time.Hour, 3*time.Hour)
	e := testenv.StartExporter(t, nil, "--source.dir="+dir, "--refresh.interval=1h")
	hup := func() {
		t.Helper()
		if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	mttr := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricMTTR, map[string]string{"window": "30d", "severity": "sev1"})
	}
	stale := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricRecordsStale, map[string]string{"source": "files"})
	}
	invalid := func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricRecordsInvalid, map[string]string{"source": "files", "reason": "malformed"})
	}
	waitValue(t, "mttr", 7200, mttr) // (1h + 3h) / 2
	waitValue(t, "stale", 0, stale)

	pm2 := filepath.Join(dir, "PM-2.md")
	if err := os.WriteFile(pm2, []byte("---\nid: PM-2\ntitle: half saved\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	waitValue(t, "malformed records", 1, invalid)
	waitValue(t, "stale", 1, stale)
	waitValue(t, "mttr with PM-2's last valid version", 7200, mttr)
	if code, stdout, _ := runCLI(t, "validate", dir); code != exitInvalid {
		t.Errorf("validate on the broken folder: exit %d, want %d\n%s", code, exitInvalid, stdout)
	}

	writeIncident(t, dir, "PM-2", "sev1", "payments", 24*time.Hour, 5*time.Hour) // fixed, and edited
	hup()
	waitValue(t, "stale after the fix", 0, stale)
	waitValue(t, "mttr after the fix", 10800, mttr) // (1h + 5h) / 2
}
