// Package apitest checks, in the connectors' tests, what a fake vendor API
// is sent and answers against a schema written from the vendor's published
// description: JSON Schema for requests and answers, a GraphQL schema for
// query documents and their variables. A fake that drifted from the
// documented API fails its test.
package apitest

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// JSONSchema compiles the JSON Schema in the file at path; a definition
// in it is named by ref ("#/$defs/issues" or "" for the whole document).
func JSONSchema(t testing.TB, path, ref string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	name := filepath.Base(path)
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time and date are checked, not only noted
	if err := c.AddResource(name, doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, err := c.Compile(name + ref)
	if err != nil {
		t.Fatalf("%s%s: %v", path, ref, err)
	}
	return s
}

// ValidateJSON checks a JSON document against s.
func ValidateJSON(s *jsonschema.Schema, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(doc)
}

// RequestOf returns r as a request schema sees it: method, path (as
// sent, still escaped), query parameters, and the values of the headers
// named (those it was sent).
func RequestOf(r *http.Request, headers ...string) map[string]any {
	query := map[string]any{}
	for k, vs := range r.URL.Query() {
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		query[k] = list
	}
	header := map[string]any{}
	for _, h := range headers {
		if v := r.Header.Get(h); v != "" {
			header[h] = v
		}
	}
	return map[string]any{"method": r.Method, "path": r.URL.EscapedPath(), "query": query, "header": header}
}

// GraphQLSchema loads the GraphQL schema (SDL) in the file at path.
func GraphQLSchema(t testing.TB, path string) *ast.Schema {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: filepath.Base(path), Input: string(data)})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// ValidateQuery checks a GraphQL query document against s, and its
// variables against the operation's variable definitions.
func ValidateQuery(s *ast.Schema, query string, variables map[string]any) error {
	doc, errs := gqlparser.LoadQuery(s, query)
	if len(errs) > 0 {
		return fmt.Errorf("query: %w", errs)
	}
	if len(doc.Operations) != 1 {
		return fmt.Errorf("query: %d operations, want one", len(doc.Operations))
	}
	if _, err := validator.VariableValues(s, doc.Operations[0], variables); err != nil {
		return fmt.Errorf("variables: %w", err)
	}
	var unused []string
	for name := range variables {
		if doc.Operations[0].VariableDefinitions.ForName(name) == nil {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return errors.New("variables not declared by the query: " + strings.Join(unused, ", "))
	}
	return nil
}
