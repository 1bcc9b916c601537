package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// narrowedState is what a reload that narrows the taxonomy changes.
type narrowedState struct {
	valid, invalid, incidentsUp, sev1, sev1Share float64
}

func scrapeNarrowedState(t *testing.T, e *testenv.Exporter) narrowedState {
	t.Helper()
	f := parseMetrics(t, e.Scrape(t))
	return narrowedState{
		valid:       sum(f, collectors.MetricRecordsValid, nil),
		invalid:     sum(f, collectors.MetricRecordsInvalid, map[string]string{"reason": "invalid_value"}),
		incidentsUp: sum(f, collectors.MetricCollectorSuccess, map[string]string{"collector": "incidents"}),
		sev1:        sum(f, collectors.MetricIncidents, map[string]string{"window": "30d", "severity": "sev1"}),
		sev1Share:   sum(f, collectors.MetricSeverityShare, map[string]string{"window": "30d", "severity": "sev1"}),
	}
}

// TestSIGHUPNarrowingTheTaxonomy serves a sev1 and a sev4 post-mortem from
// files and, imported, from PostgreSQL, then takes sev4 out of the
// taxonomy with a SIGHUP. Both exporters then count the sev4 record as
// invalid and serve the sev1 with a share of 1, as a restart would. Before
// the fix the files source kept the unchanged sev4 file in its "last
// valid version": 2 valid records, and the incidents collector failed on
// every scrape (postmortem_incidents and the severity share gone, the
// sev1 included), while PostgreSQL said 1 valid, 1 invalid.
func TestSIGHUPNarrowingTheTaxonomy(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-4", "sev4", "search", 24*time.Hour, time.Hour)
	if code, stdout, stderr := runCLI(t, "import", "--database.url="+pg.URL, dir); code != exitOK {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	taxonomy := filepath.Join(t.TempDir(), "taxonomy.yaml")
	writeConfig(t, taxonomy, "severities: [sev1, sev2, sev3, sev4]\n")
	fromFiles := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true, Args: []string{
		"--source.dir=" + dir, "--taxonomy.file=" + taxonomy, "--refresh.interval=1h",
	}})
	fromDatabase := testenv.StartExporterWith(t, testenv.ExporterOptions{Race: true,
		Env:  []string{"POSTMORTEM_DATABASE_URL_FILE=" + writeSecret(t, pg.URL)},
		Args: []string{"--taxonomy.file=" + taxonomy, "--refresh.interval=1h"},
	})
	exporters := map[string]*testenv.Exporter{"files": fromFiles, "postgres": fromDatabase}
	waitBoth := func(what string, want narrowedState) {
		t.Helper()
		for name, e := range exporters {
			testenv.Eventually(t, 20*time.Second, func() error {
				if got := scrapeNarrowedState(t, e); got != want {
					return fmt.Errorf("%s, %s: %+v, want %+v", what, name, got, want)
				}
				return nil
			})
		}
	}
	// Two incidents in 30d, one sev1: a share of 1/2.
	waitBoth("at start", narrowedState{valid: 2, invalid: 0, incidentsUp: 1, sev1: 1, sev1Share: 0.5})

	writeConfig(t, taxonomy, "severities: [sev1, sev2, sev3]\n")
	for _, e := range exporters {
		if err := e.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	waitBoth("without sev4", narrowedState{valid: 1, invalid: 1, incidentsUp: 1, sev1: 1, sev1Share: 1})
}

// TestNULRefusedByValidateAndImport writes an escaped NUL into a title
// (`title: "Checkout\0 API"`). Before the fix `validate` passed it and
// `import` failed with PostgreSQL's `invalid byte sequence for encoding
// "UTF8": 0x00`, rolling back the batch, PM-1 included. Now `validate`
// names the file, line and field, and `import` stores PM-1 and reports
// PM-2 with the same problem.
func TestNULRefusedByValidateAndImport(t *testing.T) {
	pg, count := startDatabase(t)
	dir := t.TempDir()
	writeIncident(t, dir, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	writeIncident(t, dir, "PM-2", "sev2", "payments", 24*time.Hour, time.Hour)
	bad := filepath.Join(dir, "PM-2.md")
	data, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(string(data), "title: incident PM-2", `title: "Checkout\0 API"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	problem := bad + ":3: title: holds a NUL character"
	code, stdout, stderr := runCLI(t, "validate", dir)
	if code != exitInvalid || !strings.Contains(stdout+stderr, problem) {
		t.Errorf("validate: exit %d, want %d and %q:\n%s%s", code, exitInvalid, problem, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "import", "--database.url="+pg.URL, dir)
	if !strings.Contains(stdout+stderr, problem) || strings.Contains(stdout+stderr, "invalid byte sequence") {
		t.Errorf("import: exit %d, want %q and no PostgreSQL error:\n%s%s", code, problem, stdout, stderr)
	}
	if n := count(`SELECT count(*) FROM incidents WHERE id = 'PM-1'`); n != 1 || count(`SELECT count(*) FROM incidents`) != 1 {
		t.Errorf("PM-1 stored %d times, want it alone", n)
	}
}
