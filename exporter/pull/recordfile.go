package pull

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// recordFile is a record file as pull reads and writes it: the front
// matter's fields (their order as read, for the fields pull does not
// know) and the narrative below.
type recordFile struct {
	keys   []string
	values map[string]*yaml.Node
	body   string
}

func newRecordFile() *recordFile { return &recordFile{values: map[string]*yaml.Node{}} }

// parseRecordFile reads a Markdown record: front matter between '---'
// lines, then the narrative.
func parseRecordFile(data []byte) (*recordFile, error) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return nil, errors.New("no front matter (the file does not start with a '---' line)")
	}
	var front, body string
	if end := strings.Index("\n"+rest, "\n---\n"); end >= 0 {
		front, body = rest[:end], rest[end+len("---\n"):]
	} else if strings.HasSuffix(rest, "\n---") || rest == "---" {
		front = strings.TrimSuffix(strings.TrimSuffix(rest, "---"), "\n")
	} else {
		return nil, errors.New("front matter has no closing '---' line")
	}
	f := newRecordFile()
	f.body = body
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(front), &doc); err != nil {
		return nil, fmt.Errorf("front matter: %w", err)
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, errors.New("front matter is not a mapping of fields")
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if _, dup := f.values[k]; dup {
			return nil, fmt.Errorf("front matter: field %s given twice", k)
		}
		f.keys = append(f.keys, k)
		f.values[k] = m.Content[i+1]
	}
	return f, nil
}

// set sets a field, or removes it when v is nil.
func (f *recordFile) set(key string, v *yaml.Node) {
	if v == nil {
		delete(f.values, key)
		f.keys = slices.DeleteFunc(f.keys, func(k string) bool { return k == key })
		return
	}
	if _, ok := f.values[key]; !ok {
		f.keys = append(f.keys, key)
	}
	f.values[key] = v
}

// render writes the file: the fields of FieldOrder in that order, then
// the others in the order they were read, then the narrative.
func (f *recordFile) render() ([]byte, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string) {
		if v, ok := f.values[k]; ok {
			m.Content = append(m.Content, scalar(k), v)
		}
	}
	for _, k := range FieldOrder {
		add(k)
	}
	for _, k := range f.keys {
		if !slices.Contains(FieldOrder, k) {
			add(k)
		}
	}
	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	buf.WriteString("---\n")
	buf.WriteString(f.body)
	return buf.Bytes(), nil
}

// scalar is a plain string node.
func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// toNode turns a source value (Incident.Fields' types) into a YAML node;
// nil for an empty value.
func toNode(v any) (*yaml.Node, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return scalar(v), nil
	case time.Time:
		if v.IsZero() {
			return nil, nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: v.UTC().Format(time.RFC3339)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}, nil
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}, nil
	case []string:
		if len(v) == 0 {
			return nil, nil
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range v {
			seq.Content = append(seq.Content, scalar(s))
		}
		return seq, nil
	case map[string]any:
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range sortedKeys(v) {
			n, err := toNode(v[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if n != nil {
				m.Content = append(m.Content, scalar(k), n)
			}
		}
		if len(m.Content) == 0 {
			return nil, nil
		}
		return m, nil
	}
	return nil, fmt.Errorf("a value of type %T cannot be written", v)
}

// dateNode is a calendar day.
func dateNode(t time.Time) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: t.Format(time.DateOnly)}
}

// canon is the form a value is compared and remembered in: its YAML with
// times in UTC, so that a person's `2026-05-20 16:02:00+02:00` equals
// the pull's 2026-05-20T14:02:00Z; "" for no value.
func canon(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return "!" + n.Value
	}
	v = utcTimes(v)
	out, err := yaml.Marshal(v)
	if err != nil {
		return "!" + n.Value
	}
	return strings.TrimSuffix(string(out), "\n")
}

func utcTimes(v any) any {
	switch v := v.(type) {
	case time.Time:
		return v.UTC()
	case []any:
		for i := range v {
			v[i] = utcTimes(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = utcTimes(v[k])
		}
	}
	return v
}

// textHash is the canonical form of a narrative: its hash.
func textHash(s string) string {
	if s == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
