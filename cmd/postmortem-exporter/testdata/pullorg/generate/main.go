// Command generate writes the fixture organisation of TestPullOrganisation
// (../confluence, ../gdocs, ../incidentio and ../pagerduty): 56
// post-mortems, 30 Confluence Cloud pages and 26 Google Docs, and 21
// incidents, 11 of incident.io and 10 of PagerDuty, with custom fields, missing values, unicode and
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
	start, detected, resolved := times(i)
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
	writeTools(dir)
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

// The incident tools' incidents follow the documents': 11 incident.io
// incidents (one a tutorial, which the pull skips) and 10 PagerDuty ones.
const (
	incidentIOIncidents = 11
	pagerDutyIncidents  = 10
)

// times are the start, detection and resolution of the i-th incident of
// the organisation, as postmortem works them out.
func times(i int) (start, detected, resolved time.Time) {
	start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*72+(i*37)%24) * time.Hour)
	return start, start.Add(time.Duration((i*13)%55+5) * time.Minute), start.Add(time.Duration((i*29)%600+30) * time.Minute)
}

// option is a select custom field's entry of incident.io.
func option(name, value string) map[string]any {
	id := "01CF" + strings.ToUpper(strings.ReplaceAll(name, " ", ""))
	return map[string]any{
		"custom_field": map[string]any{"id": id, "name": name, "field_type": "single_select"},
		"values":       []any{map[string]any{"value_option": map[string]any{"id": "01OPT" + value, "custom_field_id": id, "value": value, "sort_key": 1}}},
	}
}

// stamp is one of an incident.io incident's timestamps.
func stamp(name string, rank int, at time.Time) map[string]any {
	return map[string]any{"incident_timestamp": map[string]any{"id": "01TS" + strings.ToUpper(strings.ReplaceAll(name, " ", "")), "name": name, "rank": rank},
		"value": map[string]any{"value": at.Format(time.RFC3339)}}
}

// incidentIO returns the j-th incident.io incident (from 0), the
// organisation's incident 56+j: severity in words (the mapping file maps
// them), team, origin, detection and resolution as custom fields.
func incidentIO(j int) map[string]any {
	i := incidents + j
	start, detected, resolved := times(i)
	ref := fmt.Sprintf("INC-%d", 201+j)
	title := fmt.Sprintf("Incident %d of %s", i+1, teams[i%len(teams)])
	if j == 4 {
		title = "---\nseverity: sev3 <b>決済</b> & \"quoted\" 🚨"
	}
	category, statusName := []string{"closed", "learning", "live"}[j%3], []string{"Closed", "Learning", "Live"}[j%3]
	fields := []any{option("Team", teams[i%len(teams)]), option("Origin", origins[i%len(origins)]), option("Detection", detections[i%len(detections)]),
		map[string]any{"custom_field": map[string]any{"id": "01CFREGION", "name": "Region", "field_type": "text"},
			"values": []any{map[string]any{"value_text": []string{"eu-west-1", "東京", "us-east-1"}[i%3]}}}}
	stamps := []any{stamp("Impact started", 1, start), stamp("Reported", 2, detected.Add(2*time.Minute)), stamp("Detected", 3, detected)}
	updated := detected.Add(time.Hour)
	if category != "live" {
		fields = append(fields, option("Resolution", resolutions[i%len(resolutions)]))
		stamps = append(stamps, stamp("Resolved", 5, resolved))
		updated = resolved.Add(time.Hour)
	}
	if category == "closed" {
		updated = resolved.Add(48 * time.Hour)
		stamps = append(stamps, stamp("Closed", 6, updated))
	}
	in := map[string]any{
		"id": fmt.Sprintf("01ORGINC%02d", j), "reference": ref, "name": title,
		"permalink": "https://app.incident.io/example/incidents/" + ref, "mode": "standard",
		"incident_status": map[string]any{"id": "01ST" + statusName, "name": statusName, "category": category},
		"created_at":      detected.Add(2 * time.Minute).Format(time.RFC3339), "updated_at": updated.Format(time.RFC3339),
		"incident_role_assignments": []any{}, "summary": fmt.Sprintf("Summary of incident %d.", i+1),
		"severity": map[string]any{"id": "01SEV", "name": words[(i*7)%4], "rank": (i*7)%4 + 1},
	}
	// Missing and unreadable values.
	switch j {
	case 2: // no "Impact started": it starts at the earlier of the report and the detection
		stamps = stamps[1:]
	case 6:
		delete(in, "severity")
	case 8:
		fields = fields[1:] // no team
	case 10:
		in["mode"] = "tutorial"
	}
	in["custom_field_entries"], in["incident_timestamp_values"] = fields, stamps
	return in
}

// ref is a PagerDuty reference object.
func ref(kind, id, summary string) map[string]any {
	return map[string]any{"id": id, "type": kind, "summary": summary, "self": "https://api.pagerduty.com/x/" + id, "html_url": "https://example.pagerduty.com/x/" + id}
}

// pagerDuty returns the k-th PagerDuty incident (from 0), the
// organisation's incident 67+k: created when the impact was detected,
// its priority (or urgency) the severity, the escalation policy's team
// the team.
func pagerDuty(k int) map[string]any {
	i := incidents + incidentIOIncidents + k
	_, detected, resolved := times(i)
	n := 2001 + k
	title := fmt.Sprintf("Incident %d of %s", i+1, teams[i%len(teams)])
	if k == 3 {
		title = "<script>alert(1)</script> {{ .Token }} — 東京 🚨"
	}
	agent := []string{"integration_reference", "service_reference", "user_reference"}[k%3]
	in := map[string]any{
		"id": fmt.Sprintf("PORG%03d", k), "type": "incident", "summary": fmt.Sprintf("[#%d] %s", n, title),
		"self": fmt.Sprintf("https://api.pagerduty.com/incidents/PORG%03d", k), "html_url": fmt.Sprintf("https://example.pagerduty.com/incidents/PORG%03d", k),
		"incident_number": n, "title": title, "created_at": detected.Format(time.RFC3339), "status": "resolved",
		"updated_at": resolved.Format(time.RFC3339), "urgency": []string{"high", "low"}[k%2],
		"first_trigger_log_entry": map[string]any{"id": fmt.Sprintf("RLEORG%03d", k), "type": "trigger_log_entry", "summary": "trigger log entry",
			"created_at": detected.Format(time.RFC3339), "agent": ref(agent, "PAGENT", "agent")},
		"service":               ref("service_reference", "PSVC"+strings.ToUpper(teams[i%len(teams)][:3]), teams[i%len(teams)]+"-api"),
		"escalation_policy":     ref("escalation_policy_reference", "PEPORG", "Org EP"),
		"teams":                 []any{map[string]any{"id": "PTEAM", "type": "team", "summary": teams[i%len(teams)], "name": teams[i%len(teams)]}},
		"resolved_at":           resolved.Format(time.RFC3339),
		"last_status_change_at": resolved.Format(time.RFC3339),
	}
	if k%4 != 3 { // the others have no priority: the urgency says the severity
		p := []string{"P1", "P2", "P3"}[k%3]
		in["priority"] = map[string]any{"id": "PPRIO" + p, "type": "priority", "summary": p, "name": p, "description": ""}
	}
	// Missing and unreadable values.
	switch k {
	case 2, 8: // not resolved yet
		in["status"], in["resolved_at"], in["last_status_change_at"] = "acknowledged", nil, detected.Add(5*time.Minute).Format(time.RFC3339)
	case 4: // resolved, with only the last status change saying when
		in["resolved_at"] = nil
	case 5: // no team: the service is the team
		in["teams"] = []any{}
	case 7:
		in["priority"] = map[string]any{"id": "PPRIOP5", "type": "priority", "summary": "P5", "name": "P5", "description": ""} // not in the mapping file
	}
	return in
}

// writeTools writes the incident tools' fixtures.
func writeTools(dir string) {
	var inc []any
	for j := range incidentIOIncidents {
		inc = append(inc, incidentIO(j))
	}
	write(dir, "incidentio/incidents.json", inc)
	write(dir, "incidentio/follow_ups.json", []any{})
	var pd []any
	for k := range pagerDutyIncidents {
		pd = append(pd, pagerDuty(k))
	}
	write(dir, "pagerduty/incidents.json", pd)
	write(dir, "pagerduty/log_entries.json", map[string]any{})
}
