// Package layout_test checks the layout drawn in the README: every
// package of the module is in its table, and no package imports one of a
// row above its own.
package layout_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

const module = "github.com/postmortem-exporter/postmortem-exporter/"

// testRow is the row of the packages only tests use: they may import any
// package, and no other package may import them.
const testRow = 1 << 30

// rows reads the README's layout table: package path to row.
func rows(t *testing.T, readme string) map[string]int {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| (\\d+|test) \\| `([^`]+)` \\|")
	out := map[string]int{}
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		m := row.FindStringSubmatch(scanner.Text())
		if m == nil {
			continue
		}
		n := testRow
		if m[1] != "test" {
			n = 0
			for _, c := range m[1] {
				n = n*10 + int(c-'0')
			}
		}
		out[m[2]] = n
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportsRunDownTheLayout fails on a package missing from the README's
// table and on an import of a package of a row above the importer's.
func TestImportsRunDownTheLayout(t *testing.T) {
	root := testenv.ModuleRoot(t)
	layout := rows(t, filepath.Join(root, "README.md"))
	if len(layout) < 10 {
		t.Fatalf("the README's layout table has %d packages; is its format changed?", len(layout))
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], module)
		from, ok := layout[pkg]
		if !ok {
			t.Errorf("%s is not in the README's layout table: give it a row and its one job", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module)
			to, ok := layout[dep]
			switch {
			case !ok:
				// reported on its own line
			case to == testRow && from != testRow:
				t.Errorf("%s imports %s, a package only tests may use", pkg, dep)
			case from != testRow && to < from:
				t.Errorf("%s (row %d) imports %s (row %d), above it", pkg, from, dep, to)
			}
		}
	}
}
