package testenv

import (
	"testing"
	"time"
)

// TestRaceReported runs a program with a data race, built and started the
// way StartExporterWith runs the exporter with Race set: the race detector
// stops it, and RaceReported, which fails those tests, reports it.
func TestRaceReported(t *testing.T) {
	bin := BuildProgram(t, "./internal/testenv/testdata/racy", "-race")
	p := Start(t, []string{"GORACE=halt_on_error=1"}, bin)
	if code := p.WaitExit(t, 30*time.Second); code != raceExitCode {
		t.Errorf("exit code %d, want the race detector's %d", code, raceExitCode)
	}
	if err := RaceReported(p); err == nil {
		t.Fatalf("the data race went unreported; output:\n%s", p.Output())
	}
}
