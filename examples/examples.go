// Package examples bundles the example post-mortems that the exporter serves
// when no source is configured.
package examples

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed postmortems
var files embed.FS

// Dir is how the bundled examples are named in messages.
const Dir = "examples/postmortems"

// Postmortems returns the bundled example records.
func Postmortems() fs.FS {
	sub, err := fs.Sub(files, "postmortems")
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return sub
}

// Anchor is the day the example records were written against. Served as the
// default source, they are moved by whole days so that Anchor falls on the
// current day, which keeps them inside the rolling windows.
var Anchor = time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)

// Shift returns how far to move the examples so that Anchor becomes the
// start of asOf's day (UTC).
func Shift(asOf time.Time) time.Duration {
	return asOf.UTC().Truncate(24 * time.Hour).Sub(Anchor)
}
