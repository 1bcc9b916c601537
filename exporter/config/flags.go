package config

import (
	"fmt"
	"strconv"

	"github.com/alecthomas/kingpin/v2"
)

// IntFlag makes a flag hold a whole number. kingpin's own integer flags
// read "2.7" as 2 and "1e3" as 1000, and reject "abc" without naming the
// flag; this one rejects anything but a whole number, naming the flag.
func IntFlag(f *kingpin.FlagClause, dst *int) {
	f.SetValue(&wholeNumber{flag: f.Model().Name, v: dst})
}

// Int registers a whole-number flag and returns where it is kept.
func Int(f *kingpin.FlagClause) *int {
	v := new(int)
	IntFlag(f, v)
	return v
}

type wholeNumber struct {
	flag string
	v    *int
}

func (n *wholeNumber) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("--%s: %q is not a whole number", n.flag, s)
	}
	*n.v = v
	return nil
}

func (n *wholeNumber) String() string { return strconv.Itoa(*n.v) }

// NameFlagError names the flag of a parse error when kingpin's error does
// not (a duration or a custom value saying only what failed to parse):
// it finds the flag of args whose value gives that same error.
func NameFlagError(app *kingpin.Application, args []string, err error) error {
	ctx, cerr := app.ParseContext(args)
	if cerr != nil || ctx == nil {
		return err
	}
	for _, el := range ctx.Elements {
		f, ok := el.Clause.(*kingpin.FlagClause)
		if !ok || el.Value == nil {
			continue
		}
		m := f.Model()
		if serr := m.Value.Set(*el.Value); serr != nil && serr.Error() == err.Error() {
			if n, ok := m.Value.(*wholeNumber); ok && n.flag == m.Name {
				return err // already named
			}
			return fmt.Errorf("--%s: %w", m.Name, err)
		}
	}
	return err
}
