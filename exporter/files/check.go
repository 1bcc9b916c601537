package files

import (
	"context"
	"io/fs"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// CheckDir reads the records under dir, as ReadDir does, and checks them
// against rules: what `validate` and `import` report. It returns what the
// read found, every record read valid or not among it, and the result of
// the check.
func CheckDir(ctx context.Context, dir string, opts Options, rules record.Rules) (*Folder, record.Result, error) {
	return check(ctx, nil, dir, opts, Parse, 0, rules)
}

// Check reads and checks the records as a refresh of s does (the bundled
// examples shifted as of asOf), keeping nothing for the next refresh: the
// records of the report's CSV. As a refresh, it keeps of each finding only
// what counting and listing it needs (record.Rules.CountFindings).
func (s *Source) Check(ctx context.Context, asOf time.Time, cfg record.Config) (*Folder, record.Result, error) {
	return check(ctx, s.FS, s.Dir, s.ReadOptions, Parse, s.shiftAsOf(asOf), s.rules(cfg))
}

// shiftAsOf is how far the records of s move for a refresh as of asOf.
func (s *Source) shiftAsOf(asOf time.Time) time.Duration {
	if s.Shift == nil {
		return 0
	}
	return s.Shift(asOf)
}

// rules are cfg and the limits of s as a refresh checks them now,
// counting the findings.
func (s *Source) rules(cfg record.Config) record.Rules {
	rules := cfg.Rules(s.Limits, time.Now())
	rules.CountFindings = true
	return rules
}

// check reads the records under dir, or in fsys when it is not nil (dir
// then only names the folder in paths), with parse, moves their times by
// shift, and checks them against rules.
func check(ctx context.Context, fsys fs.FS, dir string, opts Options, parse parseFunc, shift time.Duration, rules record.Rules) (*Folder, record.Result, error) {
	var folder *Folder
	var err error
	if fsys == nil {
		folder, err = readDir(ctx, dir, opts, parse)
	} else {
		folder, err = read(ctx, fsys, dir, opts, parse)
	}
	if err != nil {
		return nil, record.Result{}, err
	}
	if shift != 0 {
		for _, r := range folder.Records {
			r.Shift(shift)
		}
	}
	return folder, record.Check(folder.Records, folder.Problems, rules), nil
}
