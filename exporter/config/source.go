package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/units"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
)

// FileSource holds the settings of a folder read, shared by serve,
// validate and import.
type FileSource struct {
	Exclude     []string `env:"SOURCE_EXCLUDE"`
	MaxFileSize ByteSize `env:"SOURCE_MAX_FILE_SIZE" envDefault:"4MiB"`
}

// ReadOptions checks the settings and returns them as the file source's
// options.
func (s *FileSource) ReadOptions() (files.Options, error) {
	opts := files.Options{Exclude: s.Exclude, MaxFileSize: int64(s.MaxFileSize)}
	if s.MaxFileSize <= 0 {
		return opts, fmt.Errorf("source.max-file-size (%sSOURCE_MAX_FILE_SIZE): must be positive", EnvPrefix)
	}
	if err := opts.Check(); err != nil {
		return opts, fmt.Errorf("source.exclude (%sSOURCE_EXCLUDE): %w", EnvPrefix, err)
	}
	return opts, nil
}

// ByteSize is a size in bytes written with a base-2 unit: "512KiB", "4MiB"
// (KB and MB mean the same), or a plain number of bytes.
type ByteSize int64

// UnmarshalText parses a size, for the environment.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*b = ByteSize(n)
		return nil
	}
	n, err := units.ParseBase2Bytes(s)
	if err != nil {
		return fmt.Errorf("size %q: want bytes or a number with a unit such as KiB or MiB", s)
	}
	*b = ByteSize(n)
	return nil
}

// Set parses a size, for the flag.
func (b *ByteSize) Set(s string) error { return b.UnmarshalText([]byte(s)) }

// String prints the size with its unit.
func (b *ByteSize) String() string { return units.Base2Bytes(*b).String() }
