package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// killDocs is how many documents the fake Drive folder holds.
const killDocs = 5

// fakeFolder is a Drive folder of killDocs documents whose severity is
// sev (changed between the pulls); once block is set, the export of the
// last document hangs and tells blocked.
type fakeFolder struct {
	sev     atomic.Value
	block   atomic.Bool
	blocked chan struct{}
}

func (f *fakeFolder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/drive/v3/files" {
		// Two pages: the documents of the first are emitted to the
		// writer before the last one is asked for.
		first, last, next := 1, killDocs-1, `, "nextPageToken": "p2"`
		if r.URL.Query().Get("pageToken") == "p2" {
			first, last, next = killDocs, killDocs, ""
		}
		var files []string
		for i := first; i <= last; i++ {
			files = append(files, fmt.Sprintf(`{"id": "doc-%d", "name": "Doc %d", "mimeType": "application/vnd.google-apps.document", "modifiedTime": "2026-06-0%dT10:00:00Z"}`, i, i, i))
		}
		fmt.Fprintf(w, `{"files": [%s]%s}`, strings.Join(files, ","), next)
		return
	}
	if f.block.Load() && strings.Contains(r.URL.Path, fmt.Sprintf("doc-%d/", killDocs)) {
		close(f.blocked)
		<-r.Context().Done()
		return
	}
	fmt.Fprintf(w, `<table><tr><td>Severity</td><td>%s</td></tr><tr><td>Team</td><td>core</td></tr></table><p>Body.</p>`, f.sev.Load())
}

// TestPullKilledHalfWay kills the real binary with SIGKILL while it
// reads the folder's documents for a pull that would change every
// record, after the first four reached the writer: every file stays as
// the first pull wrote it, state included, and no temporary file is
// left.
func TestPullKilledHalfWay(t *testing.T) {
	f := &fakeFolder{blocked: make(chan struct{})}
	f.sev.Store("sev3")
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	env := []string{"POSTMORTEM_GDOCS_TOKEN=t0ken"}
	args := []string{"pull", "--from=gdocs", "--to=" + dir, "--gdocs.url=" + srv.URL, "--gdocs.folder=f", "--full"}
	bin := testenv.BuildExporter(t)
	if code := testenv.Start(t, env, bin, args...).WaitExit(t, time.Minute); code != exitOK {
		t.Fatalf("first pull: exit %d", code)
	}
	before := testenv.FolderContents(t, dir)
	if !strings.Contains(before, "severity: sev3") || strings.Count(before, "== gdocs-doc-") != killDocs {
		t.Fatalf("first pull wrote:\n%s", before)
	}

	f.sev.Store("sev2")
	f.block.Store(true)
	p := testenv.Start(t, env, bin, args...)
	select {
	case <-f.blocked:
	case <-p.Exited():
		t.Fatalf("the pull ended (exit %d) before the last export\n%s", p.ExitCode(), p.Output())
	case <-time.After(time.Minute):
		t.Fatal("the last export was never asked for")
	}
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if after := testenv.FolderContents(t, dir); after != before {
		t.Errorf("the killed pull changed the folder:\n%s\nwas:\n%s", after, before)
	}
}
