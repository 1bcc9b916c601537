// Package pulltest is what the tests of the pull sources
// (exporter/pull/<source>) share: a pull collected whole, and incidents
// written out as text to compare with what a test works out by hand.
package pulltest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/pull"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/internal/apiclient"
	"github.com/postmortem-exporter/postmortem-exporter/internal/trackertest"
)

// Collect runs one pull of src from cursor and returns what it emitted,
// by source id, in order, and the next cursor.
func Collect(ctx context.Context, src pull.Source, cursor string) ([]pull.Incident, string, error) {
	var got []pull.Incident
	next, err := src.Pull(ctx, cursor, func(inc pull.Incident) error {
		got = append(got, inc)
		return nil
	})
	return got, next, err
}

// ByID returns the incidents by their record id.
func ByID(incs []pull.Incident) map[string]pull.Incident {
	out := make(map[string]pull.Incident, len(incs))
	for _, inc := range incs {
		out[inc.ID] = inc
	}
	return out
}

// Describe writes an incident out, one line per field sorted by name,
// times in UTC, each with the source field it came from: the form the
// tests' expected incidents are written in.
func Describe(inc pull.Incident) string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("source_id: %s", inc.SourceID)
	add("id: %s", inc.ID)
	add("url: %s", inc.URL)
	add("updated_at: %s", value(inc.UpdatedAt))
	if inc.Skipped != "" {
		add("skipped: %s", inc.Skipped)
	}
	if inc.Gone != "" {
		add("gone: %s", inc.Gone)
	}
	lines = append(lines, fields("", inc.Fields, inc.SourceFields)...)
	for _, k := range sortedKeys(inc.Custom) {
		add("custom[%s]: %q", k, inc.Custom[k])
	}
	for i, it := range inc.Items {
		add("item %d: source_id: %s", i, it.SourceID)
		lines = append(lines, fields(fmt.Sprintf("item %d: ", i), it.Fields, it.SourceFields)...)
	}
	for _, f := range inc.Findings {
		add("finding: %s <- %s = %q: %s", f.Field, f.SourceField, f.Value, f.Reason)
	}
	if inc.Narrative != "" {
		add("narrative: %q", inc.Narrative)
	}
	return strings.Join(lines, "\n")
}

func fields(prefix string, values map[string]any, from map[string]string) []string {
	var lines []string
	for _, k := range sortedKeys(values) {
		line := fmt.Sprintf("%s%s: %s", prefix, k, value(values[k]))
		if from[k] != "" {
			line += " <- " + from[k]
		}
		lines = append(lines, line)
	}
	return lines
}

func value(v any) string {
	switch v := v.(type) {
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	case string:
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprint(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Compare fails t when the incident is not the one described by want
// (Describe's lines, leading tabs and blank lines ignored).
func Compare(t testing.TB, got pull.Incident, want string) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(want, "\n") {
		if l = strings.TrimLeft(l, "\t "); l != "" {
			lines = append(lines, l)
		}
	}
	if g, w := Describe(got), strings.Join(lines, "\n"); g != w {
		t.Errorf("incident %s:\n--- got\n%s\n--- want\n%s", got.ID, g, w)
	}
}

// RunFaults meets each fault of trackertest.Faults(unauthorized) in a
// subtest: serve starts a fake API whose requests the fault may answer
// and returns its address; source makes the source of the client
// settings given (the fault's, on that address). A pull the fault lets
// succeed must emit want incidents, one it fails must end in an error
// alone that does not show token.
func RunFaults(t *testing.T, unauthorized []byte, token string,
	serve func(t *testing.T, fault func(http.ResponseWriter, *http.Request, int) bool) string,
	source func(api apiclient.Config) (pull.Source, error), want int) {
	for _, fault := range trackertest.Faults(unauthorized) {
		t.Run(fault.Name, func(t *testing.T) {
			api := fault.API
			api.BaseURL, api.MinWait = serve(t, fault.Answer), 10*time.Millisecond
			src, err := source(api)
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			got, next, err := Collect(context.Background(), src, "")
			if fault.Check(t, began, err, token) && len(got) != want {
				t.Errorf("%d incidents, want %d", len(got), want)
			}
			if err != nil && next != "" {
				t.Errorf("cursor %q came with the error", next)
			}
		})
	}
}

// Stable pulls src into a new folder twice, the second time from the
// state file the first left, and fails t when the second pull writes
// anything or changes a byte of any file. It returns the folder and the
// first pull's summary.
func Stable(t *testing.T, src pull.Source, mapping pull.SourceMapping) (string, *pull.Summary) {
	t.Helper()
	dir := t.TempDir()
	opts := pull.Options{Dir: dir, Mapping: mapping, Taxonomy: record.DefaultTaxonomy()}
	first, err := pull.Run(context.Background(), src, opts)
	if err != nil {
		t.Fatalf("first pull: %v", err)
	}
	before := folder(t, dir)
	second, err := pull.Run(context.Background(), src, opts)
	if err != nil {
		t.Fatalf("second pull: %v", err)
	}
	if second.Written != 0 || len(second.Conflicts) != 0 {
		t.Errorf("a second pull with no change in the source: %s", second)
	}
	after := folder(t, dir)
	if !maps.Equal(before, after) {
		t.Errorf("a second pull with no change in the source changed the folder:\nbefore %v\nafter  %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
	return dir, first
}

// folder is every file of dir by name, with its content.
func folder(t testing.TB, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}
