package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/postmortem-exporter/postmortem-exporter/exporter/record"
)

// fuzzPassword is in the fuzzed database URL: no error may print it.
const fuzzPassword = "fuzz-s3cret-pw"

// FuzzFromEnv reads the configuration from fuzzed variables: nothing
// panics, every error names what is wrong, and no error prints the
// database password; an accepted configuration is usable (windows
// positive, distinct and sorted, limits positive).
func FuzzFromEnv(f *testing.F) {
	f.Add("30d,90d,365d", "1m", "50", "1000", "365d", "5m", "100", "100", "postgres://u:"+fuzzPassword+"@db/pm")
	f.Add("7d,30d", "5m", "0", "-1", "0s", "1h", "0", "1", "postgres://u:"+fuzzPassword+"@db:x/pm")
	f.Add("30d,1month,30d", "soon", "many", "x", "a year", "-5m", "1e3", "", "%zz:"+fuzzPassword)
	f.Add(",,", "0s", "9999999999999999999", "1", "9999y", "0", "2147483648", "-0", "")
	f.Fuzz(func(t *testing.T, windows, interval, top, overdue, maxDuration, skew, maxItems, maxList, url string) {
		environ := map[string]string{
			"POSTMORTEM_WINDOWS": windows, "POSTMORTEM_REFRESH_INTERVAL": interval, "POSTMORTEM_TOP_SERVICES": top,
			"POSTMORTEM_OVERDUE_ITEMS_LIMIT": overdue, "POSTMORTEM_RECORDS_MAX_DURATION": maxDuration,
			"POSTMORTEM_RECORDS_MAX_CLOCK_SKEW": skew, "POSTMORTEM_RECORDS_MAX_ACTION_ITEMS": maxItems,
			"POSTMORTEM_RECORDS_MAX_LIST_LENGTH": maxList, "POSTMORTEM_DATABASE_URL": url,
		}
		c, err := FromEnv(environ, Serve)
		if err != nil {
			checkError(t, err, url)
			return
		}
		opts, err := c.SnapshotOptions(record.DefaultTaxonomy())
		if err != nil {
			checkError(t, err, url)
		} else {
			if len(opts.Windows) == 0 || opts.TopServices < 1 || opts.OverdueItemsLimit < 0 {
				t.Errorf("accepted %+v", opts)
			}
			for i, w := range opts.Windows {
				if w.Length <= 0 || w.Name == "" || i > 0 && w.Length <= opts.Windows[i-1].Length {
					t.Errorf("accepted windows %+v", opts.Windows)
				}
			}
		}
		lim, err := c.Limits()
		if err != nil {
			checkError(t, err, url)
		} else if lim.MaxDuration <= 0 || lim.MaxClockSkew < 0 || lim.MaxActionItems < 1 || lim.MaxListLength < 1 ||
			lim.MaxLabelLength < 1 || lim.MaxURLLength < 1 {
			t.Errorf("accepted %+v", lim)
		}
	})
}

// checkError asserts an error names a variable or flag and keeps the
// database URL's password to itself.
func checkError(t *testing.T, err error, url string) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(url, fuzzPassword) && strings.Contains(msg, fuzzPassword) {
		t.Errorf("an error prints the database password: %s", msg)
	}
	for _, line := range strings.Split(msg, "\n") {
		if !slices.ContainsFunc([]string{EnvPrefix, "windows", "services.top", "overdue-items", "refresh.", "web.", "records."},
			func(name string) bool { return strings.Contains(line, name) }) {
			t.Errorf("an error names no setting: %q", line)
		}
	}
}
