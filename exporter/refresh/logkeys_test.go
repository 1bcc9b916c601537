package refresh

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// TestInvalidRecordLogLineHasUniqueKeys reads the JSON log line of an
// invalid record (what --log.format=json prints) key by key: a reader that
// decodes it into a map keeps only one value per key, so a key given twice
// loses the problem's message.
func TestInvalidRecordLogLineHasUniqueKeys(t *testing.T) {
	bad := record.Problem{Path: "a.md", Line: 3, Field: "severity", Code: record.CodeInvalidValue, Message: `unknown value "sev9"`}
	var logs bytes.Buffer
	src := &scriptedSource{steps: []func(time.Time) (*snapshot.Snapshot, error){withProblems(bad)}}
	r := New(Config{Source: src, Rules: defaultRules(), Timeout: time.Second,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: time.Now})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want the one invalid record:\n%s", len(lines), logs.String())
	}
	dup, err := testenv.DuplicateJSONKeys(lines[0])
	if err != nil || len(dup) > 0 {
		t.Fatalf("keys given more than once: %v (%v) in %s", dup, err, lines[0])
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &fields); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msg": "invalid record", "path": "a.md", "line": 3.0, "field": "severity",
		"reason": string(record.CodeInvalidValue), "detail": bad.Message}
	for k, v := range want {
		if fields[k] != v {
			t.Errorf("%s = %v, want %v", k, fields[k], v)
		}
	}
}
