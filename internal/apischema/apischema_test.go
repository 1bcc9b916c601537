package apischema

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestChecksAtOnce: a fake API checks the requests it answers in
// parallel; under -race, checks of one document from several goroutines
// must not race (the schema compiler they share is not safe for it).
func TestChecksAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.schema.json")
	doc := `{"$defs": {"n": {"type": "integer"}, "s": {"type": "string"}}}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	s := LoadJSON(t, path)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			def, good, bad := "n", "7", `"7"`
			if i%2 == 1 {
				def, good, bad = "s", `"7"`, "7"
			}
			if err := s.Check(def, []byte(good)); err != nil {
				t.Errorf("%s refused %s: %v", def, good, err)
			}
			if err := s.Check(def, []byte(bad)); err == nil {
				t.Errorf("%s took %s", def, bad)
			}
		})
	}
	wg.Wait()
}
