package dashboards_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

// composeConfig is the part of `docker-compose config` the test reads.
type composeConfig struct {
	Services map[string]struct {
		Volumes []string `yaml:"volumes"`
		Command []string `yaml:"command"`
	} `yaml:"services"`
}

// TestComposeFile has Debian's docker-compose validate docker-compose.yml,
// and checks every file it mounts exists and, under deploy/, is exactly
// what the code generates.
func TestComposeFile(t *testing.T) {
	compose := testenv.RequireCommand(t, "docker-compose")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(compose, "-f", filepath.Join(root, "docker-compose.yml"), "config")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, stderr.String())
	}
	var cfg composeConfig
	if err := yaml.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	files := generated(t)
	deploy := filepath.Join(root, "deploy") + string(filepath.Separator)
	mounts := 0
	for name, svc := range cfg.Services {
		for _, v := range svc.Volumes {
			source, _, _ := strings.Cut(v, ":")
			if !filepath.IsAbs(source) {
				continue // a named volume
			}
			mounts++
			info, err := os.Stat(source)
			if err != nil {
				t.Errorf("service %s mounts %s: %v", name, source, err)
				continue
			}
			rel, inDeploy := strings.CutPrefix(source, deploy)
			switch {
			case !inDeploy:
			case info.IsDir():
				for gen := range files {
					if strings.HasPrefix(gen, rel+"/") {
						if _, err := os.Stat(filepath.Join(source, strings.TrimPrefix(gen, rel+"/"))); err != nil {
							t.Errorf("service %s mounts %s without the generated %s", name, source, gen)
						}
					}
				}
			default:
				if want, ok := files[rel]; ok {
					got, _ := os.ReadFile(source)
					if !bytes.Equal(got, want) {
						t.Errorf("service %s mounts %s, which is not what the code generates", name, source)
					}
				}
			}
		}
	}
	if !keepsDays(cfg.Services["prometheus"].Command, 400) {
		t.Errorf("Prometheus must keep at least 400 days (--storage.tsdb.retention.time), to compare a month with the same month a year before: %v",
			cfg.Services["prometheus"].Command)
	}
	if mounts < 4 {
		t.Fatalf("only %d file mounts found in docker-compose.yml", mounts)
	}
}

// keepsDays reports whether Prometheus's command keeps at least days of data.
func keepsDays(command []string, days int) bool {
	for _, arg := range command {
		if v, ok := strings.CutPrefix(arg, "--storage.tsdb.retention.time="); ok {
			d, err := model.ParseDuration(v)
			return err == nil && time.Duration(d) >= time.Duration(days)*24*time.Hour
		}
	}
	return false
}
