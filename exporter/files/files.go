// Package files reads post-mortem records from a folder: Markdown files with
// YAML front matter, and plain YAML or JSON files.
package files

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// Read walks fsys recursively and decodes every record file in it. Paths in
// records and problems are joined to prefix (the folder as the user named
// it). ignored lists the files that are not records. The error is non-nil
// only when the folder itself cannot be read.
func Read(fsys fs.FS, prefix string) (records []*record.Record, problems []record.Problem, ignored []string, err error) {
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, walkErr error) error {
		name := path.Join(prefix, p)
		switch {
		case walkErr != nil && p == ".":
			return walkErr
		case walkErr != nil:
			problems = append(problems, record.Problem{Path: name, Field: "file", Code: record.CodeReadError, Message: walkErr.Error()})
			return nil
		case d.IsDir() || !d.Type().IsRegular():
			return nil
		}
		kind := kindOf(p)
		if kind == notRecord {
			ignored = append(ignored, name)
			return nil
		}
		data, readErr := fs.ReadFile(fsys, p)
		if readErr != nil {
			problems = append(problems, record.Problem{Path: name, Field: "file", Code: record.CodeReadError, Message: readErr.Error()})
			return nil
		}
		r, ps := Parse(name, data)
		if r != nil {
			records = append(records, r)
		}
		problems = append(problems, ps...)
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read records from %s: %w", prefix, err)
	}
	return records, problems, ignored, nil
}

type fileKind int

const (
	notRecord fileKind = iota
	markdown
	document
)

func kindOf(name string) fileKind {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		return markdown
	case ".yaml", ".yml", ".json":
		return document
	default:
		return notRecord
	}
}

// Parse decodes one record file; name decides its format by extension. The
// record is nil when the file could not be parsed at all.
func Parse(name string, data []byte) (*record.Record, []record.Problem) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	field, offset := "document", 0
	if kindOf(name) == markdown {
		var ok bool
		data, ok = frontMatter(data)
		if !ok {
			return nil, []record.Problem{{Path: name, Line: 1, Field: "front_matter", Code: record.CodeMalformed,
				Message: "no YAML front matter: the file must start with a line '---' and the fields, closed by another '---'"}}
		}
		field, offset = "front_matter", 1
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		msg := yamlErrorPrefix.ReplaceAllString(err.Error(), "")
		if errors.Is(err, io.EOF) {
			msg = "empty: no fields"
		}
		return nil, []record.Problem{{Path: name, Line: syntaxLine(err, offset), Field: field, Code: record.CodeMalformed, Message: msg}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, []record.Problem{{Path: name, Line: extra.Line + offset, Field: field, Code: record.CodeMalformed,
			Message: "more than one document: a file holds one record"}}
	}
	return record.Decode(&doc, name, offset)
}

// frontMatter returns the YAML between the opening and closing '---' lines.
func frontMatter(data []byte) ([]byte, bool) {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	if !ok {
		return nil, false
	}
	if strings.HasPrefix(rest, "---\n") || rest == "---" {
		return []byte{}, true
	}
	end := strings.Index(rest, "\n---\n")
	if end < 0 {
		if !strings.HasSuffix(rest, "\n---") {
			return nil, false
		}
		end = len(rest) - len("\n---")
	}
	return []byte(rest[:end+1]), true
}

var (
	lineInError = regexp.MustCompile(`line (\d+)`)
	// yamlErrorPrefix is the parser's own location, relative to the front
	// matter; the problem carries the file's line instead.
	yamlErrorPrefix = regexp.MustCompile(`^yaml: (line \d+: )?`)
)

// syntaxLine extracts the line of a YAML syntax error, if it names one.
func syntaxLine(err error, offset int) int {
	m := lineInError.FindStringSubmatch(err.Error())
	if m == nil {
		return offset + 1
	}
	n, _ := strconv.Atoi(m[1])
	return n + offset
}
