package files

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

const (
	invalidDir   = "../../examples/invalid"
	validDir     = "../../examples/postmortems"
	expectedFile = "../../examples/invalid-expected.yaml"
)

// expectedProblem is one entry of examples/invalid-expected.yaml.
type expectedProblem struct {
	File  string      `yaml:"file"`
	Line  int         `yaml:"line"`
	Field string      `yaml:"field"`
	Code  record.Code `yaml:"code"`
}

// readYAMLList reads a YAML list of T from path.
func readYAMLList[T any](t *testing.T, path string) []T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list []T
	if err := yaml.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	return list
}

func loadExpected(t *testing.T) map[string]expectedProblem {
	t.Helper()
	byPath := map[string]expectedProblem{}
	for _, e := range readYAMLList[expectedProblem](t, expectedFile) {
		byPath[filepath.Join(invalidDir, e.File)] = e
	}
	return byPath
}

// TestInvalidExamples checks that each file of examples/invalid yields
// exactly its one expected problem, and that every problem is expected.
func TestInvalidExamples(t *testing.T) {
	expected := loadExpected(t)
	folder, err := Read(t.Context(), os.DirFS(invalidDir), invalidDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(invalidDir, "README.md"); len(folder.Skipped) != 1 || folder.Skipped[0].Path != want {
		t.Errorf("skipped %v, want only %s", folder.Skipped, want)
	}
	res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()})
	byPath := map[string][]record.Problem{}
	for _, p := range res.Problems {
		byPath[p.Path] = append(byPath[p.Path], p)
	}
	for path, want := range expected {
		got := byPath[path]
		if len(got) != 1 || got[0].Line != want.Line || got[0].Field != want.Field || got[0].Code != want.Code {
			t.Errorf("%s: got %v, want exactly %d: %s: %s", path, got, want.Line, want.Field, want.Code)
		}
	}
	for path, got := range byPath {
		if _, ok := expected[path]; !ok {
			t.Errorf("%s: unexpected problems %v", path, got)
		}
	}
	if len(expected) < 14 {
		t.Errorf("only %d invalid examples are checked", len(expected))
	}
}

// TestMixedFolder serves the valid, invalid and findings examples
// together: the valid records and those with findings are all served, and
// each invalid one is counted under its reason.
func TestMixedFolder(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{validDir, invalidDir, findingsDir} {
		if err := os.CopyFS(filepath.Join(dir, filepath.Base(src)), os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
	}
	valid, err := Read(t.Context(), os.DirFS(validDir), validDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tax := record.DefaultTaxonomy()
	src := &Source{FS: os.DirFS(dir), Dir: dir, Limits: record.DefaultLimits(), Options: snapshot.Options{
		Windows: []snapshot.Window{{Name: "365d", Length: 365 * 24 * time.Hour}}, Severities: tax.Severities,
		TopServices: 10, OverdueItemsLimit: 100,
	}, Logger: slog.New(slog.DiscardHandler)}
	s, err := src.Snapshot(t.Context(), time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC), record.Config{Taxonomy: tax})
	if err != nil {
		t.Fatal(err)
	}
	// The duplicate id's first file is valid and served too, and so are
	// the five records with findings.
	if want := len(valid.Records) + 1 + 5; s.Records != want {
		t.Errorf("served %d records, want %d", s.Records, want)
	}
	wantInvalid := map[record.Code]int{}
	for _, e := range loadExpected(t) {
		wantInvalid[e.Code]++
	}
	for _, code := range []record.Code{record.CodeTooLarge, record.CodeMalformed, record.CodeMissingField, record.CodeUnknownField, record.CodeInvalidValue,
		record.CodeInvalidTimestamp, record.CodeTimeOrder, record.CodeDuplicateID, record.CodeUnknownRelated,
		record.CodeImplausibleTime} {
		if got := s.InvalidCount(code); got != wantInvalid[code] {
			t.Errorf("invalid %s = %d, want %d", code, got, wantInvalid[code])
		}
	}
	if s.UnownedByTeam["search"] != 1 {
		t.Errorf("unowned items of search = %d, want 1 (examples/findings/action-item-without-owner.md)", s.UnownedByTeam["search"])
	}
}
