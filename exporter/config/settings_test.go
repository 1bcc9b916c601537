package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestEveryVariableHasASetting: each variable Config reads belongs to one
// setting of the table, or FromEnv would never read it, whatever the
// command.
func TestEveryVariableHasASetting(t *testing.T) {
	var vars []string
	for _, s := range settings {
		vars = append(vars, s.env...)
	}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			if !slices.Contains(vars, name) {
				t.Errorf("Config.%s (%s%s) is in no setting", f.Name, EnvPrefix, name)
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
}

// TestSettingsOfCommandsExist: every setting a command names is in the
// table (a misspelt one would silently register nothing).
func TestSettingsOfCommandsExist(t *testing.T) {
	for _, only := range []Settings{Report, Generate, Rules, Folder, Database} {
		for _, name := range only {
			if !slices.Contains(Serve, name) {
				t.Errorf("setting %q is not in the table", name)
			}
		}
	}
}
