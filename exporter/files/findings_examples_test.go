package files

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

const (
	findingsDir      = "../../examples/findings"
	findingsExpected = "../../examples/findings-expected.yaml"
)

// expectedFinding is one entry of examples/findings-expected.yaml.
type expectedFinding struct {
	File     string          `yaml:"file"`
	Line     int             `yaml:"line"`
	Field    string          `yaml:"field"`
	Rule     string          `yaml:"rule"`
	Severity record.Severity `yaml:"severity"`
}

// TestFindingExamples checks that each file of examples/findings is a
// valid record (its incident core is sound) with exactly its expected
// finding: what used to make these records invalid is now a finding.
func TestFindingExamples(t *testing.T) {
	list := readYAMLList[expectedFinding](t, findingsExpected)
	folder, err := Read(t.Context(), os.DirFS(findingsDir), findingsDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := record.Check(folder.Records, folder.Problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: time.Now()})
	if len(res.Problems) != 0 || len(res.Valid) != len(list) {
		t.Fatalf("%d valid records of %d, core problems %v", len(res.Valid), len(list), res.Problems)
	}
	byPath := map[string][]record.Problem{}
	for _, f := range res.Findings {
		byPath[f.Path] = append(byPath[f.Path], f)
	}
	for _, want := range list {
		got := byPath[filepath.Join(findingsDir, want.File)]
		if len(got) != 1 || got[0].Line != want.Line || got[0].Field != want.Field || got[0].Rule != want.Rule || got[0].Severity != want.Severity {
			t.Errorf("%s: got %v, want exactly %d: %s: %s: %s", want.File, got, want.Line, want.Field, want.Severity, want.Rule)
		}
	}
}
