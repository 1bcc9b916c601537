// Package files reads post-mortem records from a folder: Markdown files with
// YAML front matter, and plain YAML or JSON files.
package files

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

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

// MaxDocumentSize is the most YAML a record may hold: its front matter, or
// the whole of a .yaml or .json file. A record's fields take a few KiB
// (50 action items with long titles, 15 KiB); the parser needs about a
// hundred times the text in memory, so this bounds the memory of a read
// whatever the files hold.
const MaxDocumentSize = 64 << 10

// Parse decodes one record file; name decides its format by extension. The
// record is nil when the file could not be parsed at all. A nil record
// without problems means the file is not a record: Markdown without front
// matter, such as a README.
func Parse(name string, data []byte) (*record.Record, []record.Problem) {
	fileProblem := func(code record.Code, format string, args ...any) []record.Problem {
		return []record.Problem{{Path: name, Field: "file", Code: code, Message: fmt.Sprintf(format, args...)}}
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, fileProblem(record.CodeMalformed, "UTF-16 text: save the file as UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, fileProblem(record.CodeMalformed, "binary content (a NUL byte at offset %d), not text", i)
	}
	// Checked before a Markdown file without front matter is skipped: a
	// merge can push the front matter off the first line.
	if at := conflictMarker(data); at >= 0 {
		return nil, []record.Problem{{Path: name, Line: bytes.Count(data[:at], []byte("\n")) + 1, Field: "file", Code: record.CodeMalformed,
			Message: "unresolved merge conflict: keep one side and remove the '<<<<<<<', '=======' and '>>>>>>>' lines"}}
	}
	if kindOf(name) == markdown && !startsFrontMatter(data) {
		if line := displacedFrontMatter(data); line > 0 {
			return nil, []record.Problem{{Path: name, Line: line, Field: "front_matter", Code: record.CodeMalformed,
				Message: fmt.Sprintf("the front matter starts on line %d, not on the first: move what is above it (a heading, a blank line) below its closing '---'", line)}}
		}
		return nil, nil
	}
	if !utf8.Valid(data) {
		return nil, fileProblem(record.CodeMalformed, "not UTF-8 text (line %d): save the file as UTF-8", invalidUTF8Line(data))
	}
	field, offset := "document", 0
	if kindOf(name) == markdown {
		var ok bool
		data, ok = frontMatter(data)
		if !ok {
			return nil, []record.Problem{{Path: name, Line: 1, Field: "front_matter", Code: record.CodeMalformed,
				Message: "front matter not closed: the fields must follow a first line '---' and end with another line '---'"}}
		}
		field, offset = "front_matter", 1
	}
	if len(data) > MaxDocumentSize {
		return nil, []record.Problem{{Path: name, Line: offset, Field: field, Code: record.CodeTooLarge,
			Message: fmt.Sprintf("%s of fields, more than the %s a record may hold: not parsed", formatSize(int64(len(data))), formatSize(MaxDocumentSize))}}
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

// startsFrontMatter reports whether the first line is '---'.
func startsFrontMatter(data []byte) bool {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	return string(bytes.TrimSuffix(first, []byte("\r"))) == "---"
}

// displacedFrontMatter returns the line of a front matter below the first
// line (a `# Checkout 500s` heading added above it), or 0: a line '---'
// that opens a YAML mapping with an id, closed by another '---'. A
// Markdown file with horizontal rules and no id between them is no record
// and stays skipped.
func displacedFrontMatter(data []byte) int {
	for line, rest := 1, data; len(rest) > 0; line++ {
		if line > 1 && startsFrontMatter(rest) {
			fields, ok := frontMatter(rest)
			var doc struct {
				ID any `yaml:"id"`
			}
			if ok && len(fields) <= MaxDocumentSize && yaml.Unmarshal(fields, &doc) == nil && doc.ID != nil {
				return line
			}
		}
		_, rest, _ = bytes.Cut(rest, []byte("\n"))
	}
	return 0
}

// invalidUTF8Line returns the 1-based line of the first byte that is not
// UTF-8.
func invalidUTF8Line(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return bytes.Count(data[:i], []byte("\n")) + 1
		}
		i += size
	}
	return 1
}

// frontMatter returns the YAML between the opening and closing '---' lines,
// a part of data unless data has Windows line ends.
func frontMatter(data []byte) ([]byte, bool) {
	if bytes.Contains(data, []byte("\r\n")) {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	}
	rest, ok := bytes.CutPrefix(data, []byte("---\n"))
	if !ok {
		return nil, false
	}
	if bytes.HasPrefix(rest, []byte("---\n")) || string(rest) == "---" {
		return []byte{}, true
	}
	end := bytes.Index(rest, []byte("\n---\n"))
	if end < 0 {
		if !bytes.HasSuffix(rest, []byte("\n---")) {
			return nil, false
		}
		end = len(rest) - len("\n---")
	}
	return rest[:end+1], true
}

// conflictMarker returns the offset of the first line git writes into a
// file it could not merge ('<<<<<<<' alone or followed by a space), or -1.
// A scan for the marker costs a tenth of a regular expression's.
func conflictMarker(data []byte) int {
	marker := []byte("<<<<<<<")
	for from := 0; ; {
		i := bytes.Index(data[from:], marker)
		if i < 0 {
			return -1
		}
		at := from + i
		rest := data[at+len(marker):]
		lineStart := at == 0 || data[at-1] == '\n'
		if lineStart && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\n' ||
			rest[0] == '\r' && (len(rest) == 1 || rest[1] == '\n')) {
			return at
		}
		from = at + 1
	}
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
