package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// unitBinary is where deploy/systemd/postmortem-exporter.service runs the
// exporter from.
const unitBinary = "/usr/local/bin/postmortem-exporter"

// TestSystemdSocketActivation runs the command of
// deploy/systemd/postmortem-exporter.service under systemd-socket-activate,
// which listens on a port, starts the exporter on the first connection and
// hands it the listening socket, as systemd does with
// postmortem-exporter.socket. The metrics are scraped through that socket,
// and the --web.listen-address given is not opened. The old code
// hard-coded socket activation off and refused the flag.
func TestSystemdSocketActivation(t *testing.T) {
	activate := testenv.RequireCommand(t, "systemd-socket-activate")
	bin := testenv.BuildExporter(t)
	unit, err := os.ReadFile(filepath.Join(testenv.ModuleRoot(t), "deploy", "systemd", "postmortem-exporter.service"))
	if err != nil {
		t.Fatal(err)
	}
	execStart := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindSubmatch(unit)
	if execStart == nil {
		t.Fatal("postmortem-exporter.service has no ExecStart line")
	}
	command := strings.Fields(string(execStart[1]))
	if command[0] != unitBinary {
		t.Fatalf("the unit runs %s, want %s (the documented install path)", command[0], unitBinary)
	}
	socket, unused := testenv.FreeAddr(t), testenv.FreeAddr(t)
	args := append([]string{"--listen=" + socket, bin}, command[1:]...)
	p := testenv.Start(t, nil, activate, append(args, "--web.listen-address="+unused, "--refresh.interval=1h")...)

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

// TestSystemdUnitsVerify checks deploy/systemd with systemd-analyze: verify
// loads the socket, the service and its PostgreSQL drop-in as systemd
// would (an unknown or misspelt key is reported on stderr, which must stay
// empty), and the offline security review rates the service's hardening.
// The review scores 0 (fully locked down) to 10 (no hardening; a unit
// without its sandboxing lines scores 9.6). The unit scores 1.2 with
// systemd 252; without DynamicUser, NoNewPrivileges and
// ProtectSystem it scores 1.9, above the 1.5 this test allows.
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := testenv.RequireCommand(t, "systemd-analyze")
	bin := testenv.BuildExporter(t)
	// A copy whose ExecStart is the binary just built: verify checks that
	// the program exists.
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testenv.ModuleRoot(t), "deploy", "systemd"))); err != nil {
		t.Fatal(err)
	}
	service := filepath.Join(dir, "postmortem-exporter.service")
	unit, err := os.ReadFile(service)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(service, []byte(strings.ReplaceAll(string(unit), unitBinary, bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", "./postmortem-exporter.socket", "./postmortem-exporter.service"},
		{"security", "--offline=yes", "--threshold=15", "--no-pager", "./postmortem-exporter.service"},
	} {
		cmd := exec.Command(analyze, args...)
		cmd.Dir = dir
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("systemd-analyze %s: %v\n%s%s", strings.Join(args, " "), err, stderr.String(), stdout)
		}
	}
}
