package refresh

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// scriptedSource returns its next snapshot or error on each refresh.
type scriptedSource struct {
	steps []func(asOf time.Time) (*snapshot.Snapshot, error)
}

func (s *scriptedSource) Name() string { return "files" }

func (s *scriptedSource) Snapshot(_ context.Context, asOf time.Time) (*snapshot.Snapshot, error) {
	step := s.steps[0]
	s.steps = s.steps[1:]
	return step(asOf)
}

func withProblems(problems ...record.Problem) func(time.Time) (*snapshot.Snapshot, error) {
	return func(asOf time.Time) (*snapshot.Snapshot, error) {
		return &snapshot.Snapshot{Source: "files", AsOf: asOf, Problems: problems}, nil
	}
}

func failing(time.Time) (*snapshot.Snapshot, error) { return nil, errors.New("folder is gone") }

func TestProblemsAreLoggedOnceAndFailuresKeepTheLastSnapshot(t *testing.T) {
	bad := record.Problem{Path: "a.md", Line: 3, Field: "severity", Code: record.CodeInvalidValue, Message: "unknown value"}
	other := record.Problem{Path: "b.md", Line: 1, Field: "front_matter", Code: record.CodeMalformed, Message: "no front matter"}
	src := &scriptedSource{steps: []func(time.Time) (*snapshot.Snapshot, error){
		withProblems(bad), withProblems(bad, other), failing, withProblems(bad),
	}}
	var logs bytes.Buffer
	r := New(src, time.Second, slog.New(slog.NewTextHandler(&logs, nil)), time.Now)
	if r.Ready() {
		t.Fatal("ready before the first refresh")
	}
	for i := 0; i < 2; i++ {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "path=a.md"); n != 1 {
		t.Fatalf("a.md logged %d times over two refreshes, want once:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "path=b.md"); n != 1 {
		t.Fatalf("b.md, new in the second refresh, logged %d times, want once", n)
	}
	good, _ := r.Current()

	if err := r.Refresh(context.Background()); err == nil {
		t.Fatal("the failing refresh returned no error")
	}
	snap, status := r.Current()
	if snap != good || status.Up || status.Errors != 1 || !r.Ready() {
		t.Fatalf("after a failure: same snapshot %v, up %v, errors %d; want the last good one, down, 1 error", snap == good, status.Up, status.Errors)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, status := r.Current(); !status.Up {
		t.Fatal("the source did not come back up")
	}
}
