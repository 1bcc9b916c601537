package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestSystemdSocketActivation runs serve under systemd-socket-activate,
// which listens on a port, starts the exporter on the first connection and
// hands it the listening socket, as systemd does with
// deploy/systemd/postmortem-exporter.socket. The metrics are scraped
// through that socket, and the --web.listen-address given is not opened.
// The old code hard-coded socket activation off and refused the flag.
func TestSystemdSocketActivation(t *testing.T) {
	activate := testenv.RequireCommand(t, "systemd-socket-activate")
	bin := testenv.BuildExporter(t)
	socket, unused := testenv.FreeAddr(t), testenv.FreeAddr(t)
	p := testenv.Start(t, nil, activate, "--listen="+socket, bin,
		"serve", "--web.systemd-socket", "--web.listen-address="+unused, "--refresh.interval=1h")

	// The first connection starts the exporter: poll /-/ready, failing at
	// once if the exporter exits (the old code: unknown flag).
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + socket + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-p.Exited():
			t.Fatalf("the exporter exited with code %d before serving on the activated socket:\n%s", p.ExitCode(), p.Output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready on the activated socket %s after 60s: %v", socket, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	metrics := testenv.Get(t, "http://"+socket+"/metrics")
	for _, want := range []string{"postmortem_exporter_build_info{", `postmortem_exporter_collector_success{collector="incidents"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics through the activated socket lacks %q", want)
		}
	}
	if !strings.Contains(p.Output(), "Listening on systemd activated listeners") {
		t.Errorf("the exporter did not log that it serves the systemd sockets:\n%s", p.Output())
	}
	if c, err := net.DialTimeout("tcp", unused, time.Second); err == nil {
		c.Close()
		t.Errorf("--web.listen-address=%s is open too; socket activation should serve only the sockets systemd passes", unused)
	}
}
