package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// sequenceRepo is a post-mortem repository as a team keeps it, edited
// step by step by TestSameSequenceFilesAndPostgres.
type sequenceRepo struct {
	t    *testing.T
	root string // the repository; its parent is where imports usually run
}

func (r sequenceRepo) path(name string) string { return filepath.Join(r.root, name) }

func (r sequenceRepo) write(name, text string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(r.path(name)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(r.path(name), []byte(text), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r sequenceRepo) read(name string) string {
	r.t.Helper()
	b, err := os.ReadFile(r.path(name))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// edit replaces old with new in a file, which must hold old.
func (r sequenceRepo) edit(name, old, new string) {
	r.t.Helper()
	text := r.read(name)
	if !strings.Contains(text, old) {
		r.t.Fatalf("%s does not hold %q", name, old)
	}
	r.write(name, strings.Replace(text, old, new, 1))
}

// sequenceItem is an action item of sequenceRecord: due is days from now.
type sequenceItem struct {
	id, owner, status string
	due               int
}

// sequenceRecord is a published record started startedDaysAgo, recovered
// in recoverMinutes, detected after 10 minutes.
func sequenceRecord(id, severity, team string, startedDaysAgo, recoverMinutes int, items ...sequenceItem) string {
	started := time.Now().UTC().Truncate(time.Hour).Add(-time.Duration(startedDaysAgo) * 24 * time.Hour)
	at := func(d time.Duration) string { return started.Add(d).Format(time.RFC3339) }
	var b strings.Builder
	fmt.Fprintf(&b, "---\nid: %s\ntitle: Incident %s\nseverity: %s\nteam: %s\nservices: [%s-api]\n", id, id, severity, team, team)
	fmt.Fprintf(&b, "started_at: %s\ndetected_at: %s\nresolved_at: %s\n", at(0), at(10*time.Minute), at(time.Duration(recoverMinutes)*time.Minute))
	fmt.Fprintf(&b, "origin: code_change\nresolution: rollback\ndetection: automated\nstatus: published\npublished_at: %s\nbar_raiser: carol\n", at(48*time.Hour))
	if len(items) > 0 {
		b.WriteString("action_items:\n")
	}
	for _, it := range items {
		due := time.Now().UTC().AddDate(0, 0, it.due).Format(time.DateOnly)
		fmt.Fprintf(&b, "  - id: %s\n    title: Fix %s\n    owner: %s\n    due: %s\n    status: %s\n", it.id, it.id, it.owner, due, it.status)
		if it.status == "done" {
			fmt.Fprintf(&b, "    closed_at: %s\n", at(72*time.Hour))
		}
	}
	b.WriteString("---\n## Summary\nWhat happened.\n")
	return b.String()
}

// sourceSpecific are the families that describe a source rather than the
// incidents: the files source counts the files it could not read, the
// database the rows it holds; and the exporter's own.
func sourceSpecific(name string) bool {
	return strings.HasPrefix(name, "postmortem_exporter_") || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") ||
		strings.HasPrefix(name, "promhttp_") || name == collectors.MetricRecordsInvalid || name == collectors.MetricRecordsValid || name == collectors.MetricRecordsRemoved || name == collectors.MetricRecordsStale
}

// ageLike are the gauges that say how long ago something was (or how
// much of the current period has gone by), measured at each exporter's
// own refresh instant: the two exporters refresh a few milliseconds (a
// syncing one, up to a sync interval) apart.
func ageLike(name string) bool {
	return strings.HasSuffix(name, "_seconds") && (strings.Contains(name, "overdue") || strings.Contains(name, "age") || strings.Contains(name, "pending")) ||
		name == collectors.MetricPeriodCovered // the current period's time so far
}

// seriesOf flattens the incident families of a scrape to "name{labels}" =
// value, without the source label.
func seriesOf(families map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, mf := range families {
		if sourceSpecific(name) {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				if l.GetName() != "source" {
					labels = append(labels, l.GetName()+"="+l.GetValue())
				}
			}
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetSummary() != nil:
				out[key+"_count"] = float64(m.GetSummary().GetSampleCount())
				out[key+"_sum"] = m.GetSummary().GetSampleSum()
				for _, q := range m.GetSummary().GetQuantile() {
					out[fmt.Sprintf("%s_q%g", key, q.GetQuantile())] = q.GetValue()
				}
			case m.GetHistogram() != nil:
				out[key+"_count"] = float64(m.GetHistogram().GetSampleCount())
				out[key+"_sum"] = m.GetHistogram().GetSampleSum()
				for _, bk := range m.GetHistogram().GetBucket() {
					out[fmt.Sprintf("%s_le%g", key, bk.GetUpperBound())] = float64(bk.GetCumulativeCount())
				}
			default:
				out[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// differences lists the series the two scrapes disagree on.
func differences(files, db map[string]float64) []string {
	var diff []string
	for k, v := range files {
		w, ok := db[k]
		name := k[:strings.IndexByte(k, '{')]
		switch {
		case !ok:
			diff = append(diff, fmt.Sprintf("only from files: %s = %g", k, v))
		case ageLike(name) && math.Abs(v-w) <= 30:
		case math.Abs(v-w) > 1e-9*math.Max(1, math.Abs(v)):
			diff = append(diff, fmt.Sprintf("%s: files %g, postgres %g", k, v, w))
		}
	}
	for k, w := range db {
		if _, ok := files[k]; !ok {
			diff = append(diff, fmt.Sprintf("only from postgres: %s = %g", k, w))
		}
	}
	slices.Sort(diff)
	return diff
}

// refreshed sends SIGHUP to e, which reloads its configuration and
// refreshes at once, and waits for a snapshot newer than the one it
// served; it returns the new scrape, parsed.
func refreshed(t *testing.T, e *testenv.Exporter) map[string]*dto.MetricFamily {
	t.Helper()
	before := sum(parseMetrics(t, e.Scrape(t)), collectors.MetricSnapshotTimestamp, nil)
	if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var families map[string]*dto.MetricFamily
	testenv.Eventually(t, 30*time.Second, func() error {
		families = parseMetrics(t, e.Scrape(t))
		if got := sum(families, collectors.MetricSnapshotTimestamp, nil); got <= before {
			return fmt.Errorf("snapshot of %v still served after SIGHUP", got)
		}
		return nil
	})
	return families
}

// TestSameSequenceFilesAndPostgres applies one sequence of ordinary edits
// to a post-mortem repository and, after every step, compares every
// incident metric of an exporter serving the folder with one serving
// PostgreSQL filled by `import --prune` (from the repository's parent, as
// a CI job would, and at the end from inside it with a narrower folder).
// Every collector must succeed at every step, and the incident count
// and the overdue items are checked against what each step leaves, worked
// out by hand in the step's comment: two sources agreeing on a wrong
// figure would not pass.
func TestSameSequenceFilesAndPostgres(t *testing.T) {
	bin := testenv.BuildExporter(t)
	pg := testenv.StartPostgres(t)
	parent := t.TempDir()
	repo := sequenceRepo{t: t, root: filepath.Join(parent, "postmortems")}
	taxonomy := filepath.Join(parent, "taxonomy.yaml")
	writeConfig(t, taxonomy, "severities: [sev1, sev2, sev3, sev4]\n")

	// The repository as teams keep it, in git: a README, a template, CI,
	// two teams' folders. PM-1's item is overdue by 3 days; PM-4's is done.
	repo.write("README.md", "# Post-mortems\nOne file per incident.\n")
	repo.write("templates/postmortem.md", "# Title\n\nCopy me.\n")
	repo.write(".github/workflows/validate.yml", "on: [push]\n")
	repo.write("payments/PM-1.md", sequenceRecord("PM-1", "sev2", "payments", 20, 90, sequenceItem{"PM-1-1", "alice", "open", -3}))
	repo.write("payments/PM-2.md", sequenceRecord("PM-2", "sev1", "payments", 10, 45, sequenceItem{"PM-2-1", "bob", "open", 7}))
	repo.write("search/PM-3.md", sequenceRecord("PM-3", "sev3", "search", 15, 30))
	repo.write("search/PM-4.md", sequenceRecord("PM-4", "sev3", "search", 40, 120, sequenceItem{"PM-4-1", "dave", "done", -20}))
	git(t, repo.root, "init", "-q")

	importFrom := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"import", "--database.url=" + pg.URL, "--taxonomy.file=" + taxonomy,
			"--source.name=https://example.com/postmortems.git", "--prune"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if strings.Contains(string(out), "panic") || strings.Contains(string(out), "duplicate key") {
			t.Fatalf("import %v from %s: %v\n%s", args, dir, err, out)
		}
		t.Logf("import %v from %s: %v\n%s", args, dir, err, out)
	}
	if code, stdout, stderr := runCLI(t, "migrate", "--database.url="+pg.URL, "--taxonomy.file="+taxonomy); code != exitOK {
		t.Fatalf("migrate: exit %d\n%s%s", code, stdout, stderr)
	}
	importFrom(parent, "postmortems")
	common := []string{"--taxonomy.file=" + taxonomy, "--refresh.interval=1h"}
	fromFiles := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true, Args: append([]string{"--source.dir=" + repo.root}, common...)})
	fromDB := testenv.StartExporterWith(t, testenv.ExporterOptions{
		Env: []string{"POSTMORTEM_DATABASE_URL_FILE=" + writeSecret(t, pg.URL)}, Args: common,
	})

	check := func(step string, incidents float64, overdue []string) {
		t.Helper()
		files, db := refreshed(t, fromFiles), refreshed(t, fromDB)
		for what, f := range map[string]map[string]*dto.MetricFamily{"files": files, "postgres": db} {
			for _, m := range f[collectors.MetricCollectorSuccess].GetMetric() {
				if m.GetGauge().GetValue() != 1 {
					t.Errorf("%s: %s: collector %v failed", step, what, m.GetLabel())
				}
			}
			if got := sum(f, collectors.MetricIncidents, map[string]string{"window": "365d"}); got != incidents {
				t.Errorf("%s: %s: %v incidents in 365d, want %v", step, what, got, incidents)
			}
			var got []string
			for _, m := range f[collectors.MetricActionItemOverdue].GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "id" {
						got = append(got, l.GetValue())
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, overdue) {
				t.Errorf("%s: %s: overdue items %v, want %v", step, what, got, overdue)
			}
		}
		if diff := differences(seriesOf(files), seriesOf(db)); len(diff) > 0 {
			t.Errorf("%s: the files and PostgreSQL disagree on %d series:\n%s", step, len(diff), strings.Join(diff, "\n"))
		}
	}

	check("the first import", 4, []string{"PM-1-1"})

	repo.write("payments/PM-5.md", sequenceRecord("PM-5", "sev2", "payments", 5, 60, sequenceItem{"PM-5-1", "erin", "open", -1}))
	importFrom(parent, "postmortems")
	check("a record added (PM-5, its item a day late)", 5, []string{"PM-1-1", "PM-5-1"})

	repo.edit("payments/PM-2.md", "severity: sev1", "severity: sev2")
	importFrom(parent, "postmortems")
	check("PM-2 edited from sev1 to sev2", 5, []string{"PM-1-1", "PM-5-1"})

	repo.write("payments/PM-6.md", strings.ReplaceAll(repo.read("payments/PM-5.md"), "PM-5", "PM-6"))
	if err := os.Remove(repo.path("payments/PM-5.md")); err != nil {
		t.Fatal(err)
	}
	importFrom(parent, "postmortems")
	check("PM-5 renamed PM-6 with its item (PM-6-1)", 5, []string{"PM-1-1", "PM-6-1"})

	pm2 := repo.read("payments/PM-2.md")
	item := pm2[strings.Index(pm2, "  - id: PM-2-1"):strings.Index(pm2, "---\n## Summary")]
	repo.write("payments/PM-2.md", strings.Replace(pm2, "action_items:\n"+item, "", 1))
	repo.edit("payments/PM-1.md", "---\n## Summary", item+"---\n## Summary")
	importFrom(parent, "postmortems")
	check("item PM-2-1 moved to PM-1", 5, []string{"PM-1-1", "PM-6-1"})

	good4 := repo.read("search/PM-4.md")
	repo.edit("search/PM-4.md", "services: [search-api]", "services: [search-api")
	importFrom(parent, "postmortems")
	check("PM-4 broken mid-edit (its last valid version stays)", 5, []string{"PM-1-1", "PM-6-1"})

	good3 := repo.read("search/PM-3.md")
	repo.write("search/PM-3.md", "# Search outage\n\n"+good3)
	importFrom(parent, "postmortems")
	check("a heading above PM-3's front matter (its last valid version stays)", 5, []string{"PM-1-1", "PM-6-1"})

	repo.write("search/PM-4.md", good4)
	repo.write("search/PM-3.md", good3)
	importFrom(parent, "postmortems")
	check("PM-3 and PM-4 fixed", 5, []string{"PM-1-1", "PM-6-1"})

	// Without sev3, PM-3 and PM-4 are invalid: 3 incidents count.
	writeConfig(t, taxonomy, "severities: [sev1, sev2, sev4]\n")
	importFrom(parent, "postmortems")
	check("the taxonomy narrowed to sev1, sev2, sev4 and reloaded", 3, []string{"PM-1-1", "PM-6-1"})

	writeConfig(t, taxonomy, "severities: [sev1, sev2, sev3, sev4]\n")
	if err := os.Remove(repo.path("payments/PM-6.md")); err != nil {
		t.Fatal(err)
	}
	importFrom(parent, "postmortems")
	check("sev3 back, PM-6 deleted and pruned", 4, []string{"PM-1-1"})

	// From inside the repository, a narrower folder: nothing outside it,
	// or excluded, is gone.
	importFrom(repo.root, "payments")
	check("import payments --prune from inside the repository", 4, []string{"PM-1-1"})
	importFrom(repo.root, ".", "--source.exclude=search/**")
	check("import . --source.exclude 'search/**' --prune from inside it", 4, []string{"PM-1-1"})
}
