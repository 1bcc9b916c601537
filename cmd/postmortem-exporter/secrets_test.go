package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postmortem-exporter/postmortem-exporter/collectors"
	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// testPassword is the database password TestPasswordNeverPrinted gives;
// it looks for each half of it, since a password may be shown in part
// (pgx shows what follows an escaped space, for one).
const testPassword = "S3cretPW"

var passwordHalves = []string{testPassword[:3], testPassword[3:]}

// TestPasswordNeverPrinted gives the built binary a database password in
// every way (POSTMORTEM_DATABASE_URL, POSTMORTEM_DATABASE_URL_FILE,
// --database.url) and every form (URL, keyword/value, one pgx cannot
// parse, a server that is down), runs every command with it, and serves
// for real, reading the logs, the landing page and the metrics: the
// password never appears. The records folder is a git clone whose origin
// URL holds the same secret as a token, which import's source name is
// read from, and the token is given as --source.name and
// POSTMORTEM_SOURCE_NAME too: it never appears either. So does a Jira
// token, read from the file the trackers file names, which the tracker
// refuses and quotes back to validate --trackers and import
// --trackers.file (TestTrackerClosesOverdueItem serves with one from a
// variable).
func TestPasswordNeverPrinted(t *testing.T) {
	pg := testenv.StartPostgres(t) // trust authentication: the password is sent and ignored
	bin := testenv.BuildExporter(t)
	records := t.TempDir()
	writeIncident(t, records, "PM-1", "sev1", "payments", 48*time.Hour, time.Hour)
	git(t, records, "init", "-q")
	git(t, records, "remote", "add", "origin", "https://x-access-token:"+testPassword+"@example.com/pm.git")
	const sourceName = "https://example.com/pm.git" // the origin without the token
	tokenURL := "https://u:" + testPassword + "@example.com/pm.git"
	// A tracker whose token (read from a file) holds the password, and
	// which refuses it, quoting it back.
	writeTrackedItem(t, records, "PM-2")
	jira, apiURL := newFakeJiraCloud(t)
	jira.set("done", true)
	trackersFile := filepath.Join(t.TempDir(), "trackers.yaml")
	writeTrackersFile(t, trackersFile, apiURL, "token_file: "+writeSecret(t, jiraToken))

	databases := []struct {
		name, url string
		reachable bool
	}{
		{"URL", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", testPassword, pg.Port), true},
		{"keywords", fmt.Sprintf("host=127.0.0.1 port=%d user=postgres password=%s dbname=postgres sslmode=disable", pg.Port, testPassword), true},
		{"URL of a server that is down", "postgres://u:" + testPassword + "@127.0.0.1:1/db?connect_timeout=2", false},
		{"keywords of a server that is down", "password=" + testPassword + " host=127.0.0.1 port=1 user=u dbname=db connect_timeout=2", false},
		{"unparsable", `host=127.0.0.1 port=x password = S3c\ retPW`, false}, // = S3c retPW
		{"unparsable URL", "postgres://u:" + testPassword + "@127.0.0.1:x/db", false},
		// pgx reads "pm:55432" as the host and the rest as the database.
		{"URL with a '/' in the password", "postgres://pm:55432/" + testPassword + "@127.0.0.1:1/db?connect_timeout=2", false},
	}
	ways := []struct {
		name string
		set  func(url string) (env, args []string)
	}{
		{"POSTMORTEM_DATABASE_URL", func(url string) ([]string, []string) { return []string{"POSTMORTEM_DATABASE_URL=" + url}, nil }},
		{"POSTMORTEM_DATABASE_URL_FILE", func(url string) ([]string, []string) {
			return []string{"POSTMORTEM_DATABASE_URL_FILE=" + writeSecret(t, url)}, nil
		}},
		{"--database.url", func(url string) ([]string, []string) { return nil, []string{"--database.url=" + url} }},
	}
	commands := [][]string{
		{"--help"}, {"--help-long"}, {"--help-man"}, {"--version"}, {"help", "serve"}, {"help", "import"},
		{"serve", "--help"}, {"import", "--help"}, {"migrate", "--help"}, {"synthesize", "--help"},
		{"validate", "--help"}, {"generate", "--help"},
		{"serve", "--no-such-flag"}, {"import", "--no-such-flag", records},
		{"validate", records}, {"generate", t.TempDir()},
		{"migrate"}, {"synthesize", "--incidents=10"}, {"import", records}, {"import", "--prune", records},
		{"import", "--source.name=" + tokenURL, records},
		{"import", "--source.name=https://u:x/" + testPassword + "@example.com/pm.git", records},
		// Arguments nobody expects are not echoed with their credentials.
		{"migrate", "postgres://u:" + testPassword + "@127.0.0.1/db"},
		{"migrate", "postgres://u:55432/" + testPassword + "@127.0.0.1/db"},
		{"generate", t.TempDir(), "password=" + testPassword},
		// The tracker's token: refused by the tracker, which quotes it.
		{"validate", "--trackers", "--trackers.file=" + trackersFile, records},
		{"serve", "--trackers.file=" + trackersFile}, {"validate", "--help", "--trackers.file=" + trackersFile},
		{"import", "--trackers.file=" + trackersFile, records},
	}
	for _, db := range databases {
		for _, way := range ways {
			t.Run(db.name+"/"+way.name, func(t *testing.T) {
				t.Parallel()
				env, args := way.set(db.url)
				for _, command := range commands {
					out := runBinary(t, bin, env, append(command, args...)...)
					name := strings.Join(command, " ")
					checkNoPassword(t, name, out)
					// The source name is the origin's URL, token removed.
					imports := command[0] == "import" && command[len(command)-1] == records && !slices.Contains(command, "--no-such-flag")
					if imports && db.reachable && !strings.Contains(out, "(source "+sourceName+")") {
						t.Errorf("import does not import as source %s:\n%s", sourceName, out)
					}
					// The tracker is asked, with the token, and refuses it.
					if name == "validate --trackers --trackers.file="+trackersFile+" "+records && len(args) == 0 && !strings.Contains(out, "401 Unauthorized") {
						t.Errorf("validate --trackers did not reach the tracker:\n%s", out)
					}
					if name == "import --trackers.file="+trackersFile+" "+records && db.reachable && !strings.Contains(out, "401 Unauthorized") {
						t.Errorf("import --trackers.file did not reach the tracker:\n%s", out)
					}
					// The password-bearing URL is used, not ignored.
					if name == "migrate" && db.reachable && !strings.Contains(out, "the database schema is up to date") {
						t.Errorf("migrate did not reach the database:\n%s", out)
					}
					// Help says where the URL comes from (kingpin wraps the text).
					if name == "serve --help" && way.name != "--database.url" &&
						!strings.Contains(strings.Join(strings.Fields(out), " "), "(now set from "+way.name+")") {
						t.Errorf("serve --help does not say the database URL is set from %s:\n%s", way.name, out)
					}
				}
				sourceEnv := append(slices.Clone(env), envSourceName+"="+tokenURL)
				for _, command := range [][]string{{"import", "--help"}, {"help", "import"}, {"import", records}} {
					out := runBinary(t, bin, sourceEnv, append(command, args...)...)
					checkNoPassword(t, envSourceName+" "+strings.Join(command, " "), out)
				}
				serveAndCheck(t, bin, env, args, db.reachable, strings.HasPrefix(db.name, "unparsable"))
			})
		}
	}
}

// serveAndCheck serves with the database given by env and args, reads the
// landing page and the metrics once the first refresh is done, stops the
// exporter and checks that nothing it showed holds the password.
func serveAndCheck(t *testing.T, bin string, env, args []string, reachable, unparsable bool) {
	t.Helper()
	addr := testenv.FreeAddr(t)
	args = append([]string{"serve", "--web.listen-address=" + addr, "--migrate", "--refresh.interval=1s", "--refresh.timeout=3s"}, args...)
	if unparsable { // serve refuses to start
		out := runBinary(t, bin, env, args...)
		checkNoPassword(t, "serve", out)
		if !strings.Contains(out, "cannot parse the connection string") {
			t.Errorf("serve with an unparsable database URL does not say so:\n%s", out)
		}
		return
	}
	var e *testenv.Exporter
	// Registered before Start, this runs after the exporter is stopped:
	// the shutdown's log lines are read too.
	t.Cleanup(func() { checkNoPassword(t, "serve (logs)", e.Output()) })
	e = &testenv.Exporter{Process: testenv.Start(t, env, bin, args...), Addr: addr}
	base := "http://" + addr
	testenv.WaitHTTP(t, base+"/-/healthy", 30*time.Second)
	want := 0.0
	if reachable {
		want = 1
	}
	waitValue(t, "source_up", want, func() (float64, bool) {
		return scrapeValue(t, e, collectors.MetricSourceUp, map[string]string{"source": "postgres"})
	})
	checkNoPassword(t, "GET /", testenv.Get(t, base+"/"))
	checkNoPassword(t, "GET /metrics", e.Scrape(t))
}

// runBinary runs the exporter binary to its end and returns its stdout and
// stderr.
func runBinary(t *testing.T, bin string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	out, _ := cmd.CombinedOutput() // many of these fail on purpose
	return string(out)
}

func checkNoPassword(t *testing.T, what, out string) {
	t.Helper()
	for _, half := range passwordHalves {
		if strings.Contains(out, half) {
			t.Errorf("%s printed the password (%q):\n%s", what, half, out)
		}
	}
}
