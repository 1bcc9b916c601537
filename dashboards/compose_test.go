package dashboards_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
		Image   string   `yaml:"image"`
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
	checkImages(t, cfg)
}

// currentImages are the image tags the stack must pin: an exact release
// (no floating tag) of a current major version.
var currentImages = map[string]*regexp.Regexp{
	"prometheus":   regexp.MustCompile(`^prom/prometheus:v3\.\d+\.\d+$`),
	"alertmanager": regexp.MustCompile(`^prom/alertmanager:v0\.(2[89]|[3-9]\d)\.\d+$`),
	"grafana":      regexp.MustCompile(`^grafana/grafana:12\.\d+\.\d+$`),
	"postgres":     regexp.MustCompile(`^postgres:1[78]\.\d+$`),
}

// checkImages checks the pinned images, and that PostgreSQL 18's volume is
// on /var/lib/postgresql, where its image keeps the data (it refuses a
// volume on the older /var/lib/postgresql/data).
func checkImages(t *testing.T, cfg composeConfig) {
	t.Helper()
	for name, want := range currentImages {
		if image := cfg.Services[name].Image; !want.MatchString(image) {
			t.Errorf("service %s runs %q, want an exact tag matching %s", name, image, want)
		}
	}
	if strings.HasPrefix(cfg.Services["postgres"].Image, "postgres:18") &&
		!slices.Contains(cfg.Services["postgres"].Volumes, "postgres-data:/var/lib/postgresql:rw") {
		t.Errorf("PostgreSQL 18 needs its volume on /var/lib/postgresql: %v", cfg.Services["postgres"].Volumes)
	}
}

// TestPrometheusConfig has promtool check the compose stack's
// prometheus.yml and, through it, the rules it loads. Debian's promtool is
// 2.42: the file uses no field Prometheus 2 and 3 read differently.
func TestPrometheusConfig(t *testing.T) {
	promtool := testenv.RequireCommand(t, "promtool")
	cmd := exec.Command(promtool, "check", "config", "prometheus.yml")
	cmd.Dir = filepath.Join(deployDir, "prometheus")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS: 1 rule files found") {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}

// Grafana's classic file provisioning (apiVersion 1), the fields this stack
// uses, as documented for Grafana 12:
// https://grafana.com/docs/grafana/v12.4/administration/provisioning/
type grafanaDashboards struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name            string `yaml:"name"`
		OrgID           int    `yaml:"orgId"`
		Folder          string `yaml:"folder"`
		FolderUID       string `yaml:"folderUid"`
		Type            string `yaml:"type"`
		DisableDeletion bool   `yaml:"disableDeletion"`
		UpdateInterval  int    `yaml:"updateIntervalSeconds"`
		AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
		Options         struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

type grafanaDatasources struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string `yaml:"name"`
		Type      string `yaml:"type"`
		UID       string `yaml:"uid"`
		Access    string `yaml:"access"`
		OrgID     int    `yaml:"orgId"`
		URL       string `yaml:"url"`
		IsDefault bool   `yaml:"isDefault"`
		Editable  bool   `yaml:"editable"`
		JSONData  struct {
			TimeInterval   string `yaml:"timeInterval"`
			HTTPMethod     string `yaml:"httpMethod"`
			PrometheusType string `yaml:"prometheusType"`
		} `yaml:"jsonData"`
	} `yaml:"datasources"`
}

// decodeStrict decodes a YAML file into out, refusing unknown fields.
func decodeStrict(t *testing.T, path string, out any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestGrafanaProvisioning decodes the provisioning files strictly into
// Grafana's documented format and checks they fit the stack: the
// dashboards' folder is where compose mounts the generated dashboards, the
// data source is the compose Prometheus (uid prometheus, the default),
// and its timeInterval is Prometheus's scrape_interval, so that
// $__rate_interval spans four scrapes (a shorter one, e.g. Grafana's 15s
// default, leaves rate() with too few samples).
func TestGrafanaProvisioning(t *testing.T) {
	var providers grafanaDashboards
	decodeStrict(t, filepath.Join(deployDir, "grafana/provisioning/dashboards/postmortem.yml"), &providers)
	if providers.APIVersion != 1 || len(providers.Providers) != 1 || providers.Providers[0].Type != "file" ||
		providers.Providers[0].Options.Path != "/var/lib/grafana/dashboards" || providers.Providers[0].Folder != "Post-mortems" {
		t.Errorf("dashboard provider %+v, want apiVersion 1 and one file provider of /var/lib/grafana/dashboards into Post-mortems", providers)
	}
	var sources grafanaDatasources
	decodeStrict(t, filepath.Join(deployDir, "grafana/provisioning/datasources/prometheus.yml"), &sources)
	var prom struct {
		Global struct {
			ScrapeInterval string `yaml:"scrape_interval"`
		} `yaml:"global"`
	}
	data, err := os.ReadFile(filepath.Join(deployDir, "prometheus/prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &prom); err != nil {
		t.Fatal(err)
	}
	if sources.APIVersion != 1 || len(sources.Datasources) != 1 {
		t.Fatalf("data sources %+v, want apiVersion 1 and one", sources)
	}
	ds := sources.Datasources[0]
	if ds.Type != "prometheus" || ds.UID != "prometheus" || ds.URL != "http://prometheus:9090" || !ds.IsDefault {
		t.Errorf("data source %+v, want the default prometheus, uid prometheus, at http://prometheus:9090", ds)
	}
	if ds.JSONData.TimeInterval != prom.Global.ScrapeInterval || ds.JSONData.TimeInterval == "" {
		t.Errorf("data source timeInterval %q, want Prometheus's scrape_interval %q", ds.JSONData.TimeInterval, prom.Global.ScrapeInterval)
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
