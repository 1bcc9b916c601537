package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Taxonomy lists the values the enum fields of a record may take.
type Taxonomy struct {
	Severities  []string `yaml:"severities"`
	Origins     []string `yaml:"origins"`
	Resolutions []string `yaml:"resolutions"`
	Detections  []string `yaml:"detections"`
}

// DefaultTaxonomy is the taxonomy of DESIGN.md.
func DefaultTaxonomy() Taxonomy {
	return Taxonomy{
		Severities:  []string{"sev1", "sev2", "sev3", "sev4"},
		Origins:     []string{"code_change", "config_change", "infrastructure", "external_dependency", "unknown"},
		Resolutions: []string{"rollback", "fix_forward", "scaling", "config_change", "other"},
		Detections:  []string{"automated", "internal", "customer"},
	}
}

// LoadTaxonomy reads a taxonomy YAML file (see ParseTaxonomy); an empty
// path gives the default taxonomy.
func LoadTaxonomy(path string) (Taxonomy, error) {
	return loadFile(path, "taxonomy", DefaultTaxonomy, ParseTaxonomy)
}

// loadFile reads the configuration file at path with parse, naming the
// file (what it holds, and its path) in every error; an empty path gives
// none().
func loadFile[T any](path, what string, none func() T, parse func([]byte) (T, error)) (T, error) {
	var zero T
	if path == "" {
		return none(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("read %s: %w", what, err)
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return v, nil
}

// ParseTaxonomy reads a taxonomy from YAML. Lists it leaves out keep their
// defaults; an empty document, unknown keys, empty lists and values, and
// duplicates are errors.
func ParseTaxonomy(data []byte) (Taxonomy, error) {
	t := DefaultTaxonomy()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); errors.Is(err, io.EOF) {
		return Taxonomy{}, errors.New("empty: give at least one of severities, origins, resolutions, detections")
	} else if err != nil {
		return Taxonomy{}, err
	}
	if err := t.check(); err != nil {
		return Taxonomy{}, err
	}
	return t, nil
}

func (t Taxonomy) check() error {
	var errs []error
	for _, l := range []struct {
		name   string
		values []string
	}{{"severities", t.Severities}, {"origins", t.Origins}, {"resolutions", t.Resolutions}, {"detections", t.Detections}} {
		if len(l.values) == 0 {
			errs = append(errs, fmt.Errorf("%s: must list at least one value", l.name))
		}
		for i, v := range l.values {
			switch {
			case v == "":
				errs = append(errs, fmt.Errorf("%s[%d]: empty value", l.name, i))
			case strings.TrimSpace(v) != v:
				errs = append(errs, fmt.Errorf("%s[%d]: %q has blanks around it: records' values are read without them, so none would match", l.name, i, v))
			case !utf8.ValidString(v):
				errs = append(errs, fmt.Errorf("%s[%d]: %q is not UTF-8", l.name, i, v))
			}
			if slices.Index(l.values, v) != i {
				errs = append(errs, fmt.Errorf("%s[%d]: %q listed twice", l.name, i, v))
			}
		}
	}
	return errors.Join(errs...)
}
