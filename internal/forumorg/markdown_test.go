package forumorg_test

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mdTable is one Markdown table of the report: its header and rows.
type mdTable struct {
	Header []string
	Rows   [][]string
	// Caption is the italic line before the table that says which team
	// and severity it holds ("Team payments, sev1"), without the _s.
	Caption string
}

// cell returns the row's cell under the column named col.
func (tb mdTable) cell(t *testing.T, row []string, col string) string {
	t.Helper()
	for i, h := range tb.Header {
		if h == col && i < len(row) {
			return row[i]
		}
	}
	t.Fatalf("no column %q in %v", col, tb.Header)
	return ""
}

// has says whether the table has a column named col.
func (tb mdTable) has(col string) bool { return slices.Contains(tb.Header, col) }

// mdReport is the report's Markdown: its tables under each heading (the
// heading's text without the #s), and its lines.
type mdReport struct {
	Tables map[string][]mdTable
	Lines  []string
}

// parseMarkdown reads the tables of a report page.
func parseMarkdown(text string) mdReport {
	r := mdReport{Tables: map[string][]mdTable{}, Lines: strings.Split(text, "\n")}
	heading, caption, inTable := "", "", false
	for _, line := range r.Lines {
		switch {
		case strings.HasPrefix(line, "#"):
			heading, caption, inTable = strings.TrimSpace(strings.TrimLeft(line, "#")), "", false
		case len(line) > 2 && strings.HasPrefix(line, "_") && strings.HasSuffix(line, "_"):
			caption, inTable = strings.Trim(line, "_"), false
		case strings.HasPrefix(line, "|"):
			cells := splitRow(line)
			if !inTable {
				r.Tables[heading] = append(r.Tables[heading], mdTable{Header: cells, Caption: caption})
				inTable = true
				continue
			}
			if strings.HasPrefix(cells[0], "---") {
				continue
			}
			tables := r.Tables[heading]
			tables[len(tables)-1].Rows = append(tables[len(tables)-1].Rows, cells)
		default:
			inTable = false
		}
	}
	return r
}

// splitRow splits a table row into its cells, trimmed; an escaped pipe
// stays in its cell.
func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			cur.WriteByte(line[i])
			cur.WriteByte(line[i+1])
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// table returns the only (or the first) table under a heading, or one
// with no row when there is none (the report writes a sentence instead of
// an empty table): each check also compares how many rows it found.
func (r mdReport) table(heading string) mdTable { return r.tableWith(heading, "") }

// tableWith returns the first table under a heading that has the column
// col (any table when col is empty), or one with no row.
func (r mdReport) tableWith(heading, col string) mdTable {
	for _, tb := range r.Tables[heading] {
		if col == "" || tb.has(col) {
			return tb
		}
	}
	return mdTable{}
}

// durationText is how the report writes a duration: 45s, 12m, 3h 5m,
// 46h, 2.5d.
var durationText = regexp.MustCompile(`^(?:(\d+)s|(\d+)m|(\d+)h(?: (\d+)m)?|([\d.]+)d)$`)

// parseShownDuration reads a duration as the report shows it, and how far
// the shown value may be from the true one by its rounding: half its last
// unit.
func parseShownDuration(text string) (seconds, tolerance float64, err error) {
	m := durationText.FindStringSubmatch(text)
	if m == nil {
		return 0, 0, fmt.Errorf("%q is not a duration as the report writes them", text)
	}
	n := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	switch {
	case m[1] != "":
		return n(m[1]), 0.5, nil
	case m[2] != "":
		return 60 * n(m[2]), 30, nil
	case m[3] != "":
		return 3600*n(m[3]) + 60*n(m[4]), 30, nil
	default:
		return 86400 * n(m[5]), 4320, nil
	}
}

// checkShownDuration fails unless text shows want seconds.
func checkShownDuration(t *testing.T, where, text string, want float64) {
	t.Helper()
	got, tol, err := parseShownDuration(text)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	if math.Abs(got-want) > tol+1e-6 {
		t.Errorf("%s: shows %s (%.0fs), want %.1fs", where, text, got, want)
	}
}

// checkShownPercent fails unless text shows ratio as a whole percentage.
func checkShownPercent(t *testing.T, where, text string, ratio float64) {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSuffix(text, "%"), 64)
	if err != nil || !strings.HasSuffix(text, "%") {
		t.Errorf("%s: %q is not a percentage", where, text)
		return
	}
	if math.Abs(v-100*ratio) > 0.5+1e-9 {
		t.Errorf("%s: shows %s, want %.2f%%", where, text, 100*ratio)
	}
}

// checkShownCount fails unless text is the count want.
func checkShownCount(t *testing.T, where, text string, want int) {
	t.Helper()
	if text != strconv.Itoa(want) {
		t.Errorf("%s: shows %q, want %d", where, text, want)
	}
}

// firstID returns the first id of the form PREFIX-... in a cell, past any
// link markup.
func firstID(cell string) string {
	return idPattern.FindString(cell)
}

var idPattern = regexp.MustCompile(`PM-[A-Z0-9]+(?:-\d+)?`)

// changeUnit is what a change cell holds.
type changeUnit int

const (
	changeCount    changeUnit = iota // a signed whole number
	changePoints                     // percentage points of a share: "+13 pp"
	changeDuration                   // a signed duration: "−17m"
)

// signed splits a signed figure as the report writes it: "+", "−" (the
// minus sign) or "±" (exactly zero) before the magnitude.
func signed(text string) (sign float64, magnitude string, err error) {
	for prefix, s := range map[string]float64{"+": 1, "−": -1, "±": 0} {
		if rest, ok := strings.CutPrefix(text, prefix); ok {
			return s, rest, nil
		}
	}
	return 0, "", fmt.Errorf("%q has no sign", text)
}

// checkChangeCell compares a change from before to after, "absolute
// (relative%)", the relative part left out when before is 0, and – when
// either side has no value.
func checkChangeCell(t *testing.T, where, cell string, before, after float64, ok bool, unit changeUnit) {
	t.Helper()
	if !ok {
		if cell != "–" {
			t.Errorf("%s: %q without both values, want –", where, cell)
		}
		return
	}
	absolute, relative, hasRelative := strings.Cut(cell, " (")
	sign, magnitude, err := signed(absolute)
	if err != nil {
		t.Errorf("%s: %v", where, err)
		return
	}
	diff, shown, tolerance := after-before, 0.0, 0.0
	switch unit {
	case changeCount:
		v, err := strconv.ParseFloat(magnitude, 64)
		if err != nil {
			t.Errorf("%s: %q is not a count", where, cell)
			return
		}
		shown = sign * v
	case changePoints:
		v, err := strconv.ParseFloat(strings.TrimSuffix(magnitude, " pp"), 64)
		if err != nil || !strings.HasSuffix(magnitude, " pp") {
			t.Errorf("%s: %q is not in percentage points", where, cell)
			return
		}
		shown, diff, tolerance = sign*v, 100*diff, 0.5
	case changeDuration:
		v, tol, err := parseShownDuration(magnitude)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		shown, tolerance = sign*v, tol
	}
	if math.Abs(shown-diff) > tolerance+1e-9 {
		t.Errorf("%s: %q, want a change of %.2f", where, cell, diff)
	}
	switch {
	case before == 0 && hasRelative:
		t.Errorf("%s: %q has a relative change from 0", where, cell)
	case before != 0 && !hasRelative:
		t.Errorf("%s: %q has no relative change", where, cell)
	case before != 0:
		sign, percent, err := signed(strings.TrimSuffix(relative, ")"))
		v, perr := strconv.ParseFloat(strings.TrimSuffix(percent, "%"), 64)
		if err != nil || perr != nil {
			t.Errorf("%s: %q: relative change not read", where, cell)
			return
		}
		if rel := 100 * (after - before) / before; math.Abs(sign*v-rel) > 0.5+1e-9 {
			t.Errorf("%s: %q, want a relative change of %.2f%%", where, cell, rel)
		}
	}
}
