// Package testenv starts the real components the tests run against: the
// exporter binary, Prometheus and its tools. A missing component fails the
// test loudly; scripts/test installs them.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireCommand returns the path of an installed program or fails the test.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (scripts/test installs it with apt-get): %v", name, err)
	}
	return path
}

// FreeAddr returns a loopback address with a port nobody listens on.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ModuleRoot returns the folder holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// binary is a program built once per test process.
type binary struct {
	once sync.Once
	path string
	err  error
}

var exporterBinary, exporterRaceBinary binary

// BuildExporter builds the postmortem-exporter binary once per test process
// and returns its path.
func BuildExporter(t testing.TB) string {
	t.Helper()
	return exporterBinary.build(t, "./cmd/postmortem-exporter")
}

// BuildExporterRace builds the postmortem-exporter binary with the race
// detector once per test process and returns its path. StartExporterWith
// runs it with Race set, so that a data race fails the test.
func BuildExporterRace(t testing.TB) string {
	t.Helper()
	return exporterRaceBinary.build(t, "./cmd/postmortem-exporter", "-race")
}

// BuildProgram builds the package at pkg (relative to the module root) with
// the extra go build flags and returns the binary's path.
func BuildProgram(t testing.TB, pkg string, flags ...string) string {
	t.Helper()
	var b binary
	return b.build(t, pkg, flags...)
}

func (b *binary) build(t testing.TB, pkg string, flags ...string) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "postmortem-exporter-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", b.path, pkg)...)
		cmd.Dir = ModuleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s %s: %v\n%s", strings.Join(flags, " "), pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// Process is a program started for a test and stopped when it ends.
type Process struct {
	Cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
}

// Output returns what the program wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.output.String() }

// Exited is closed once the program has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitCode returns the program's exit code once it has exited (-1 when a
// signal killed it), and -2 while it runs.
func (p *Process) ExitCode() int {
	select {
	case <-p.exited:
		return p.Cmd.ProcessState.ExitCode()
	default:
		return -2
	}
}

// WaitExit waits until the program exits and returns its exit code, or
// fails the test after timeout.
func (p *Process) WaitExit(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("%s still running after %s", filepath.Base(p.Cmd.Path), timeout)
		return -2
	}
}

// Start runs a program until the test ends; its output is logged if the
// test fails.
func Start(t testing.TB, env []string, name string, args ...string) *Process {
	t.Helper()
	p := &Process{Cmd: exec.Command(name, args...), output: &syncBuffer{}, exited: make(chan struct{})}
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.output, p.output
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.Cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.Cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.Cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(name), p.Output())
		}
	})
	return p
}

// Exporter is a running postmortem-exporter.
type Exporter struct {
	*Process
	Addr string // host:port
}

// StartExporter runs the built exporter on a free loopback port with the
// given extra arguments and waits until it is ready.
func StartExporter(t testing.TB, env []string, args ...string) *Exporter {
	t.Helper()
	return StartExporterWith(t, ExporterOptions{Env: env, Args: args})
}

// ExporterOptions shape StartExporterWith.
type ExporterOptions struct {
	Env  []string // extra environment variables
	Args []string // extra arguments of serve
	// Race runs the binary built with -race. The race detector then stops
	// the exporter at the first data race (GORACE=halt_on_error=1), and a
	// race report in its output fails the test when it ends.
	Race bool
	// ReadyURL and Client are how to wait for readiness: by default
	// http://ADDR/-/ready with http.DefaultClient. A secured exporter
	// needs https and a client with the CA and the credentials.
	ReadyURL func(addr string) string
	Client   *http.Client
}

// StartExporterWith runs the exporter (serve) on a free loopback port and
// waits until it is ready.
func StartExporterWith(t testing.TB, opts ExporterOptions) *Exporter {
	t.Helper()
	addr := FreeAddr(t)
	args := append([]string{"serve", "--web.listen-address=" + addr}, opts.Args...)
	bin, env := BuildExporter(t), opts.Env
	if opts.Race {
		bin, env = BuildExporterRace(t), append([]string{"GORACE=halt_on_error=1"}, env...)
	}
	var p *Process
	if opts.Race {
		// Registered before Start's own cleanup, so it runs after the
		// exporter has stopped and written everything.
		t.Cleanup(func() {
			if err := RaceReported(p); err != nil {
				t.Error(err)
			}
		})
	}
	p = Start(t, env, bin, args...)
	e := &Exporter{Process: p, Addr: addr}
	readyURL, client := "http://"+addr+"/-/ready", http.DefaultClient
	if opts.ReadyURL != nil {
		readyURL = opts.ReadyURL(addr)
	}
	if opts.Client != nil {
		client = opts.Client
	}
	WaitHTTPClient(t, client, readyURL, 60*time.Second)
	return e
}

// RaceReported returns an error when a program built with -race reported a
// data race: a report in its output, or the race detector's exit code 66.
func RaceReported(p *Process) error {
	if p == nil {
		return nil
	}
	if n := strings.Count(p.Output(), "WARNING: DATA RACE"); n > 0 {
		return fmt.Errorf("%s reported %d data race(s); its output:\n%s", filepath.Base(p.Cmd.Path), n, p.Output())
	}
	if p.ExitCode() == raceExitCode {
		return fmt.Errorf("%s exited with the race detector's exit code %d", filepath.Base(p.Cmd.Path), raceExitCode)
	}
	return nil
}

// raceExitCode is the race detector's default GORACE exitcode.
const raceExitCode = 66

// Scrape returns the exporter's metrics page.
func (e *Exporter) Scrape(t testing.TB) string {
	t.Helper()
	return Get(t, "http://"+e.Addr+"/metrics")
}

// Get fetches a URL and fails the test unless it answers 200.
func Get(t testing.TB, url string) string {
	t.Helper()
	code, body := Fetch(t, http.DefaultClient, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, code, body)
	}
	return body
}

// Fetch fetches a URL with client and returns the status code and body,
// failing the test only when there is no answer.
func Fetch(t testing.TB, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read the body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// WaitHTTP waits until url answers 200.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	WaitHTTPClient(t, http.DefaultClient, url, timeout)
}

// WaitHTTPClient waits until url answers 200 to client.
func WaitHTTPClient(t testing.TB, client *http.Client, url string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %s: %s", url, timeout, last)
}

// Eventually retries check until it returns nil or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
