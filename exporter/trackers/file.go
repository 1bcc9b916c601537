package trackers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/redact"
)

// Kinds are the kinds of tracker, as the trackers file names them.
var Kinds = []string{KindJira, KindGitHub, KindGitLab, KindLinear}

// MaxTrackers bounds the trackers of one file, and with it the series of
// the tracker metrics (collectors/bound.go).
const MaxTrackers = 8

// Sides of a precedence setting: which one wins when the record and the
// ticket both have a value.
const (
	SideTracker = "tracker"
	SideRecord  = "record"
)

// Precedence says which side wins, per field, when both have a value
// (docs/trackers.md).
type Precedence struct {
	// Status covers status and closed_at; tracker by default.
	Status string `yaml:"status"`
	// Owner is tracker by default.
	Owner string `yaml:"owner"`
	// Due is record by default: the date agreed in the review.
	Due string `yaml:"due"`
}

// DefaultPrecedence is the precedence of a file that says none.
func DefaultPrecedence() Precedence {
	return Precedence{Status: SideTracker, Owner: SideTracker, Due: SideRecord}
}

// File is the trackers file (--trackers.file), checked, with each
// tracker's token read.
type File struct {
	Trackers []Tracker
	// Owners maps a tracker account, lower-cased, to an owner name; nil
	// when the file has no owners map.
	Owners     map[string]string
	Precedence Precedence
	// tokens holds each tracker's token, by index: pointers, so that a
	// File printed shows addresses, never a token.
	tokens []*token
}

type token struct{ value string }

// Token returns the token of the tracker at index i.
func (f File) Token(i int) string { return f.tokens[i].value }

// fileYAML is the trackers file as written.
type fileYAML struct {
	Trackers   []Tracker         `yaml:"trackers"`
	Owners     map[string]string `yaml:"owners"`
	Precedence *Precedence       `yaml:"precedence"`
}

// Load reads and checks the trackers file at path, reading each token
// from the variable (lookup) or file it names.
func Load(path string, lookup func(string) (string, bool)) (File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return File{}, fmt.Errorf("read trackers file: %w", err)
	}
	return Parse(path, data, lookup)
}

// Parse checks a trackers file read from name, strictly: every problem
// (an unknown key, a bad kind or URL, a token that cannot be read) is
// reported at once, each naming the file, the line and the field.
func Parse(name string, data []byte, lookup func(string) (string, bool)) (File, error) {
	var doc fileYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return File{}, fmt.Errorf("%s: empty: give at least one tracker under trackers", name)
	} else if err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return File{}, fmt.Errorf("%s: %w", name, err)
	}
	c := fileChecker{name: name, root: &root}
	f := File{Trackers: doc.Trackers, Precedence: DefaultPrecedence()}
	if len(doc.Trackers) == 0 {
		c.fail(c.line("trackers"), "trackers", "give at least one tracker")
	}
	if len(doc.Trackers) > MaxTrackers {
		c.fail(c.line("trackers"), "trackers", "%d trackers, more than %d", len(doc.Trackers), MaxTrackers)
	}
	seen := map[string]int{}
	for i, t := range doc.Trackers {
		f.tokens = append(f.tokens, &token{c.tracker(i, t, lookup)})
		if j, ok := seen[t.URL]; ok && t.URL != "" {
			c.fail(c.trackerLine(i, "url"), fmt.Sprintf("trackers[%d].url", i), "%s is trackers[%d]'s url too", t.URL, j)
		}
		seen[t.URL] = i
	}
	if doc.Owners != nil {
		f.Owners = make(map[string]string, len(doc.Owners))
		for account, owner := range doc.Owners {
			owner = record.NormalName(owner)
			if err := record.CheckName(owner); strings.TrimSpace(owner) == "" || err != nil || len(owner) > maxOwnerLength {
				c.fail(c.line("owners", account), "owners."+account, "%q is no owner name: give a non-empty name of at most %d bytes without control characters", owner, maxOwnerLength)
			}
			f.Owners[strings.ToLower(account)] = owner
		}
	}
	if p := doc.Precedence; p != nil {
		for _, s := range []struct {
			key string
			v   *string
			dst *string
		}{{"status", &p.Status, &f.Precedence.Status}, {"owner", &p.Owner, &f.Precedence.Owner}, {"due", &p.Due, &f.Precedence.Due}} {
			switch *s.v {
			case "":
			case SideTracker, SideRecord:
				*s.dst = *s.v
			default:
				c.fail(c.line("precedence", s.key), "precedence."+s.key, "%q: want tracker or record", *s.v)
			}
		}
	}
	return f, errors.Join(c.errs...)
}

// fileChecker collects the problems of a trackers file, located by the
// lines of its YAML nodes.
type fileChecker struct {
	name string
	root *yaml.Node
	errs []error
}

func (c *fileChecker) fail(line int, field, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s:%d: %s: %s", c.name, line, field, fmt.Sprintf(format, args...)))
}

// tracker checks the tracker at index i and returns its token.
func (c *fileChecker) tracker(i int, t Tracker, lookup func(string) (string, bool)) string {
	field := func(key string) (int, string) { return c.trackerLine(i, key), fmt.Sprintf("trackers[%d].%s", i, key) }
	if !slices.Contains(Kinds, t.Kind) {
		line, f := field("kind")
		c.fail(line, f, "%q: want %s", t.Kind, strings.Join(Kinds, ", "))
	}
	for _, u := range []struct{ key, v string }{{"url", t.URL}, {"api_url", t.APIURL}} {
		key, v := u.key, u.v
		if v == "" && key == "api_url" {
			continue
		}
		if err := checkURL(v); err != nil {
			line, f := field(key)
			c.fail(line, f, "%v", err)
		}
	}
	switch {
	case t.TokenEnv != "" && t.TokenFile != "":
		line, f := field("token_env")
		c.fail(line, f, "give token_env or token_file, not both")
	case t.TokenEnv != "":
		v, _ := lookup(t.TokenEnv)
		if v = strings.TrimSpace(v); v == "" {
			line, f := field("token_env")
			c.fail(line, f, "the variable %s is not set or empty", t.TokenEnv)
		}
		return v
	case t.TokenFile != "":
		data, err := os.ReadFile(t.TokenFile)
		line, f := field("token_file")
		if err != nil {
			c.fail(line, f, "%v", err) // an *fs.PathError names the file, never its content
			return ""
		}
		v := strings.TrimSpace(string(data))
		if v == "" {
			c.fail(line, f, "%s is empty", t.TokenFile)
		}
		return v
	default:
		c.fail(c.trackerLine(i, "kind"), fmt.Sprintf("trackers[%d]", i), "give token_env or token_file: the token is never in this file")
	}
	return ""
}

// checkURL accepts an absolute http or https URL without credentials.
func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: not an absolute http(s) address", redact.WithoutCredentials(v))
	}
	if u.User != nil {
		return fmt.Errorf("%s: credentials belong in token_env or token_file, not in the address", redact.WithoutCredentials(v))
	}
	return nil
}

// line returns the line of the node at the path of mapping keys from the
// document's root, or of the deepest one found.
func (c *fileChecker) line(keys ...string) int {
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, key := range keys {
		k, v := mappingEntry(n, key)
		if k == nil {
			break
		}
		line, n = k.Line, v
	}
	return line
}

// trackerLine returns the line of key in the tracker at index i, or of
// the tracker.
func (c *fileChecker) trackerLine(i int, key string) int {
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	_, list := mappingEntry(n, "trackers")
	if list == nil || list.Kind != yaml.SequenceNode || i >= len(list.Content) {
		return c.line("trackers")
	}
	item := list.Content[i]
	if k, _ := mappingEntry(item, key); k != nil {
		return k.Line
	}
	return item.Line
}

// mappingEntry returns the key and value nodes of key in mapping n.
func mappingEntry(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		if n.Content[j].Value == key {
			return n.Content[j], n.Content[j+1]
		}
	}
	return nil, nil
}

// Match returns the index of the tracker an item's url belongs to: the
// one whose url is its longest prefix, ending on a path boundary.
func (f File) Match(itemURL string) (int, bool) {
	best, bestLen := -1, 0
	for i, t := range f.Trackers {
		prefix := strings.TrimSuffix(t.URL, "/")
		if !strings.HasPrefix(itemURL, prefix) || len(prefix) <= bestLen {
			continue
		}
		if rest := itemURL[len(prefix):]; rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) {
			continue // https://github.com/acme is not https://github.com/acme-labs
		}
		best, bestLen = i, len(prefix)
	}
	return best, best >= 0
}
