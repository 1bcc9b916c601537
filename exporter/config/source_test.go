package config

import (
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

// TestFileSourceSettings checks the defaults, the environment, and that
// repeated --source.exclude flags replace the environment's list instead
// of adding to it.
func TestFileSourceSettings(t *testing.T) {
	for _, tc := range []struct {
		environ     map[string]string
		args        []string
		wantExclude string
		wantSize    int64
	}{
		{map[string]string{}, nil, "", 4 << 20},
		{map[string]string{"POSTMORTEM_SOURCE_EXCLUDE": "templates/**,drafts/*.md", "POSTMORTEM_SOURCE_MAX_FILE_SIZE": "512KiB"}, nil,
			"templates/**|drafts/*.md", 512 << 10},
		{map[string]string{"POSTMORTEM_SOURCE_EXCLUDE": "templates/**", "POSTMORTEM_SOURCE_MAX_FILE_SIZE": "1000"},
			[]string{"--source.exclude=a/**", "--source.exclude=b", "--source.max-file-size=2MB"}, "a/**|b", 2 << 20},
	} {
		c, err := FromEnv(tc.environ, Serve)
		if err != nil {
			t.Fatal(err)
		}
		app := kingpin.New("test", "")
		c.AddFlags(app.Command("serve", "").Default(), Serve)
		if _, err := app.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		opts, err := c.FileSource.ReadOptions()
		if err != nil || strings.Join(opts.Exclude, "|") != tc.wantExclude || opts.MaxFileSize != tc.wantSize {
			t.Errorf("%v %v: got %+v, %v; want exclude %s, size %d", tc.environ, tc.args, opts, err, tc.wantExclude, tc.wantSize)
		}
	}
}

// TestFileSourceBadSize checks a bad size names its variable.
func TestFileSourceBadSize(t *testing.T) {
	_, err := FromEnv(map[string]string{"POSTMORTEM_SOURCE_MAX_FILE_SIZE": "4 tons"}, Folder)
	if err == nil || !strings.Contains(err.Error(), "POSTMORTEM_SOURCE_MAX_FILE_SIZE") {
		t.Fatalf("got %v, want an error naming POSTMORTEM_SOURCE_MAX_FILE_SIZE", err)
	}
}
