package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/pullfake"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// The schemas of the sources' fakes, written from the vendors'
// published descriptions.
const (
	confluenceSchema = "../../exporter/pull/confluence/testdata/confluence.schema.json"
	driveSchema      = "../../exporter/pull/gdocs/testdata/drive-v3.schema.json"
	incidentIOSchema = "../../exporter/pull/incidentio/testdata/incidentio.schema.json"
	pagerDutySchema  = "../../exporter/pull/pagerduty/testdata/pagerduty.schema.json"
)

// The fixture organisation (testdata/pullorg, written by its generate
// program): 30 Confluence Cloud pages, 26 Google Docs, 11 incident.io
// incidents (one a tutorial) and 10 PagerDuty incidents.
const (
	orgDir       = "testdata/pullorg"
	orgWindow    = "3650d" // every fixture incident is inside it, whenever the test runs
	orgBigMarker = "@@10MB@@"
	orgBigSize   = 10 << 20
	orgMaxFile   = 4 << 20 // --source.max-file-size's default
	orgMapping   = "confluence:\n  severity: {Critical: sev1, Major: sev2, Minor: sev3, Low: sev4}\n" +
		"incidentio:\n  severity: {Critical: sev1, Major: sev2, Minor: sev3, Low: sev4}\n  status: {closed: published, learning: in_review, live: draft}\n" +
		"pagerduty:\n  severity: {P1: sev1, P2: sev2, P3: sev3, high: sev2, low: sev4}\n"
	orgConfUser   = "sre@example.com"
	orgConfToken  = "ATATT-org-s3cret"
	orgDriveToken = "ya29.org-s3cret"
	orgIncToken   = "inc-org-s3cret"
	orgPDToken    = "pd-org-s3cret"
	orgRecords    = 56 + 10 + 10 // the documents, incident.io's incidents but the tutorial, PagerDuty's
)

// TestPullOrganisation pulls the fixture organisation from the four
// sources' fake APIs into one folder, then: validate accepts or flags its
// records exactly as testdata/pullorg/expected-validate.txt says, a
// second pull changes no byte, and the real binary serving the folder
// publishes the incident counts, times to detect and recover, and invalid
// records that orgExpected works out from the fixtures' JSON and HTML on
// its own (not through exporter/pull).
func TestPullOrganisation(t *testing.T) {
	fixtures := orgFixtures(t)
	confluenceURL := pullfake.Confluence(t, pullfake.Options{Dir: filepath.Join(fixtures, "confluence"),
		Schema: confluenceSchema, User: orgConfUser, Token: orgConfToken})
	driveURL := pullfake.Drive(t, pullfake.Options{Dir: filepath.Join(fixtures, "gdocs"), Schema: driveSchema, Token: orgDriveToken})
	incidentIOURL := pullfake.NewIncidentIO(t, filepath.Join(fixtures, "incidentio"), incidentIOSchema, orgIncToken).Serve(t)
	pagerDutyURL := pullfake.NewPagerDuty(t, filepath.Join(fixtures, "pagerduty"), pagerDutySchema, orgPDToken).Serve(t)
	mapping := filepath.Join(t.TempDir(), "mapping.yaml")
	if err := os.WriteFile(mapping, []byte(orgMapping), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{"POSTMORTEM_CONFLUENCE_USER": orgConfUser, "POSTMORTEM_CONFLUENCE_TOKEN": orgConfToken,
		"POSTMORTEM_GDOCS_TOKEN": orgDriveToken, "POSTMORTEM_INCIDENTIO_TOKEN": orgIncToken, "POSTMORTEM_PAGERDUTY_TOKEN": orgPDToken}
	dir := t.TempDir()
	pulls := [][]string{
		{"pull", "--from=confluence", "--to=" + dir, "--mapping.file=" + mapping, "--confluence.url=" + confluenceURL, "--confluence.space=OPS"},
		{"pull", "--from=gdocs", "--to=" + dir, "--mapping.file=" + mapping, "--gdocs.url=" + driveURL, "--gdocs.folder=postmortems"},
		{"pull", "--from=incidentio", "--to=" + dir, "--mapping.file=" + mapping, "--incidentio.url=" + incidentIOURL},
		{"pull", "--from=pagerduty", "--to=" + dir, "--mapping.file=" + mapping, "--pagerduty.url=" + pagerDutyURL},
	}
	for _, args := range pulls {
		if code, stdout, stderr := runCLIEnv(t, environ, args...); code != exitOK {
			t.Fatalf("%s: exit %d\n%s%s", args[1], code, stdout, stderr)
		}
	}
	if n := len(testenv.ListFiles(t, dir)); n != orgRecords+1 { // and the state file
		t.Errorf("%d files pulled, want %d records and the state file", n, orgRecords)
	}

	orgCheckTitles(t, dir)

	_, stdout, _ := runCLI(t, "validate", dir)
	want, err := os.ReadFile(filepath.Join(orgDir, "expected-validate.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(stdout, dir, "DIR"); got != string(want) {
		t.Errorf("validate:\n%s\nwant (%s):\n%s", got, "expected-validate.txt", want)
	}

	before := testenv.FolderContents(t, dir)
	for _, args := range pulls {
		if code, stdout, stderr := runCLIEnv(t, environ, append(args, "--full")...); code != exitOK {
			t.Fatalf("second %s: exit %d\n%s%s", args[1], code, stdout, stderr)
		}
	}
	if after := testenv.FolderContents(t, dir); after != before {
		t.Error("a second pull with no change in the sources changed the folder")
	}

	e := testenv.StartExporter(t, []string{"POSTMORTEM_WINDOWS=" + orgWindow}, "--source.dir="+dir, "--refresh.interval=1h")
	if got, want := orgScraped(t, e.Scrape(t)), orgExpected(t, fixtures); got != want {
		t.Errorf("metrics of the pulled folder:\n%s\nwant, from the fixtures:\n%s", got, want)
	}
}

// orgCheckTitles reads the front matter of the records whose titles are
// hostile (YAML and Markdown syntax, HTML, templates, unicode): each
// holds its title on one line (line ends as spaces) and the severity of
// its own table, not one the title smuggled in.
func orgCheckTitles(t *testing.T, dir string) {
	t.Helper()
	want := map[string]struct{ title, severity string }{
		"PM-2026-004": {"--- severity: sev1", "sev2"},
		"PM-2026-018": {"<script>alert('x')</script> & <b>bold</b>", "sev4"},
		"PM-2026-034": {`title: "quoted" # not a comment`, "sev4"},
		"PM-2026-049": {"{{ .Token }} ${HOME} `rm -rf /` | > ]]>", "sev1"},
		"PM-2026-053": {"Ünïcode — 決済システム障害 🚨", "sev1"},
		"INC-205":     {`--- severity: sev3 <b>決済</b> & "quoted" 🚨`, "sev1"},
		"PD-2004":     {"<script>alert(1)</script> {{ .Token }} — 東京 🚨", "sev4"},
	}
	for id, w := range want {
		data, err := os.ReadFile(filepath.Join(dir, id+".md"))
		if err != nil {
			t.Fatal(err)
		}
		front, _, _ := strings.Cut(strings.TrimPrefix(string(data), "---\n"), "\n---\n")
		var got struct{ Title, Severity string }
		if err := yaml.Unmarshal([]byte(front), &got); err != nil {
			t.Errorf("%s: front matter: %v", id, err)
		}
		if got.Title != w.title || got.Severity != w.severity {
			t.Errorf("%s: title %q, severity %s; want %q, %s", id, got.Title, got.Severity, w.title, w.severity)
		}
	}
}

// orgFixtures copies the fixture organisation into a temporary folder,
// with the 10 MB page's narrative (the marker) expanded.
func orgFixtures(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(orgDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") && !strings.HasSuffix(path, ".html") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sentence := "The queue backed up again and again. "
		big := strings.Repeat(sentence, orgBigSize/len(sentence)+1)
		data = []byte(strings.ReplaceAll(string(data), orgBigMarker, big))
		target := filepath.Join(dir, strings.TrimPrefix(path, orgDir))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// orgScraped writes out, one sample a line and sorted, the families
// orgExpected works out, from the exporter's metrics page.
func orgScraped(t *testing.T, page string) string {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	var lines []string
	invalid := 0.0
	for _, m := range families[collectors.MetricRecordsInvalid].GetMetric() {
		invalid += m.GetGauge().GetValue()
	}
	lines = append(lines, fmt.Sprintf("invalid records %g", invalid))
	for _, m := range families[collectors.MetricIncidents].GetMetric() {
		l := orgLabels(m.GetLabel())
		if l["window"] == orgWindow && m.GetGauge().GetValue() > 0 {
			lines = append(lines, fmt.Sprintf("incidents %s %s %g", l["severity"], l["team"], m.GetGauge().GetValue()))
		}
	}
	for _, name := range []string{collectors.MetricTimeToDetect, collectors.MetricTimeToRecover} {
		for _, m := range families[name].GetMetric() {
			l := orgLabels(m.GetLabel())
			if s := m.GetSummary(); l["window"] == orgWindow && s.GetSampleCount() > 0 {
				lines = append(lines, fmt.Sprintf("%s %s count %d sum %g", name, l["severity"], s.GetSampleCount(), s.GetSampleSum()))
			}
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func orgLabels[L interface {
	GetName() string
	GetValue() string
}](labels []L) map[string]string {
	out := map[string]string{}
	for _, l := range labels {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// orgExpected works out orgScraped's lines from the fixtures alone: the
// key/value table of each Confluence page (the body in its JSON) and each
// Drive document (its HTML), read with regular expressions, and the
// fields of each incident.io and PagerDuty incident, decoded as plain
// JSON (orgIncidentIO, orgPagerDuty). An incident counts when it has a
// severity of the taxonomy (the source's words through the mapping), a
// team, and both times with a zone, and its page is within the record
// size limit; the others are invalid records.
func orgExpected(t *testing.T, fixtures string) string {
	t.Helper()
	var tables []map[string]string
	var sizes []int
	pages, _ := filepath.Glob(filepath.Join(fixtures, "confluence", "v2-pages-*.json"))
	for _, path := range pages {
		var list struct {
			Results []struct {
				Body struct {
					Storage struct{ Value string }
				}
			}
		}
		orgDecode(t, path, &list)
		for _, p := range list.Results {
			tables = append(tables, orgTable(p.Body.Storage.Value))
			sizes = append(sizes, len(p.Body.Storage.Value))
		}
	}
	docs, _ := filepath.Glob(filepath.Join(fixtures, "gdocs", "*.html"))
	for _, path := range docs {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, orgTable(string(data)))
		sizes = append(sizes, len(data))
	}
	tools := append(orgIncidentIO(t, filepath.Join(fixtures, "incidentio", "incidents.json")),
		orgPagerDuty(t, filepath.Join(fixtures, "pagerduty", "incidents.json"))...)
	tables = append(tables, tools...)
	sizes = append(sizes, make([]int, len(tools))...) // records of a few hundred bytes
	if len(tables) != orgRecords {
		t.Fatalf("the fixture organisation has %d incidents, want %d", len(tables), orgRecords)
	}
	words := map[string]string{"Critical": "sev1", "Major": "sev2", "Minor": "sev3", "Low": "sev4", // the mapping's, for Confluence and incident.io
		"P1": "sev1", "P2": "sev2", "P3": "sev3", "high": "sev2", "low": "sev4"} // for PagerDuty
	incidents := map[string]int{}
	type summary struct {
		n   int
		sum float64
	}
	ttd, ttr := map[string]summary{}, map[string]summary{}
	invalid := 0
	for i, row := range tables {
		severity := row["severity"]
		if s, ok := words[severity]; ok {
			severity = s
		}
		started, errS := time.Parse(time.RFC3339, row["started at"])
		detected, errD := time.Parse(time.RFC3339, row["detected at"])
		if !regexp.MustCompile(`^sev[1-4]$`).MatchString(severity) || row["team"] == "" || errS != nil || errD != nil || sizes[i] > orgMaxFile {
			invalid++
			continue
		}
		incidents[severity+" "+row["team"]]++
		s := ttd[severity]
		ttd[severity] = summary{s.n + 1, s.sum + detected.Sub(started).Seconds()}
		if resolved, err := time.Parse(time.RFC3339, row["resolved at"]); err == nil {
			s := ttr[severity]
			ttr[severity] = summary{s.n + 1, s.sum + resolved.Sub(started).Seconds()}
		}
	}
	lines := []string{fmt.Sprintf("invalid records %d", invalid)}
	for k, n := range incidents {
		lines = append(lines, fmt.Sprintf("incidents %s %d", k, n))
	}
	for name, m := range map[string]map[string]summary{collectors.MetricTimeToDetect: ttd, collectors.MetricTimeToRecover: ttr} {
		for severity, s := range m {
			lines = append(lines, fmt.Sprintf("%s %s count %d sum %g", name, severity, s.n, s.sum))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// orgTable returns the rows of a document's first table, keys in lower
// case, HTML entities decoded.
func orgTable(doc string) map[string]string {
	table := regexp.MustCompile(`(?s)<table>(.*?)</table>`).FindStringSubmatch(doc)
	rows := map[string]string{}
	if table == nil {
		return rows
	}
	cell := regexp.MustCompile(`(?s)<t[hd]>(.*?)</t[hd]>`)
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(table[1], -1) {
		cells := cell.FindAllStringSubmatch(tr[1], -1)
		if len(cells) == 2 {
			rows[strings.ToLower(html.UnescapeString(cells[0][1]))] = html.UnescapeString(cells[1][1])
		}
	}
	return rows
}

// orgIncidentIO reads incident.io's incidents as the rows orgExpected
// reads from a document's table, as docs/pull.md says: the severity's
// name, the "Team" custom field, "Impact started" else the earlier of
// "Reported" and "Detected", "Detected" else "Reported", "Resolved". Test
// and tutorial incidents are left out, as the pull skips them.
func orgIncidentIO(t *testing.T, path string) []map[string]string {
	t.Helper()
	var incidents []struct {
		Mode     string
		Severity *struct{ Name string }
		Fields   []struct {
			CustomField struct{ Name string } `json:"custom_field"`
			Values      []struct {
				Option struct{ Value string } `json:"value_option"`
			}
		} `json:"custom_field_entries"`
		Stamps []struct {
			Stamp struct{ Name string } `json:"incident_timestamp"`
			Value struct{ Value string }
		} `json:"incident_timestamp_values"`
	}
	orgDecode(t, path, &incidents)
	var rows []map[string]string
	for _, in := range incidents {
		if in.Mode == "test" || in.Mode == "tutorial" {
			continue
		}
		row := map[string]string{}
		if in.Severity != nil {
			row["severity"] = in.Severity.Name
		}
		for _, f := range in.Fields {
			if f.CustomField.Name == "Team" && len(f.Values) > 0 {
				row["team"] = f.Values[0].Option.Value
			}
		}
		stamps := map[string]string{}
		for _, s := range in.Stamps {
			stamps[s.Stamp.Name] = s.Value.Value
		}
		row["started at"], row["detected at"], row["resolved at"] = stamps["Impact started"], stamps["Detected"], stamps["Resolved"]
		if row["detected at"] == "" {
			row["detected at"] = stamps["Reported"]
		}
		if row["started at"] == "" {
			row["started at"] = min(stamps["Reported"], stamps["Detected"]) // both UTC, written alike: the text compares as the time
		}
		rows = append(rows, row)
	}
	return rows
}

// orgPagerDuty reads PagerDuty's incidents as the rows orgExpected reads
// from a document's table, as docs/pull.md says: the priority's name else
// the urgency, the first team else the service, started and detected when
// created, resolved at resolved_at else the last status change, once
// resolved (the fixtures have no log entries).
func orgPagerDuty(t *testing.T, path string) []map[string]string {
	t.Helper()
	var incidents []struct {
		Status, Urgency    string
		CreatedAt          string  `json:"created_at"`
		ResolvedAt         *string `json:"resolved_at"`
		LastStatusChangeAt string  `json:"last_status_change_at"`
		Priority           *struct{ Name string }
		Service            struct{ Summary string }
		Teams              []struct{ Name string }
	}
	orgDecode(t, path, &incidents)
	var rows []map[string]string
	for _, in := range incidents {
		row := map[string]string{"severity": in.Urgency, "team": in.Service.Summary, "started at": in.CreatedAt, "detected at": in.CreatedAt}
		if in.Priority != nil {
			row["severity"] = in.Priority.Name
		}
		if len(in.Teams) > 0 {
			row["team"] = in.Teams[0].Name
		}
		if in.Status == "resolved" {
			row["resolved at"] = in.LastStatusChangeAt
			if in.ResolvedAt != nil {
				row["resolved at"] = *in.ResolvedAt
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// orgDecode decodes the JSON file at path into v.
func orgDecode(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
