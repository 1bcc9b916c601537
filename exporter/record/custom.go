package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Bounds of a record's custom fields: the fields an incident tool knows
// and the record does not (docs/records.md, "Custom fields").
const (
	MaxCustomFields      = 50   // keys per record
	MaxCustomKeyLength   = 64   // bytes of a key
	MaxCustomValueLength = 1024 // bytes of a value
)

// custom reads the custom fields: a mapping of keys to scalars (a
// string, a number or a bool). An entry that breaks a rule is a
// field_invalid finding and is left out; the others are kept.
func (d *decoder) custom(v *yaml.Node) map[string]any {
	if v.Kind != yaml.MappingNode {
		d.add(v, "custom", CodeMalformed, "expected a mapping of names to strings, numbers or bools, got %s", kindName(v))
		return nil
	}
	if n := len(v.Content) / 2; n > MaxCustomFields {
		d.add(v, "custom", CodeTooMany, "%d entries, more than the limit of %d", n, MaxCustomFields)
		return nil
	}
	out := map[string]any{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, n := v.Content[i], v.Content[i+1]
		field := "custom." + keyText(k.Value)
		if k.Kind != yaml.ScalarNode {
			d.add(k, "custom.key", CodeMalformed, "a custom field name must be a string, got %s", kindName(k))
			continue
		}
		d.rec.SetLine(field, k.Line+d.offset)
		if err := CheckCustomKey(k.Value); err != nil {
			d.add(k, field, CodeInvalidValue, "%v", err)
			continue
		}
		if _, dup := out[k.Value]; dup {
			d.add(k, field, CodeMalformed, "field given twice")
			continue
		}
		value, err := customValue(n)
		if err != nil {
			d.add(n, field, CodeInvalidValue, "%v", err)
			continue
		}
		out[k.Value] = value
	}
	if len(out) == 0 {
		return nil // custom: {} is no custom field, as the database reads it back
	}
	return out
}

// CheckCustomKey says what is wrong with a custom field's name, nil when
// nothing is.
func CheckCustomKey(key string) error {
	switch {
	case strings.TrimSpace(key) == "":
		return errors.New("empty custom field name")
	case len(key) > MaxCustomKeyLength:
		return fmt.Errorf("name of %d bytes, longer than the limit of %d", len(key), MaxCustomKeyLength)
	}
	if c, ok := refusedRune(key); ok {
		return fmt.Errorf("name holds %U, a control or formatting character: remove it", c)
	}
	return nil
}

// customValue converts a scalar node: a bool, a number (json.Number in
// its canonical form) or a string of at most MaxCustomValueLength bytes
// with no control character but newline and tab.
func customValue(n *yaml.Node) (any, error) {
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("expected a string, a number or a bool, got %s", kindName(n))
	}
	switch n.ShortTag() {
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("expected true or false, got %q", n.Value)
		}
		return b, nil
	case "!!null":
		return nil, errors.New("expected a string, a number or a bool, got null: leave the field out")
	case "!!int", "!!float":
		var i int64
		if n.ShortTag() == "!!int" && n.Decode(&i) == nil { // else beyond int64: a float
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		var f float64
		if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("expected a finite number, got %q", n.Value)
		}
		return floatNumber(f), nil
	}
	return customText(n.Value)
}

// customText checks a custom string value and returns it.
func customText(s string) (any, error) {
	if len(s) > MaxCustomValueLength {
		return nil, fmt.Errorf("%d bytes, longer than the limit of %d", len(s), MaxCustomValueLength)
	}
	if i := strings.IndexFunc(s, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\t' }); i >= 0 {
		return nil, fmt.Errorf("holds %U, a control character: remove it", []rune(s[i:])[0])
	}
	return s, nil
}

// floatNumber is a number that is not an int64 as records keep it,
// whatever its spelling (1.50, 1e3): a whole number within int64 in
// decimal, any other in Go's shortest form.
func floatNumber(f float64) json.Number {
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

// CustomLabel is a custom value as a label value and as the report shows
// it: a string as written, a number in its canonical form, a bool as
// true or false.
func CustomLabel(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return string(v)
	}
	return fmt.Sprint(v)
}

// CustomKeys are the keys of the custom fields in sorted order.
func (r *Record) CustomKeys() []string {
	keys := make([]string, 0, len(r.Custom))
	for k := range r.Custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CustomJSON is the custom fields as one JSON object with sorted keys,
// "" when there are none: the report's CSV column and the database's
// column.
func (r *Record) CustomJSON() string {
	if len(r.Custom) == 0 {
		return ""
	}
	b, err := json.Marshal(r.Custom) // sorts the keys; every value is a string, bool or json.Number
	if err != nil {
		return ""
	}
	return string(b)
}

// ParseCustomJSON reads custom fields written by CustomJSON (a JSON
// object of scalars), giving each value the form custom gives it.
func ParseCustomJSON(data []byte) (map[string]any, error) {
	if len(data) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("custom fields: %w", err)
	}
	if len(raw) == 0 {
		return nil, nil
	}
	for k, v := range raw {
		switch v := v.(type) {
		case string, bool:
		case json.Number:
			if i, err := v.Int64(); err == nil {
				raw[k] = json.Number(strconv.FormatInt(i, 10))
				continue
			}
			f, err := v.Float64()
			if err != nil {
				return nil, fmt.Errorf("custom field %q: %w", k, err)
			}
			raw[k] = floatNumber(f)
		default:
			return nil, fmt.Errorf("custom field %q: not a string, number or bool", k)
		}
	}
	return raw, nil
}
