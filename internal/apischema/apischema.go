// Package apischema checks what the tests' fake third-party APIs answer,
// and what the connectors send them, against schemas written from the
// vendors' published API descriptions: JSON Schema documents (their
// definitions under $defs) and GraphQL schema documents.
package apischema

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// JSON is a compiled JSON Schema document. Its checks may run at once
// (a fake API answers requests concurrently); the compiler may not, so it
// compiles each definition once, under mu.
type JSON struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	name     string
	compiled map[string]*jsonschema.Schema
}

// LoadJSON reads the JSON Schema document at path.
func LoadJSON(t testing.TB, path string) *JSON {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	name := filepath.Base(path)
	if err := c.AddResource(name, doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &JSON{compiler: c, name: name, compiled: map[string]*jsonschema.Schema{}}
}

// Check returns why data (JSON text) does not match the definition def
// of the document (a name under $defs), nil when it does.
func (s *JSON) Check(def string, data []byte) error {
	schema, err := s.definition(def)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		return err
	}
	return schema.Validate(v)
}

// definition returns the compiled definition def.
func (s *JSON) definition(def string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if schema, ok := s.compiled[def]; ok {
		return schema, nil
	}
	schema, err := s.compiler.Compile(s.name + "#/$defs/" + def)
	if err == nil {
		s.compiled[def] = schema
	}
	return schema, err
}

// Value is Check of a Go value, as encoding/json writes it.
func (s *JSON) Value(def string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Check(def, data)
}

// LoadGraphQL reads the GraphQL schema document at path.
func LoadGraphQL(t testing.TB, path string) *ast.Schema {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(path), Input: string(text)})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return schema
}

// Query validates a GraphQL request (its one operation and the
// variables' values) against schema and returns the operation.
func Query(schema *ast.Schema, query string, variables map[string]any) (*ast.OperationDefinition, error) {
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		return nil, errs
	}
	if len(doc.Operations) != 1 {
		return nil, fmt.Errorf("a request holds one operation, this one %d", len(doc.Operations))
	}
	op := doc.Operations[0]
	if _, err := validator.VariableValues(schema, op, variables); err != nil {
		return nil, err
	}
	return op, nil
}
