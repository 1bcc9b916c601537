package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// bulky is record i at the limits of what a record may hold, with texts
// made of the characters escaping lengthens most: a 28 KB title, labels
// of 256 bytes, links of 2,048 bytes. Its item is overdue, its
// post-mortem unpublished, so that both lists show it.
func bulky(i int) *record.Record {
	started := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	label := func(prefix string) string { return prefix + strings.Repeat(`"`, 256-len(prefix)) }
	link := func(prefix string) string { return prefix + strings.Repeat(`"`, 2048-len(prefix)) }
	id := fmt.Sprintf("PM-%04d", i)
	return &record.Record{
		Path: id + ".md", ID: id, Title: strings.Repeat(`"<&`, 28*1024/3), Severity: "sev2", Team: label("team<"),
		URL:       link("https://wiki.example.com/" + id + "/"),
		StartedAt: started, DetectedAt: started.Add(time.Minute), ResolvedAt: started.Add(time.Hour),
		Origin: "code_change", Resolution: "rollback", Detection: "customer", Status: "draft",
		ActionItems: []record.ActionItem{{
			ID: id + "-1", Title: strings.Repeat("é\"", 28*1024/3), Owner: label("owner<"), Team: label("team<"),
			CreatedAt: started.Add(2 * time.Hour), Due: time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC), Status: "open",
			URL: link("https://tickets.example.com/" + id + "/"),
		}},
	}
}

// Page size bounds, documented in docs/report.md: a listed row of the HTML
// page at most maxRowBytes whatever its record holds, and what does not
// grow with the lists at most maxFrameBytes.
const (
	maxRowBytes   = 16 << 10
	maxFrameBytes = 256 << 10
)

// TestPageSizeBound: a page listing records at the limits of every field
// stays within the documented bound per listed row; titles are cut to
// MaxTextRunes characters with an ellipsis. Without the cut, each row
// would hold its 28 KB titles (about 100 KB once escaped).
func TestPageSizeBound(t *testing.T) {
	const n = 40
	records := make([]*record.Record, n)
	for i := range records {
		records[i] = bulky(i)
	}
	r, err := New(snapshotOf(t, 0, records...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := len(r.Timeliness.DueSoon) + len(r.Timeliness.Exceptions) + len(r.Learnings.RepeatList) +
		len(r.Quality.Unpublished) + len(r.Quality.Late) + len(r.Timeliness.Overdue)
	if rows != 2*n {
		t.Fatalf("%d rows listed, want %d: each record's overdue item and unpublished post-mortem", rows, 2*n)
	}
	item := r.Timeliness.Overdue[0]
	if utf8.RuneCountInString(item.Title) != MaxTextRunes || !strings.HasSuffix(item.Title, "…") ||
		!strings.HasPrefix(records[0].ActionItems[0].Title, strings.TrimSuffix(item.Title, "…")) {
		t.Errorf("the item's title is not cut to %d characters ending with an ellipsis: %d characters, %.40q…", MaxTextRunes, utf8.RuneCountInString(item.Title), item.Title)
	}
	for _, format := range []string{FormatHTML, FormatMarkdown} {
		var page bytes.Buffer
		if err := Write(&page, r, format); err != nil {
			t.Fatal(err)
		}
		perRow := float64(page.Len()) / float64(rows)
		t.Logf("%s: %d bytes for %d listed rows (%.1f KB a row, frame included)", format, page.Len(), rows, perRow/1024)
		if bound := rows*maxRowBytes + maxFrameBytes; page.Len() > bound {
			t.Errorf("%s: the page is %d bytes, more than the bound of %d (%d rows)", format, page.Len(), bound, rows)
		}
	}
}
