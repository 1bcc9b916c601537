package document

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
)

// Format is a document's markup.
type Format int

// The formats a document is read in.
const (
	Markdown Format = iota
	HTML
)

// FormatOf is the format of a file by its name: HTML for .html, .htm
// and .xhtml (a Confluence page in storage format), Markdown otherwise.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".html", ".htm", ".xhtml":
		return HTML
	}
	return Markdown
}

// Read reads one document into an incident with the source's id
// sourceID; title is the document's own title (a page's, a file's),
// used when neither the table nor a first heading gives one.
func Read(data []byte, format Format, sourceID, title string, sm pull.SourceMapping) (pull.Incident, error) {
	var p *parsed
	if format == HTML {
		var err error
		if p, err = parseHTML(data); err != nil {
			return pull.Incident{}, err
		}
	} else {
		p = parseMarkdown(string(data))
	}
	return p.incident(sourceID, title, sm), nil
}

// DefaultMaxSize bounds a local document's size.
const DefaultMaxSize = 16 << 20

// Files is the document source: local Markdown and HTML files, read in
// full on every pull (no cursor).
type Files struct {
	Paths   []string
	Mapping pull.SourceMapping
	// MaxSize bounds a file's size in bytes (DefaultMaxSize when 0).
	MaxSize int64
}

// Name is "document".
func (f *Files) Name() string { return "document" }

// Pull reads every file. An incident's source id is its file's name
// without extension, and its record id, unless the table gives one,
// document-NAME.
func (f *Files) Pull(ctx context.Context, _ string, emit func(pull.Incident) error) (string, error) {
	limit := f.MaxSize
	if limit <= 0 {
		limit = DefaultMaxSize
	}
	for _, path := range f.Paths {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		data, info, err := readLimited(path, limit)
		if err != nil {
			return "", err
		}
		name := filepath.Base(path)
		stem := strings.TrimSuffix(name, filepath.Ext(name))
		inc, err := Read(data, FormatOf(name), stem, stem, f.Mapping)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		inc.UpdatedAt = info.ModTime()
		if err := emit(inc); err != nil {
			return "", err
		}
	}
	return "", nil
}

func readLimited(path string, limit int64) ([]byte, os.FileInfo, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read document: %w", err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read document: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("read document %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read document: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("read document %s: larger than %d bytes", path, limit)
	}
	return data, info, nil
}
