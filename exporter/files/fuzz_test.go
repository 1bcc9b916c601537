package files

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
	"github.com/postmortem-exporter/postmortem-exporter/exporter/snapshot"
)

// fuzzNames are the file names a fuzzed record is parsed as, one per format.
var fuzzNames = []string{"pm.md", "pm.yaml", "pm.json"}

// fuzzNow is the clock of the fuzz target: after every example.
var fuzzNow = time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC)

// FuzzParseAndCheck parses any bytes as a record file, checks the record,
// and serves it: nothing panics, every problem says where and why, a
// valid record is sound (its id read back the same, its times plausible
// and in order), and the collectors publish it.
func FuzzParseAndCheck(f *testing.F) {
	for _, dir := range []string{validDir, invalidDir} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			kind := slices.Index(fuzzNames, "pm"+filepath.Ext(path))
			if kind < 0 {
				kind = 0 // e.g. a .markdown file
			}
			f.Add(uint8(kind), data)
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	// Every label value 200 bytes long: more than the limits below.
	hostile := labelRecord
	for k := range labelDefaults {
		hostile = strings.ReplaceAll(hostile, "{{"+k+"}}", "https://"+strings.Repeat(k[:1], 192))
	}
	f.Add(uint8(0), []byte(hostile))
	lim := record.DefaultLimits()
	lim.MaxActionItems, lim.MaxListLength = 20, 20 // small, so the fuzzer reaches them
	lim.MaxLabelLength, lim.MaxURLLength = 64, 128
	rules := record.Rules{Taxonomy: record.DefaultTaxonomy(), Limits: lim, Now: fuzzNow}
	opts := snapshot.Options{
		Windows:    []snapshot.Window{{Name: "30d", Length: 30 * 24 * time.Hour}, {Name: "365d", Length: 365 * 24 * time.Hour}},
		Severities: rules.Taxonomy.Severities, TopServices: 3, OverdueItemsLimit: 5, LabelLimit: lim.MaxLabelLength,
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := fuzzNames[int(kind)%len(fuzzNames)]
		r, problems := Parse(name, data)
		if r == nil && len(problems) == 0 {
			// Not a record, skipped: only Markdown whose first line does
			// not open a front matter (a README).
			first, _, _ := strings.Cut(strings.TrimPrefix(string(data), "\ufeff"), "\n")
			if name != "pm.md" || strings.TrimSuffix(first, "\r") == "---" {
				t.Fatalf("%s: neither a record nor a problem", name)
			}
			return
		}
		var records []*record.Record
		if r != nil {
			records = append(records, r)
		}
		res := record.Check(records, problems, rules)
		for _, p := range res.Problems {
			if p.Path != name || p.Field == "" || strings.TrimSpace(p.Message) == "" || p.Line < 0 ||
				!slices.Contains(collectors.InvalidReasons, p.Code) {
				t.Errorf("problem without a place, a published reason or a message: %#v", p)
			}
		}
		// A file is either one valid record, or reported: never dropped.
		if len(res.Valid)+len(res.Invalid) != len(records) || (len(res.Valid) == 1) != (len(res.Problems) == 0) {
			t.Fatalf("%d records became %d valid and %d invalid with %d problems", len(records), len(res.Valid), len(res.Invalid), len(res.Problems))
		}
		for _, v := range res.Valid {
			checkSound(t, v, res.Verdict(v), rules, name, data)
		}
		// What is served never breaks a scrape: label values are valid
		// UTF-8 and within their limit, counts never negative.
		for _, mf := range gatherFamilies(t, snapshot.FromRecords(SourceName, res, fuzzNow, opts)) {
			for _, m := range mf.GetMetric() {
				if v := m.GetGauge().GetValue(); v < 0 {
					t.Errorf("%s %v = %g", mf.GetName(), m.GetLabel(), v)
				}
				for _, l := range m.GetLabel() {
					limit := lim.MaxLabelLength
					if l.GetName() == collectors.LabelTicketURL || l.GetName() == collectors.LabelRecordURL {
						limit = lim.MaxURLLength
					}
					if len(l.GetValue()) > limit {
						t.Errorf("%s: label %s is %d bytes, more than %d", mf.GetName(), l.GetName(), len(l.GetValue()), limit)
					}
				}
			}
		}
	})
}

// checkSound asserts what every valid record guarantees.
func checkSound(t *testing.T, v *record.Record, verdict record.Verdict, rules record.Rules, name string, data []byte) {
	t.Helper()
	again, _ := Parse(name, data)
	if v.ID == "" || again == nil || again.ID != v.ID || strings.TrimSpace(v.ID) != v.ID {
		t.Errorf("a valid record's id %q does not read back the same", v.ID)
	}
	for _, s := range append([]string{v.ID, v.Team, v.Severity, v.Origin, v.Detection, v.Resolution}, v.Services...) {
		if !utf8.ValidString(s) {
			t.Errorf("a label value is not UTF-8: %q", s)
		}
	}
	latest := rules.Now.Add(rules.Limits.MaxClockSkew)
	maxSeconds := rules.Limits.MaxDuration.Seconds()
	for _, tm := range []time.Time{v.StartedAt, v.DetectedAt, v.MitigatedAt, v.ResolvedAt, v.PublishedAt} {
		if !tm.IsZero() && (tm.Before(record.Earliest) || tm.After(latest)) {
			t.Errorf("a valid record holds an implausible time %s", tm)
		}
	}
	durations := []float64{v.TimeToDetect()}
	if v.Mitigated() {
		durations = append(durations, v.TimeToMitigate())
	}
	if v.Resolved() {
		durations = append(durations, v.TimeToRecover())
	}
	for _, a := range v.ActionItems {
		if !a.ClosedAt.IsZero() {
			durations = append(durations, record.Seconds(a.CreatedAt, a.ClosedAt))
		}
		// An item without an owner keeps its record valid: it is a finding
		// of action_item_owner (issue 12), which must then be reported.
		if a.Owner == "" && !hasFinding(verdict, record.RuleActionItemOwner) || !utf8.ValidString(a.Owner) || !utf8.ValidString(a.ID) {
			t.Errorf("a valid record's action item has a bad owner or id, and no finding says so: %+v", a)
		}
	}
	for _, d := range durations {
		if d < 0 || d > maxSeconds {
			t.Errorf("a valid record has a duration of %g s", d)
		}
	}
	if len(v.ActionItems) > rules.Limits.MaxActionItems || len(v.Services) > rules.Limits.MaxListLength || len(v.Related) > rules.Limits.MaxListLength {
		t.Errorf("a valid record is over a list limit: %d items, %d services, %d related", len(v.ActionItems), len(v.Services), len(v.Related))
	}
}

// hasFinding reports whether a record's verdict holds a finding of the
// rule.
func hasFinding(v record.Verdict, rule string) bool {
	return slices.ContainsFunc(v.Findings, func(p record.Problem) bool { return p.Rule == rule })
}
