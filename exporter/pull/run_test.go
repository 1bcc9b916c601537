package pull

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/files"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// listSource answers a fixed list of incidents, then fails with err when
// set (after failAfter incidents).
type listSource struct {
	incidents []Incident
	failAfter int
	err       error
	cursors   []string // the cursors it was asked with
}

func (s *listSource) Name() string { return "document" }

func (s *listSource) Pull(_ context.Context, cursor string, emit func(Incident) error) (string, error) {
	s.cursors = append(s.cursors, cursor)
	for i, inc := range s.incidents {
		if s.err != nil && i == s.failAfter {
			return "", s.err
		}
		if err := emit(inc); err != nil {
			return "", err
		}
	}
	return "cursor-2", nil
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func sampleIncident() Incident {
	return Incident{
		SourceID: "page-1", ID: "PM-2026-001", URL: "https://wiki.example.com/pages/1",
		Fields: map[string]any{
			"title": "Checkout: 500s\n--- after \"deploy\" #1", "severity": "Critical", "team": "Payments",
			"started_at": at("2026-05-20T16:02:00+02:00"), "detected_at": at("2026-05-20T14:09:00Z"),
			"resolved_at": at("2026-05-20T15:10:00Z"), "origin": "Cosmic rays", "detection": "Automated",
			"resolution": "rollback", "status": "published", "published_at": at("2026-05-24T10:00:00Z"),
		},
		SourceFields: map[string]string{"origin": "table row 'Root cause'"},
		Items:        []Item{{Fields: map[string]any{"title": "Contract tests", "owner": "Alice", "due": at("2026-06-01T00:00:00Z"), "status": "To do"}}},
		Narrative:    "## Summary\n\nIt broke.\n",
	}
}

var sampleMapping = SourceMapping{
	Values:   map[string]map[string]string{"severity": {"critical": "sev1"}},
	Defaults: map[string]string{"origin": "unknown"},
}

// The item id is PM-2026-001- and the first 8 hex digits of
// sha256("contract tests") (printf 'contract tests' | sha256sum).
const sampleFile = `---
id: PM-2026-001
title: 'Checkout: 500s --- after "deploy" #1'
severity: sev1
team: Payments
url: https://wiki.example.com/pages/1
started_at: 2026-05-20T14:02:00Z
detected_at: 2026-05-20T14:09:00Z
resolved_at: 2026-05-20T15:10:00Z
origin: unknown
resolution: rollback
detection: automated
status: published
published_at: 2026-05-24T10:00:00Z
action_items:
  - id: PM-2026-001-832c287d
    title: Contract tests
    owner: Alice
    due: 2026-06-01
    status: open
pull_findings:
  - field: origin
    source_field: table row 'Root cause'
    value: Cosmic rays
    reason: not in the mapping file
---
## Summary

It broke.
`

func pullInto(t *testing.T, dir string, src Source, overwrite bool) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), src, Options{Dir: dir, Mapping: sampleMapping, Taxonomy: record.DefaultTaxonomy(), Overwrite: overwrite})
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	return sum
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestPullWritesStableRecords(t *testing.T) {
	dir := t.TempDir()
	src := &listSource{incidents: []Incident{sampleIncident()}}
	sum := pullInto(t, dir, src, false)
	path := filepath.Join(dir, "PM-2026-001.md")
	got := readFile(t, path)
	if got != sampleFile {
		t.Fatalf("first pull wrote:\n%s\nwant:\n%s", got, sampleFile)
	}
	if sum.Written != 1 || len(sum.Conflicts) != 0 {
		t.Errorf("summary %s, conflicts %v", sum, sum.Conflicts)
	}
	// The title round-trips through the record reader, and the record
	// is valid with the origin finding only.
	r, problems := files.Parse("PM-2026-001.md", []byte(got))
	if r.Title != `Checkout: 500s --- after "deploy" #1` {
		t.Errorf("title read back as %q", r.Title)
	}
	res := record.Check([]*record.Record{r}, problems, record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: record.DefaultLimits(), Now: at("2026-07-01T00:00:00Z")})
	// The bar_raiser and moderator findings are the quality rules': the
	// source names neither.
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, f.Rule+" "+f.Field)
	}
	if want := "bar_raiser bar_raiser, moderator moderator, pull_finding origin"; len(res.Problems) != 0 || strings.Join(rules, ", ") != want {
		t.Errorf("validate: problems %v, findings %v; want %s", res.Problems, res.Findings, want)
	}

	// A second pull changes no byte, and deleting the state keeps it so.
	stat, _ := os.Stat(path)
	sum = pullInto(t, dir, src, false)
	if readFile(t, path) != sampleFile || sum.Unchanged != 1 || sum.Written != 0 {
		t.Errorf("re-pull changed the file or wrote it: %s", sum)
	}
	if src.cursors[1] != "cursor-2" {
		t.Errorf("second pull started from cursor %q, want the first's", src.cursors[1])
	}
	if err := os.Remove(filepath.Join(dir, StateFile)); err != nil {
		t.Fatal(err)
	}
	sum = pullInto(t, dir, src, false)
	if readFile(t, path) != sampleFile || sum.Written != 0 || len(sum.Conflicts) != 0 {
		t.Errorf("pull without state changed the file: %s %v", sum, sum.Conflicts)
	}
	if stat2, _ := os.Stat(path); !stat2.ModTime().Equal(stat.ModTime()) {
		t.Error("an unchanged file was rewritten")
	}
}

func TestPullKeepsHandEdits(t *testing.T) {
	dir := t.TempDir()
	src := &listSource{incidents: []Incident{sampleIncident()}}
	pullInto(t, dir, src, false)
	path := filepath.Join(dir, "PM-2026-001.md")
	// A person adds kept fields, completes the origin placeholder, edits
	// a source-owned field (severity) and adds an item of their own.
	edited := strings.Replace(sampleFile, "origin: unknown\n", "origin: code_change\n", 1)
	edited = strings.Replace(edited, "severity: sev1\n", "severity: sev2\n", 1)
	edited = strings.Replace(edited, "action_items:\n", "moderator: bob\nlearnings: [deploys need canaries]\naction_items:\n", 1)
	edited = strings.Replace(edited, "pull_findings:", "  - id: PM-2026-001-own\n    title: Mine\n    owner: carol\n    due: 2026-06-02\n    status: open\npull_findings:", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// The source changes the resolution meanwhile.
	inc := sampleIncident()
	inc.Fields["resolution"] = "fix_forward"
	src.incidents = []Incident{inc}
	sum := pullInto(t, dir, src, false)
	got := readFile(t, path)
	for _, want := range []string{"moderator: bob\n", "learnings: [deploys need canaries]\n", "origin: code_change\n",
		"resolution: fix_forward\n", "severity: sev2\n", "id: PM-2026-001-own\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("after re-pull the file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pull_findings") {
		t.Errorf("the completed origin's finding is still there:\n%s", got)
	}
	if len(sum.Conflicts) != 1 || sum.Conflicts[0].Field != "severity" ||
		sum.Conflicts[0].Reason != "edited by hand (sev2); the source says sev1: kept (--overwrite takes the source's)" {
		t.Fatalf("conflicts %v, want the severity one", sum.Conflicts)
	}
	// It is reported again, then --overwrite takes the source's value.
	if sum := pullInto(t, dir, src, false); len(sum.Conflicts) != 1 {
		t.Errorf("second pull: conflicts %v, want the severity one again", sum.Conflicts)
	}
	sum = pullInto(t, dir, src, true)
	got = readFile(t, path)
	if len(sum.Conflicts) != 0 || !strings.Contains(got, "severity: sev1\n") || !strings.Contains(got, "moderator: bob\n") {
		t.Errorf("--overwrite: conflicts %v, file:\n%s", sum.Conflicts, got)
	}
}

func TestFailedPullWritesNothing(t *testing.T) {
	dir := t.TempDir()
	first := sampleIncident()
	pullInto(t, dir, &listSource{incidents: []Incident{first}}, false)
	state := readFile(t, filepath.Join(dir, StateFile))

	changed := sampleIncident()
	changed.Fields["resolution"] = "fix_forward"
	other := sampleIncident()
	other.SourceID, other.ID = "page-2", "PM-2026-002"
	src := &listSource{incidents: []Incident{changed, other, other}, failAfter: 2, err: errors.New("GET /pages: 500 Internal Server Error")}
	_, err := Run(context.Background(), src, Options{Dir: dir, Mapping: sampleMapping, Taxonomy: record.DefaultTaxonomy()})
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v, want the source's", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != ".postmortem-pull.yaml PM-2026-001.md" {
		t.Errorf("folder after a failed pull: %v", names)
	}
	if readFile(t, filepath.Join(dir, "PM-2026-001.md")) != sampleFile || readFile(t, filepath.Join(dir, StateFile)) != state {
		t.Error("a failed pull changed a file")
	}
}

func TestGoneIsReportedAndKept(t *testing.T) {
	dir := t.TempDir()
	pullInto(t, dir, &listSource{incidents: []Incident{sampleIncident()}}, false)
	gone := Incident{SourceID: "page-1", Gone: "deleted"}
	sum := pullInto(t, dir, &listSource{incidents: []Incident{gone}}, false)
	if len(sum.Gone) != 1 || sum.Gone[0] != "PM-2026-001.md: deleted" {
		t.Errorf("gone = %v", sum.Gone)
	}
	if readFile(t, filepath.Join(dir, "PM-2026-001.md")) != sampleFile {
		t.Error("the record of a gone incident changed")
	}
}

// exhaustiveSource is a listSource whose pull from no cursor lists
// every incident, as Confluence's and Drive's do.
type exhaustiveSource struct{ *listSource }

func (exhaustiveSource) ListsEverything() bool { return true }

// TestUnlistedIsGone: an incident a source listing everything no longer
// lists in a full pull (a Confluence page deleted, a Drive document
// deleted for good) is reported gone and its record kept; an
// incremental pull, which lists only what changed, reports nothing, nor
// does a source of given documents, nor a record a person removed.
func TestUnlistedIsGone(t *testing.T) {
	dir := t.TempDir()
	second := sampleIncident()
	second.SourceID, second.ID = "page-2", "PM-2026-002"
	full := func(src Source) *Summary {
		t.Helper()
		sum, err := Run(context.Background(), src, Options{Dir: dir, Mapping: sampleMapping, Taxonomy: record.DefaultTaxonomy(), Full: true})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	full(exhaustiveSource{&listSource{incidents: []Incident{sampleIncident(), second}}})
	kept := readFile(t, filepath.Join(dir, "PM-2026-002.md"))

	onlyFirst := []Incident{sampleIncident()}
	if sum := pullInto(t, dir, exhaustiveSource{&listSource{incidents: onlyFirst}}, false); len(sum.Gone) != 0 {
		t.Errorf("incremental pull: gone = %v, want none", sum.Gone)
	}
	if sum := full(&listSource{incidents: onlyFirst}); len(sum.Gone) != 0 {
		t.Errorf("full pull of given documents: gone = %v, want none", sum.Gone)
	}
	want := "PM-2026-002.md: no longer listed by document (deleted, or moved out of what is pulled)"
	if sum := full(exhaustiveSource{&listSource{incidents: onlyFirst}}); len(sum.Gone) != 1 || sum.Gone[0] != want {
		t.Errorf("full pull: gone = %q, want %q", sum.Gone, want)
	}
	if readFile(t, filepath.Join(dir, "PM-2026-002.md")) != kept {
		t.Error("the record of an unlisted incident changed")
	}
	if err := os.Remove(filepath.Join(dir, "PM-2026-002.md")); err != nil {
		t.Fatal(err)
	}
	if sum := full(exhaustiveSource{&listSource{incidents: onlyFirst}}); len(sum.Gone) != 0 {
		t.Errorf("after the person removed the record: gone = %v, want none", sum.Gone)
	}
}

// TestHostileTitles: titles YAML would read as something else come back
// as the same one-line title from the file pull writes.
func TestHostileTitles(t *testing.T) {
	for _, title := range []string{
		"---", "--- a", "- item", "{a: b}", "[x, y]", "null", "yes", "~", "*alias", "&anchor x", "!tag x",
		"%directive", "@at", "`tick`", `"quoted"`, "'single'", "a: b", "a #comment", "#start", "| block", "> folded",
		"tab\there", "line\nbreak\r\nand more", "ünïcödé 日本語 🔥", "0x1F", "2026-05-20", "1e3", "  spaced  ",
	} {
		inc := sampleIncident()
		inc.Fields["title"] = title
		dir := t.TempDir()
		pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
		data := readFile(t, filepath.Join(dir, "PM-2026-001.md"))
		r, problems := files.Parse("PM-2026-001.md", []byte(data))
		if want := strings.Join(strings.Fields(title), " "); r.Title != want {
			t.Errorf("title %q read back as %q (problems %v):\n%s", title, r.Title, problems, data)
		}
	}
}

// TestHandWrittenNarrativeKept: when the source has no narrative (an
// incident tool), the body a person writes survives every pull.
func TestHandWrittenNarrativeKept(t *testing.T) {
	dir := t.TempDir()
	inc := sampleIncident()
	inc.Narrative = ""
	pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
	path := filepath.Join(dir, "PM-2026-001.md")
	body := "## What happened\n\nWritten by hand.\n"
	if err := os.WriteFile(path, []byte(readFile(t, path)+body), 0o644); err != nil {
		t.Fatal(err)
	}
	inc.Fields["resolution"] = "fix_forward"
	pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
	got := readFile(t, path)
	if !strings.HasSuffix(got, "---\n"+body) || !strings.Contains(got, "resolution: fix_forward\n") {
		t.Errorf("after the re-pull:\n%s", got)
	}
}

// TestItemsMergedByID: an item's field edited by hand is a conflict and
// kept; an item the source dropped goes if nobody edited it; an item the
// source adds is appended after the person's own.
func TestItemsMergedByID(t *testing.T) {
	dir := t.TempDir()
	inc := sampleIncident()
	inc.Items = append(inc.Items, Item{Fields: map[string]any{"title": "Dropped later", "owner": "bob", "due": at("2026-06-02T00:00:00Z")}})
	pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
	path := filepath.Join(dir, "PM-2026-001.md")
	edited := strings.Replace(readFile(t, path), "    owner: Alice\n", "    owner: carol\n", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	inc = sampleIncident()
	inc.Items = append(inc.Items, Item{SourceID: "OPS-7", Fields: map[string]any{"title": "New one", "owner": "dan", "due": at("2026-06-03T00:00:00Z"), "status": "done"}})
	sum := pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
	got := readFile(t, path)
	// OPS-7's id: printf 'OPS-7' | sha256sum, first 8 hex digits.
	for _, want := range []string{"    owner: carol\n", "  - id: PM-2026-001-f31b99f2\n    title: New one\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Dropped later") {
		t.Errorf("the dropped item is still there:\n%s", got)
	}
	if len(sum.Conflicts) != 1 || sum.Conflicts[0].Field != "action_items[PM-2026-001-832c287d].owner" {
		t.Errorf("conflicts %v", sum.Conflicts)
	}
}

// TestCustomNotAMapping: a custom field a person turned into something
// else than a mapping is a conflict, left as it is, and the file stays
// readable.
func TestCustomNotAMapping(t *testing.T) {
	dir := t.TempDir()
	inc := sampleIncident()
	inc.Custom = map[string]string{"region": "eu-west-1"}
	pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
	path := filepath.Join(dir, "PM-2026-001.md")
	edited := strings.Replace(readFile(t, path), "custom:\n  region: eu-west-1\n", "custom: see the wiki\n", 1)
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	inc.Fields["resolution"] = "fix_forward"
	sum := pullInto(t, dir, &listSource{incidents: []Incident{inc}}, false)
	got := readFile(t, path)
	if len(sum.Conflicts) != 1 || sum.Conflicts[0].Field != "custom" || !strings.Contains(got, "custom: see the wiki\n") || !strings.Contains(got, "resolution: fix_forward\n") {
		t.Errorf("conflicts %v, file:\n%s", sum.Conflicts, got)
	}
}
