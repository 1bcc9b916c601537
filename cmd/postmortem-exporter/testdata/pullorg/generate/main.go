// Command generate writes the fixture organisation of TestPullOrganisation
// (../confluence and ../gdocs): 56 post-mortems, 30 Confluence Cloud pages
// and 26 Google Docs, with custom fields, missing values, unicode and
// hostile titles. The 10 MB page's narrative is the marker @@10MB@@, which
// the test expands, so the repository holds no 10 MB file.
//
//	go run ./cmd/postmortem-exporter/testdata/pullorg/generate
package main

import (
	"encoding/json"
	"fmt"
	"html"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	confluencePages = 30
	incidents       = 56
	pageSize        = 15 // Confluence pages per answer
	docsPerList     = 13 // Drive files per files.list answer
)

var (
	teams       = []string{"payments", "platform", "search", "données", "checkout"}
	origins     = []string{"code_change", "config_change", "infrastructure", "external_dependency", "unknown"}
	detections  = []string{"automated", "internal", "customer"}
	resolutions = []string{"rollback", "fix_forward", "scaling", "config_change", "other"}
	// Confluence pages say severity in words (the mapping file maps
	// them), Google Docs with the taxonomy's values.
	words   = []string{"Critical", "Major", "Minor", "Low"}
	hostile = map[int]string{
		3:  "---\nseverity: sev1",
		17: "<script>alert('x')</script> & <b>bold</b>",
		33: `title: "quoted" # not a comment`,
		48: "{{ .Token }} ${HOME} `rm -rf /` | > ]]>",
		52: "Ünïcode — 決済システム障害 🚨",
	}
)

// row is one key/value row of a post-mortem's table.
type row struct{ key, value string }

// postmortem returns the rows, the narrative and the last change of the
// i-th incident (from 0).
func postmortem(i int) ([]row, string, time.Time) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*72+(i*37)%24) * time.Hour)
	detected := start.Add(time.Duration((i*13)%55+5) * time.Minute)
	resolved := start.Add(time.Duration((i*29)%600+30) * time.Minute)
	sev := (i * 7) % 4
	severity := fmt.Sprintf("sev%d", sev+1)
	if i < confluencePages {
		severity = words[sev]
	}
	title := fmt.Sprintf("Incident %d of %s", i+1, teams[i%len(teams)])
	if h, ok := hostile[i]; ok {
		title = h
	}
	rows := []row{
		{"ID", fmt.Sprintf("PM-2026-%03d", i+1)},
		{"Title", title},
		{"Severity", severity},
		{"Team", teams[i%len(teams)]},
		{"Started at", start.Format(time.RFC3339)},
		{"Detected at", detected.Format(time.RFC3339)},
		{"Origin", origins[i%len(origins)]},
		{"Detection", detections[i%len(detections)]},
	}
	changed := resolved.Add(24 * time.Hour)
	switch {
	case i%8 == 3: // a draft still being written: no resolution yet
		rows = append(rows, row{"Status", "draft"})
	case i%4 == 3:
		rows = append(rows, row{"Resolved at", resolved.Format(time.RFC3339)}, row{"Resolution", resolutions[i%len(resolutions)]}, row{"Status", "in_review"})
	default:
		published := resolved.Add(72 * time.Hour)
		changed = published
		rows = append(rows, row{"Resolved at", resolved.Format(time.RFC3339)}, row{"Resolution", resolutions[i%len(resolutions)]},
			row{"Status", "published"}, row{"Published at", published.Format(time.RFC3339)})
		if i != 1 { // one review without them: the quality bar's warnings
			rows = append(rows, row{"Moderator", "maria"}, row{"Bar raiser", "bruno"})
		}
	}
	rows = append(rows, row{"Customer impact", []string{"high", "low", "none"}[i%3]}, row{"Region", []string{"eu-west-1", "東京", "us-east-1"}[i%3]})
	// Missing and unreadable values.
	switch i {
	case 5:
		rows[2].value = "Catastrophic" // not in the mapping file
	case 12:
		rows = drop(rows, "Detected at")
	case 40:
		rows[5].value = detected.Format("2006-01-02 15:04") // no zone
	case 50:
		rows = drop(rows, "Started at")
	}
	narrative := fmt.Sprintf("<h2>What happened</h2><p>%s</p><p>Timeline, impact and learnings of incident %d.</p>", html.EscapeString(title), i+1)
	if i%3 == 0 || sev == 0 {
		narrative += fmt.Sprintf("<table><tbody><tr><th>Action item</th><th>Owner</th><th>Due</th><th>Status</th></tr>"+
			"<tr><td>Add an alert for incident %d</td><td>alice</td><td>%s</td><td>open</td></tr></tbody></table>",
			i+1, resolved.AddDate(0, 0, 14).Format(time.DateOnly))
	}
	if i == confluencePages-1 {
		narrative = "<p>@@10MB@@</p>"
	}
	return rows, narrative, changed
}

func drop(rows []row, key string) []row {
	var out []row
	for _, r := range rows {
		if r.key != key {
			out = append(out, r)
		}
	}
	return out
}

// table writes rows as an HTML table, keys in th cells for Confluence.
func table(rows []row, keyCell string) string {
	var b strings.Builder
	b.WriteString("<table><tbody>")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><%[1]s>%[2]s</%[1]s><td>%[3]s</td></tr>", keyCell, html.EscapeString(r.key), html.EscapeString(r.value))
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

func main() {
	dir := filepath.Join("cmd", "postmortem-exporter", "testdata", "pullorg")
	type page struct {
		id, title, body string
		changed         time.Time
	}
	var pages []page
	type doc struct {
		id, name, html string
		changed        time.Time
	}
	var docs []doc
	for i := range incidents {
		rows, narrative, changed := postmortem(i)
		if i < confluencePages {
			body := `<ac:structured-macro ac:name="details"><ac:rich-text-body>` + table(rows, "th") + `</ac:rich-text-body></ac:structured-macro>` + narrative
			pages = append(pages, page{fmt.Sprint(20001 + i), rows[1].value, body, changed})
			continue
		}
		body := table(rows, "td") + narrative
		docs = append(docs, doc{fmt.Sprintf("doc-%03d", i+1), rows[1].value, "<html><head><meta charset=\"utf-8\"></head><body>" + body + "</body></html>", changed})
	}
	// Cloud lists a space's pages newest first (sort=-modified-date).
	for i := range pages {
		for j := i + 1; j < len(pages); j++ {
			if pages[j].changed.After(pages[i].changed) {
				pages[i], pages[j] = pages[j], pages[i]
			}
		}
	}
	write(dir, "confluence/v2-spaces.json", map[string]any{
		"results": []any{map[string]any{"id": "98304", "key": "OPS", "name": "Operations", "type": "global", "status": "current"}},
		"_links":  map[string]any{"base": "https://example.atlassian.net/wiki"},
	})
	for n := 0; n*pageSize < len(pages); n++ {
		var results []any
		for _, p := range pages[n*pageSize : min(len(pages), (n+1)*pageSize)] {
			results = append(results, map[string]any{
				"id": p.id, "status": "current", "title": p.title, "spaceId": "98304",
				"version": map[string]any{"number": 3, "createdAt": p.changed.Format("2006-01-02T15:04:05.000Z")},
				"body":    map[string]any{"storage": map[string]any{"representation": "storage", "value": p.body}},
				"_links":  map[string]any{"webui": "/spaces/OPS/pages/" + p.id},
			})
		}
		links := map[string]any{"base": "https://example.atlassian.net/wiki"}
		if (n+1)*pageSize < len(pages) {
			links["next"] = fmt.Sprintf("/wiki/api/v2/spaces/98304/pages?cursor=%d&limit=%d", n+2, pageSize)
		}
		write(dir, fmt.Sprintf("confluence/v2-pages-%d.json", n+1), map[string]any{"results": results, "_links": links})
	}
	// Drive lists a folder oldest change first (orderBy=modifiedTime).
	for n := 0; n*docsPerList < len(docs); n++ {
		var files []any
		for _, d := range docs[n*docsPerList : min(len(docs), (n+1)*docsPerList)] {
			files = append(files, map[string]any{"kind": "drive#file", "id": d.id, "name": d.name,
				"mimeType": "application/vnd.google-apps.document", "modifiedTime": d.changed.Format("2006-01-02T15:04:05.000Z"),
				"webViewLink": "https://docs.google.com/document/d/" + d.id + "/edit", "trashed": false})
			if err := os.WriteFile(filepath.Join(dir, "gdocs", d.id+".html"), []byte(d.html), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		list := map[string]any{"kind": "drive#fileList", "incompleteSearch": false, "files": files}
		if (n+1)*docsPerList < len(docs) {
			list["nextPageToken"] = fmt.Sprintf("page-%d-token", n+2)
		}
		write(dir, fmt.Sprintf("gdocs/list-%d.json", n+1), list)
	}
}

func write(dir, name string, v any) {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
}
