package refresh

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// scriptedSource returns its next snapshot or error on each refresh and
// remembers the rules of each.
type scriptedSource struct {
	steps []func(asOf time.Time) (*snapshot.Snapshot, error)
	rules []record.Config
}

func (s *scriptedSource) Name() string { return "files" }

func (s *scriptedSource) Snapshot(_ context.Context, asOf time.Time, rules record.Config) (*snapshot.Snapshot, error) {
	step := s.steps[0]
	s.steps = s.steps[1:]
	s.rules = append(s.rules, rules)
	return step(asOf)
}

// newRefresher refreshes src with the default rules, logging to logs.
func newRefresher(src Source, logs *bytes.Buffer) *Refresher {
	return New(Config{Source: src, Rules: defaultRules(), Timeout: time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: time.Now})
}

func defaultRules() record.Config {
	return record.Config{Taxonomy: record.DefaultTaxonomy(), Quality: record.DefaultQuality()}
}

func withProblems(problems ...record.Problem) func(time.Time) (*snapshot.Snapshot, error) {
	return func(asOf time.Time) (*snapshot.Snapshot, error) {
		return &snapshot.Snapshot{Source: "files", AsOf: asOf, Problems: problems}, nil
	}
}

func failing(time.Time) (*snapshot.Snapshot, error) { return nil, errors.New("folder is gone") }

func TestProblemsAreLoggedOnceAndFailuresKeepTheLastSnapshot(t *testing.T) {
	bad := record.Problem{Path: "a.md", Line: 3, Field: "severity", Code: record.CodeInvalidValue, Message: "unknown value"}
	other := record.Problem{Path: "b.md", Line: 1, Field: "front_matter", Code: record.CodeMalformed, Message: "no front matter"}
	src := &scriptedSource{steps: []func(time.Time) (*snapshot.Snapshot, error){
		withProblems(bad), withProblems(bad, other), failing, withProblems(bad),
	}}
	var logs bytes.Buffer
	r := newRefresher(src, &logs)
	if r.Ready() {
		t.Fatal("ready before the first refresh")
	}
	for i := 0; i < 2; i++ {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "path=a.md"); n != 1 {
		t.Fatalf("a.md logged %d times over two refreshes, want once:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "path=b.md"); n != 1 {
		t.Fatalf("b.md, new in the second refresh, logged %d times, want once", n)
	}
	good, _ := r.Current()

	if err := r.Refresh(context.Background()); err == nil {
		t.Fatal("the failing refresh returned no error")
	}
	snap, status := r.Current()
	if snap != good || status.Up || status.Errors != 1 || !r.Ready() {
		t.Fatalf("after a failure: same snapshot %v, up %v, errors %d; want the last good one, down, 1 error", snap == good, status.Up, status.Errors)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, status := r.Current(); !status.Up {
		t.Fatal("the source did not come back up")
	}
}

// TestInconsistentSnapshotFailsTheRefresh: a snapshot whose histogram
// counts went below zero (an unmatched take-back wraps a uint64 around to
// about 1.8e19) is refused like an unreadable source, with an error that
// says where, and the last good snapshot stays.
func TestInconsistentSnapshotFailsTheRefresh(t *testing.T) {
	wrapped := func(asOf time.Time) (*snapshot.Snapshot, error) {
		ws := snapshot.NewWindowStats(snapshot.Window{Name: "30d", Length: 30 * 24 * time.Hour})
		st := snapshot.NewIncidentStats()
		st.TimeToRecover.Counts[0]-- // 0 − 1
		st.TimeToRecover.Count--
		ws.Incidents[snapshot.SeverityTeam{Severity: "sev1", Team: "payments"}] = st
		return &snapshot.Snapshot{Source: "files", AsOf: asOf, Windows: []snapshot.WindowStats{ws}}, nil
	}
	var logs bytes.Buffer
	r := newRefresher(&scriptedSource{steps: []func(time.Time) (*snapshot.Snapshot, error){withProblems(), wrapped}}, &logs)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	good, _ := r.Current()
	err := r.Refresh(context.Background())
	if err == nil {
		t.Fatal("a snapshot with counts below zero was accepted")
	}
	for _, want := range []string{"window 30d, severity sev1, team payments: time to recover", "bucket le=300 holds -1 observations"} {
		if !strings.Contains(err.Error(), want) || !strings.Contains(logs.String(), want) {
			t.Errorf("error %q (and the log) should say %q", err, want)
		}
	}
	if snap, status := r.Current(); snap != good || status.Up || status.Errors != 1 {
		t.Fatalf("after the refused snapshot: same snapshot %v, up %v, errors %d; want the last good one, down, 1 error", snap == good, status.Up, status.Errors)
	}
}

// TestReloadKeepsTheRulesUntilGoodOnes: a taxonomy or quality file that
// does not load is rejected, logged and counted, and refreshes keep the
// current taxonomy and quality rules; good ones apply together from the
// next refresh.
func TestReloadKeepsTheRulesUntilGoodOnes(t *testing.T) {
	next := defaultRules()
	next.Taxonomy.Severities = append([]string{"sev0"}, next.Taxonomy.Severities...)
	next.Quality.Severity[record.RulePublishedLate] = record.SeverityOff
	loads := []func() (record.Config, error){
		func() (record.Config, error) {
			return next, errors.New("taxonomy t.yaml: severities[1]: \"sev1\" listed twice")
		},
		func() (record.Config, error) { return next, nil },
	}
	src := &scriptedSource{steps: []func(time.Time) (*snapshot.Snapshot, error){withProblems(), withProblems(), withProblems()}}
	var logs bytes.Buffer
	r := New(Config{Source: src, Rules: defaultRules(), Timeout: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: time.Now,
		Load: func() (record.Config, error) {
			load := loads[0]
			loads = loads[1:]
			return load()
		}})
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	if err := r.Reload(); err == nil {
		t.Fatal("a bad configuration was accepted")
	}
	if _, st := r.Current(); !st.ReloadFailed || st.ReloadErrors != 1 {
		t.Fatalf("after a bad reload: failed %v, errors %d; want true, 1", st.ReloadFailed, st.ReloadErrors)
	}
	if !strings.Contains(logs.String(), "listed twice") {
		t.Errorf("the rejected taxonomy is not logged:\n%s", logs.String())
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, st := r.Current(); st.ReloadFailed || st.ReloadErrors != 1 {
		t.Fatalf("after a good reload: failed %v, errors %d; want false, still 1", st.ReloadFailed, st.ReloadErrors)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	type used struct {
		severities []string
		late       record.Severity
	}
	var got []used
	for _, rules := range src.rules {
		got = append(got, used{rules.Taxonomy.Severities, rules.Quality.SeverityOf(record.RulePublishedLate)})
	}
	old := used{[]string{"sev1", "sev2", "sev3", "sev4"}, record.SeverityWarning}
	want := []used{old, old, {[]string{"sev0", "sev1", "sev2", "sev3", "sev4"}, record.SeverityOff}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("severities and published_late of the three refreshes: %+v, want %+v", got, want)
	}
	if !strings.Contains(logs.String(), "quality_rules_off=[published_late]") {
		t.Errorf("the reload does not log the rules turned off:\n%s", logs.String())
	}
}

// TestPeriodTeamsChangeIsLogged: whether the period metrics carry the team
// is logged once on the first snapshot, then only when it changes, as
// --periods.by-team=auto does when the number of teams crosses its limit.
func TestPeriodTeamsChangeIsLogged(t *testing.T) {
	withTeams := func(teams int) func(time.Time) (*snapshot.Snapshot, error) {
		return func(asOf time.Time) (*snapshot.Snapshot, error) {
			return &snapshot.Snapshot{Source: "files", AsOf: asOf, Periods: make([]snapshot.PeriodStats, 13),
				Teams: teams, PeriodTeamsLimit: 57, PeriodsByTeam: teams <= 57}, nil
		}
	}
	src := &scriptedSource{steps: []func(time.Time) (*snapshot.Snapshot, error){
		withTeams(4), withTeams(57), withTeams(58), withTeams(60), withTeams(50),
	}}
	var logs bytes.Buffer
	r := newRefresher(src, &logs)
	for range 5 {
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	want := []string{
		`msg="period metrics by team: the trend dashboard narrows by team" teams=4 auto_teams_limit=57`,
		`msg="period metrics summed over the teams: the trend dashboard shows all teams only" teams=58 auto_teams_limit=57`,
		`msg="period metrics by team: the trend dashboard narrows by team" teams=50 auto_teams_limit=57`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d log lines, want %d:\n%s", len(lines), len(want), logs.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d = %s, want it to end with %s", i, lines[i], w)
		}
	}
}
