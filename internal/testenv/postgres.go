package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Postgres is a real PostgreSQL server (Debian's postgresql package) in a
// temporary folder, listening on loopback, for one test package.
type Postgres struct {
	bin, dir string
	Port     int
	// URL is a pgx connection string for the superuser.
	URL string
}

// StartPostgres initialises a cluster in a temporary folder and starts it.
// PostgreSQL refuses to run as root, so the server runs as the `postgres`
// user that the package creates when the tests run as root. It is stopped
// when the test ends.
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("PostgreSQL is not installed (scripts/test installs Debian's postgresql package)")
	}
	dir, err := os.MkdirTemp("", "postmortem-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		account, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(account.Uid)
		gid, _ := strconv.Atoi(account.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := strings.Cut(FreeAddr(t), ":")
	p := &Postgres{bin: filepath.Dir(bins[len(bins)-1]), dir: dir}
	p.Port, _ = strconv.Atoi(port)
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
	p.run(t, "initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	p.Start(t)
	t.Cleanup(func() { p.stop() })
	return p
}

func (p *Postgres) data() string { return filepath.Join(p.dir, "data") }

// command runs a PostgreSQL program, as the postgres user when the tests
// run as root (PostgreSQL refuses to run as root).
func (p *Postgres) command(program string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, program)
	if os.Geteuid() != 0 {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
}

// run runs a PostgreSQL program and fails the test if it fails.
func (p *Postgres) run(t testing.TB, program string, args ...string) {
	t.Helper()
	cmd := p.command(program, args...)
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", program, strings.Join(args, " "), err, out)
	}
}

// Start starts the server (again) and waits until it accepts connections.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", p.Port, p.dir)
	p.run(t, "pg_ctl", "-D", p.data(), "-o", opts, "-l", filepath.Join(p.dir, "server.log"), "-w", "-t", "60", "start")
}

// Stop stops the server; Start brings it back with the same data.
func (p *Postgres) Stop(t testing.TB) {
	t.Helper()
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

func (p *Postgres) stop() error {
	cmd := p.command("pg_ctl", "-D", p.data(), "-m", "fast", "-w", "stop")
	if out, err := cmd.CombinedOutput(); err != nil && !strings.Contains(string(out), "is the server running") {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}
