package files

import (
	"os"
	"reflect"
	"testing"
	"time"
)

// sameExported compares the exported fields of two values, times by the
// instant they name.
func sameExported(a, b reflect.Value) bool {
	if t, ok := a.Interface().(time.Time); ok {
		return t.Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Pointer:
		return a.IsNil() == b.IsNil() && (a.IsNil() || sameExported(a.Elem(), b.Elem()))
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() && !sameExported(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !b.MapIndex(k).IsValid() || !sameExported(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Interface:
		return a.IsNil() == b.IsNil() && (a.IsNil() || sameExported(a.Elem(), b.Elem()))
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameExported(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return a.Interface() == b.Interface()
}

// TestFormatRoundTrip formats every bundled example and reads it back:
// every field comes back the same.
func TestFormatRoundTrip(t *testing.T) {
	folder, err := Read(t.Context(), os.DirFS(validDir), validDir, Options{})
	if err != nil || len(folder.Records) == 0 || len(folder.Problems) > 0 {
		t.Fatalf("examples: %v, problems %v", err, folder.Problems)
	}
	for _, r := range folder.Records {
		text, err := Format(r, "## Summary\n")
		if err != nil {
			t.Fatal(err)
		}
		back, problems := Parse(r.Path+".md", text)
		if len(problems) > 0 || back == nil {
			t.Fatalf("%s: %v\n%s", r.Path, problems, text)
		}
		back.Path, back.Line = r.Path, r.Line
		if !sameExported(reflect.ValueOf(r), reflect.ValueOf(back)) {
			t.Errorf("%s: read back differs:\n%+v\n%+v\n%s", r.Path, r, back, text)
		}
	}
}
