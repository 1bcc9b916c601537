package document

import (
	"regexp"
	"strings"
)

var (
	delimiterRow = regexp.MustCompile(`^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$`)
	mdLink       = regexp.MustCompile(`\[([^\]]*)\]\(([^)\s]+)[^)]*\)`)
)

// parseMarkdown reads a Markdown document: its first pipe table with
// two columns, before any other table, is the key/value table; a table
// whose header names the item, its owner and its due date is an action
// table; the rest is the narrative.
func parseMarkdown(text string) *parsed {
	p := &parsed{}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var keep []string
	inFence, seenTable := false, false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
		}
		if !inFence && p.heading == "" && strings.HasPrefix(trimmed, "# ") {
			p.heading = strings.TrimSpace(strings.TrimPrefix(trimmed, "# "))
		}
		if inFence || !strings.HasPrefix(trimmed, "|") || i+1 >= len(lines) || !delimiterRow.MatchString(strings.TrimSpace(lines[i+1])) {
			keep = append(keep, line)
			continue
		}
		end := i + 2
		for end < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[end]), "|") {
			end++
		}
		t := &table{}
		for _, row := range append([]string{lines[i]}, lines[i+2:end]...) {
			cells, links := pipeCells(row)
			t.rows = append(t.rows, cells)
			t.links = append(t.links, links)
		}
		switch {
		case !seenTable && twoColumns(t):
			p.properties = t
		case isActionTable(t):
			p.actions = append(p.actions, t)
		default:
			keep = append(keep, lines[i:end]...)
		}
		seenTable = true
		i = end - 1
	}
	p.narrative = tidy(strings.Join(keep, "\n"))
	return p
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// tidy trims a narrative and joins the blank lines a removed table left.
func tidy(s string) string {
	s = strings.TrimSpace(blankRuns.ReplaceAllString(s, "\n\n"))
	if s != "" {
		s += "\n"
	}
	return s
}

// twoColumns reports whether every row of t has two cells.
func twoColumns(t *table) bool {
	for _, row := range t.rows {
		if len(row) != 2 {
			return false
		}
	}
	return len(t.rows) > 0
}

// pipeCells splits a table row on the pipes that are not escaped, and
// reads each cell's text and first link.
func pipeCells(row string) (cells, links []string) {
	row = strings.TrimSpace(row)
	row = strings.TrimPrefix(row, "|")
	if strings.HasSuffix(row, "|") && !strings.HasSuffix(row, `\|`) {
		row = row[:len(row)-1]
	}
	var cur strings.Builder
	flush := func() {
		cell := strings.ReplaceAll(cur.String(), "<br>", "\n")
		link := ""
		if m := mdLink.FindStringSubmatch(cell); m != nil {
			link = m[2]
		}
		cell = mdLink.ReplaceAllString(cell, "$1")
		cell = strings.NewReplacer("**", "", "__", "", "`", "").Replace(cell)
		cells = append(cells, strings.TrimSpace(cell))
		links = append(links, link)
		cur.Reset()
	}
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row) && row[i+1] == '|':
			cur.WriteByte('|')
			i++
		case row[i] == '|':
			flush()
		default:
			cur.WriteByte(row[i])
		}
	}
	flush()
	return cells, links
}
