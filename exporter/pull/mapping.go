package pull

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// MappedFields are the record fields whose value the mapping file
// translates from a source's words.
var MappedFields = []string{"severity", "team", "origin", "detection", "resolution", "status"}

// Mapping is the mapping file (--mapping.file, docs/pull.md): per source,
// how its words become the taxonomy's values.
type Mapping map[string]SourceMapping

// SourceMapping is one source's part of the mapping file.
type SourceMapping struct {
	// Values maps, per field of MappedFields, a source value (compared
	// without case and surrounding spaces) to the record's value.
	Values map[string]map[string]string
	// Defaults are the values written for a field the source leaves
	// empty (origin: unknown), each with a finding until a person
	// completes it.
	Defaults map[string]string
	// Fields name the record field of a source's own field names (a
	// table key, a custom field): "Root cause type": origin.
	Fields map[string]string
}

// mappingFile is one source's part as the file spells it.
type mappingFile struct {
	Severity   map[string]string `yaml:"severity"`
	Team       map[string]string `yaml:"team"`
	Origin     map[string]string `yaml:"origin"`
	Detection  map[string]string `yaml:"detection"`
	Resolution map[string]string `yaml:"resolution"`
	Status     map[string]string `yaml:"status"`
	Defaults   map[string]string `yaml:"defaults"`
	Fields     map[string]string `yaml:"fields"`
}

// Sources are the names a mapping file may have parts for.
var Sources = []string{"incidentio", "pagerduty", "confluence", "gdocs", "document"}

// LoadMapping reads a mapping file; an empty path gives no mapping (every
// source value must then already be the taxonomy's).
func LoadMapping(path string) (Mapping, error) {
	if path == "" {
		return Mapping{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping file: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("mapping file %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping reads a mapping file's YAML: a part per source name, each
// with the maps of MappedFields, defaults and fields. Unknown keys, a
// source value given twice (without case) and a field name outside the
// record's are errors.
func ParseMapping(data []byte) (Mapping, error) {
	var parts map[string]mappingFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&parts); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	m := Mapping{}
	for _, source := range sortedKeys(parts) {
		if !slices.Contains(Sources, source) {
			return nil, fmt.Errorf("%s: unknown source (known: %s)", source, strings.Join(Sources, ", "))
		}
		part := parts[source]
		sm := SourceMapping{Values: map[string]map[string]string{}, Defaults: map[string]string{}, Fields: map[string]string{}}
		for field, values := range map[string]map[string]string{
			"severity": part.Severity, "team": part.Team, "origin": part.Origin,
			"detection": part.Detection, "resolution": part.Resolution, "status": part.Status,
		} {
			folded, err := foldKeys(values)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", source, field, err)
			}
			sm.Values[field] = folded
		}
		for field, value := range part.Defaults {
			if !slices.Contains(MappedFields, field) {
				return nil, fmt.Errorf("%s.defaults.%s: not a mapped field (%s)", source, field, strings.Join(MappedFields, ", "))
			}
			sm.Defaults[field] = value
		}
		fields, err := foldKeys(part.Fields)
		if err != nil {
			return nil, fmt.Errorf("%s.fields: %w", source, err)
		}
		for key, field := range fields {
			if !slices.Contains(FieldOrder, field) && !strings.HasPrefix(field, "custom.") {
				return nil, fmt.Errorf("%s.fields[%q]: %q is not a record field (nor custom.NAME)", source, key, field)
			}
		}
		sm.Fields = fields
		m[source] = sm
	}
	return m, nil
}

// For returns the part of source (empty when the file has none).
func (m Mapping) For(source string) SourceMapping {
	sm, ok := m[source]
	if !ok {
		return SourceMapping{}
	}
	return sm
}

// Field returns the record field a source's own field name stands for:
// the mapping's, else the name itself lower-cased with spaces and hyphens
// for underscores ("Started at" is started_at). ok is false when neither
// is a record field.
func (sm SourceMapping) Field(name string) (field string, ok bool) {
	key := Fold(name)
	if f, found := sm.Fields[key]; found {
		return f, true
	}
	f := strings.NewReplacer(" ", "_", "-", "_").Replace(key)
	return f, slices.Contains(FieldOrder, f)
}

// translate returns the record value of a source's word for field, and
// false when the mapping has none.
func (sm SourceMapping) translate(field, word string) (string, bool) {
	v, ok := sm.Values[field][Fold(word)]
	return v, ok
}

// Fold is how source words and names are compared: without case or
// surrounding spaces, inner runs of spaces as one.
func Fold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func foldKeys(in map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(in))
	for _, k := range sortedKeys(in) {
		f := Fold(k)
		if _, dup := out[f]; dup {
			return nil, fmt.Errorf("%q given twice (keys are compared without case)", k)
		}
		out[f] = in[k]
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
