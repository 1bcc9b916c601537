package pull

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/internal/atomicfile"
)

// StateFile is the name of the state file beside the records: hidden, so
// that reading the folder skips it.
const StateFile = ".postmortem-pull.yaml"

const stateHeader = "# Written by postmortem-exporter pull: the cursor of each source and what it last\n" +
	"# wrote of each record. Safe to delete: the next pull is then a full pass.\n"

// state is what pull keeps between runs, per source.
type state struct {
	Sources map[string]*sourceState `yaml:"sources"`
}

// sourceState is one source's cursor and records.
type sourceState struct {
	Cursor string `yaml:"cursor,omitempty"`
	// Records by the source's id of the incident.
	Records map[string]*recordState `yaml:"records,omitempty"`
}

// recordState is what pull last wrote of one record.
type recordState struct {
	File string `yaml:"file"`
	// Fields hold, per source-owned field path (severity,
	// custom.NAME, action_items[ID].owner, narrative), the canonical
	// form of the value last written ("" when the pull left it out).
	Fields map[string]string `yaml:"fields"`
	// Placeholders are the paths whose value came with a finding (a
	// default, or left out): a person's value there is kept.
	Placeholders []string `yaml:"placeholders,omitempty"`
}

// loadState reads dir's state file; a missing one is an empty state.
func loadState(dir string) (*state, error) {
	st := &state{Sources: map[string]*sourceState{}}
	path := filepath.Join(dir, StateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(st); err != nil && len(bytes.TrimSpace(data)) > 0 {
		return nil, fmt.Errorf("state file %s: %w (delete it for a full pull)", path, err)
	}
	if st.Sources == nil {
		st.Sources = map[string]*sourceState{}
	}
	return st, nil
}

// source returns name's state, created when missing.
func (st *state) source(name string) *sourceState {
	ss := st.Sources[name]
	if ss == nil {
		ss = &sourceState{}
		st.Sources[name] = ss
	}
	if ss.Records == nil {
		ss.Records = map[string]*recordState{}
	}
	return ss
}

// save writes the state file atomically, one record at a time, so that
// encoding it needs no more memory than one record does.
func (st *state) save(dir string) error {
	return atomicfile.Write(filepath.Join(dir, StateFile), 0o644, st.encode)
}

// encode writes the state as YAML: the sources and their records in the
// order of their names.
func (st *state) encode(out io.Writer) error {
	w := bufio.NewWriter(out)
	w.WriteString(stateHeader + "sources:\n")
	var buf bytes.Buffer
	for _, name := range sortedKeys(st.Sources) {
		ss := st.Sources[name]
		if ss == nil {
			continue
		}
		key, err := yaml.Marshal(name)
		if err != nil {
			return fmt.Errorf("encode state: %w", err)
		}
		w.WriteString("  " + strings.TrimSuffix(string(key), "\n") + ":\n")
		if ss.Cursor != "" {
			if err := encodeIndented(w, &buf, "    ", map[string]string{"cursor": ss.Cursor}); err != nil {
				return err
			}
		}
		if len(ss.Records) == 0 {
			continue
		}
		w.WriteString("    records:\n")
		for _, id := range sortedKeys(ss.Records) {
			if err := encodeIndented(w, &buf, "      ", map[string]*recordState{id: ss.Records[id]}); err != nil {
				return err
			}
		}
	}
	return w.Flush()
}

// encodeIndented writes v as YAML with every line indented, which nests
// it under the key written before; buf is reused between calls.
func encodeIndented(w *bufio.Writer, buf *bytes.Buffer, indent string, v any) error {
	buf.Reset()
	enc := yaml.NewEncoder(buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	for line := range bytes.Lines(buf.Bytes()) {
		w.WriteString(indent)
		w.Write(line)
	}
	return nil
}
