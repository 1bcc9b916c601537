package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/internal/pullfake"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// The pull benchmark's organisation: Google Docs, whose pull asks one
// request a document, in a folder listed 100 a page.
const (
	benchDocuments     = 10000
	benchSequentialOf  = 200 // documents of the sequential pull, for its rate
	benchLatency       = 50 * time.Millisecond
	benchLimit         = 60 * time.Second
	benchDocsPerList   = 100
	benchDriveToken    = "ya29.bench-token"
	benchDocumentBytes = 2 << 10
)

// BenchmarkPullGDocs pulls 10,000 Google Docs from a fake Drive that
// answers each request after 50 ms, with the real binary and the default
// --pull.concurrency, and fails beyond 60 s; then a sequential pull
// (--pull.concurrency=1) of 200 of them in the same run gives the rate
// one request at a time reaches. It reports both times, the sequential
// pull's time for 10,000 at its rate, and each pull's peak RSS.
func BenchmarkPullGDocs(b *testing.B) {
	exporter := testenv.BuildExporter(b)
	all, sample := benchFolder(b, benchDocuments), benchFolder(b, benchSequentialOf)
	for range b.N {
		wall, rss := benchPull(b, exporter, all)
		if wall > benchLimit {
			b.Errorf("%d documents pulled in %s, want under %s", benchDocuments, wall.Round(time.Second), benchLimit)
		}
		seqWall, seqRSS := benchPull(b, exporter, sample, "--pull.concurrency=1")
		b.ReportMetric(wall.Seconds(), "pull_10000_s")
		b.ReportMetric(float64(rss)/1024, "pull_peak_rss_MiB")
		b.ReportMetric(seqWall.Seconds(), fmt.Sprintf("sequential_%d_s", benchSequentialOf))
		b.ReportMetric(seqWall.Seconds()*benchDocuments/benchSequentialOf, "sequential_10000_s_at_its_rate")
		b.ReportMetric(float64(seqRSS)/1024, "sequential_peak_rss_MiB")
	}
}

// benchPull runs one pull of the folder served from fixtures into a new
// folder and returns its wall time and peak RSS in KiB.
func benchPull(b *testing.B, exporter, fixtures string, args ...string) (time.Duration, int64) {
	b.Helper()
	url := pullfake.Drive(b, pullfake.Options{Dir: fixtures, Schema: driveSchema, Token: benchDriveToken, Latency: benchLatency})
	cmd := exec.Command(exporter, append([]string{"pull", "--from=gdocs", "--to=" + b.TempDir(),
		"--gdocs.url=" + url, "--gdocs.folder=postmortems"}, args...)...)
	cmd.Env = append(os.Environ(), "POSTMORTEM_GDOCS_TOKEN="+benchDriveToken)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("pull: %v\n%s", err, out)
	}
	return time.Since(start), cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
}

// benchFolder writes the Drive fixtures of n documents (list pages of
// 100 and one HTML export each, a key/value table and a narrative of
// about 2 KiB) and returns their folder.
func benchFolder(b testing.TB, n int) string {
	b.Helper()
	dir := b.TempDir()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for page := 0; page*benchDocsPerList < n; page++ {
		var files []map[string]any
		for i := page * benchDocsPerList; i < min(n, (page+1)*benchDocsPerList); i++ {
			id := fmt.Sprintf("doc-%05d", i)
			started := start.Add(time.Duration(i) * 17 * time.Minute)
			files = append(files, map[string]any{"kind": "drive#file", "id": id, "name": "Incident " + id,
				"mimeType": "application/vnd.google-apps.document", "modifiedTime": started.Add(time.Hour).Format(time.RFC3339),
				"webViewLink": "https://docs.google.com/document/d/" + id + "/edit", "trashed": false})
			doc := fmt.Sprintf("<html><body><table><tbody><tr><td>ID</td><td>PM-%05d</td></tr><tr><td>Severity</td><td>sev%d</td></tr>"+
				"<tr><td>Team</td><td>team-%d</td></tr><tr><td>Started at</td><td>%s</td></tr><tr><td>Detected at</td><td>%s</td></tr>"+
				"<tr><td>Origin</td><td>unknown</td></tr><tr><td>Detection</td><td>automated</td></tr><tr><td>Status</td><td>draft</td></tr></tbody></table>",
				i, i%4+1, i%200, started.Format(time.RFC3339), started.Add(5*time.Minute).Format(time.RFC3339))
			for len(doc) < benchDocumentBytes {
				doc += "<p>The queue backed up, the consumers stalled, and the on-call engineer drained it by hand.</p>"
			}
			if err := os.WriteFile(filepath.Join(dir, id+".html"), []byte(doc+"</body></html>"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		list := map[string]any{"kind": "drive#fileList", "files": files}
		if (page+1)*benchDocsPerList < n {
			list["nextPageToken"] = fmt.Sprintf("page-%d-token", page+2)
		}
		data, err := json.Marshal(list)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("list-%d.json", page+1)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}
