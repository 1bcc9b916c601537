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

var build struct {
	once sync.Once
	path string
	err  error
}

// BuildExporter builds the postmortem-exporter binary once per test process
// and returns its path.
func BuildExporter(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "postmortem-exporter-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "postmortem-exporter")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/postmortem-exporter")
		cmd.Dir = ModuleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// Process is a program started for a test and stopped when it ends.
type Process struct {
	Cmd    *exec.Cmd
	output *syncBuffer
}

// Output returns what the program wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.output.String() }

// Start runs a program until the test ends; its output is logged if the
// test fails.
func Start(t testing.TB, env []string, name string, args ...string) *Process {
	t.Helper()
	p := &Process{Cmd: exec.Command(name, args...), output: &syncBuffer{}}
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.output, p.output
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = p.Cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = p.Cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = p.Cmd.Process.Kill()
			<-exited
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
	addr := FreeAddr(t)
	args = append([]string{"serve", "--web.listen-address=" + addr}, args...)
	e := &Exporter{Process: Start(t, env, BuildExporter(t), args...), Addr: addr}
	WaitHTTP(t, "http://"+addr+"/-/ready", 30*time.Second)
	return e
}

// Scrape returns the exporter's metrics page.
func (e *Exporter) Scrape(t testing.TB) string {
	t.Helper()
	return Get(t, "http://"+e.Addr+"/metrics")
}

// Get fetches a URL and fails the test unless it answers 200.
func Get(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, err %v: %s", url, resp.StatusCode, err, body)
	}
	return string(body)
}

// WaitHTTP waits until url answers 200.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for ctx.Err() == nil {
		resp, err := http.Get(url)
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
