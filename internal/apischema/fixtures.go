package apischema

import (
	"encoding/json"
	"os"
	"testing"
)

// Fixtures reads the JSON array at path and checks each of its elements
// against the definition def.
func (s *JSON) Fixtures(t testing.TB, path, def string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var all []json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for i, v := range all {
		if err := s.Check(def, v); err != nil {
			t.Fatalf("%s: element %d does not match %s: %v", path, i, def, err)
		}
	}
	return all
}
