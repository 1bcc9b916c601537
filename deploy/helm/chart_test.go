// Package helm_test renders the chart under postmortem-exporter/ with
// Helm's Go SDK for several value sets, decodes every object strictly
// into its Kubernetes or Prometheus Operator Go type, and checks the
// objects `generate` writes to deploy/kubernetes/ the same way.
package helm_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/exporter-toolkit/web"
	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/postmortem-exporter/postmortem-exporter/internal/testenv"
)

const (
	chartDir    = "postmortem-exporter"
	deployDir   = ".."
	namespace   = "monitoring"
	release     = "pme"
	fullname    = "pme-postmortem-exporter"
	exporterUID = 65532
)

// objects are the decoded objects of one rendering, by kind.
type objects struct {
	deployments     []appsv1.Deployment
	services        []corev1.Service
	configMaps      []corev1.ConfigMap
	secrets         []corev1.Secret
	jobs            []batchv1.Job
	serviceMonitors []monitoringv1.ServiceMonitor
	prometheusRules []monitoringv1.PrometheusRule
}

// documentSeparator separates the documents of a YAML stream.
var documentSeparator = regexp.MustCompile(`(?m)^---$`)

// decode adds every document of a YAML stream to o, decoded strictly
// into the Go type of its kind: an unknown or misspelled field fails.
func (o *objects) decode(t *testing.T, source, stream string) {
	t.Helper()
	for i, doc := range documentSeparator.Split(stream, -1) {
		var head struct{ Kind string }
		if err := sigsyaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("%s, document %d: %v", source, i, err)
		}
		var err error
		switch head.Kind {
		case "":
			continue // only comments
		case "Deployment":
			o.deployments = append(o.deployments, strict[appsv1.Deployment](doc, &err))
		case "Service":
			o.services = append(o.services, strict[corev1.Service](doc, &err))
		case "ConfigMap":
			o.configMaps = append(o.configMaps, strict[corev1.ConfigMap](doc, &err))
		case "Secret":
			o.secrets = append(o.secrets, strict[corev1.Secret](doc, &err))
		case "Job":
			o.jobs = append(o.jobs, strict[batchv1.Job](doc, &err))
		case "ServiceMonitor":
			o.serviceMonitors = append(o.serviceMonitors, strict[monitoringv1.ServiceMonitor](doc, &err))
		case "PrometheusRule":
			o.prometheusRules = append(o.prometheusRules, strict[monitoringv1.PrometheusRule](doc, &err))
		default:
			t.Fatalf("%s, document %d: unexpected kind %q", source, i, head.Kind)
		}
		if err != nil {
			t.Fatalf("%s, document %d (%s): %v", source, i, head.Kind, err)
		}
	}
}

// strict decodes doc as the API server's strict field validation does:
// field names match case-sensitively (encoding/json would take
// readOnlyRootFileSystem for readOnlyRootFilesystem), and an unknown or
// duplicate field is an error.
func strict[T any](doc string, err *error) T {
	var v T
	data, yamlErr := sigsyaml.YAMLToJSONStrict([]byte(doc))
	if yamlErr != nil {
		*err = yamlErr
		return v
	}
	strictErrs, decodeErr := sigsjson.UnmarshalStrict(data, &v)
	*err = errors.Join(append(strictErrs, decodeErr)...)
	return v
}

// render renders the chart with the values given as YAML, as `helm
// install --dry-run` would: the values are merged with values.yaml and
// checked against values.schema.json.
func render(t *testing.T, values string) (objects, error) {
	t.Helper()
	chart, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := chartutil.ReadValues([]byte(values))
	if err != nil {
		t.Fatalf("the test's values: %v", err)
	}
	top, err := chartutil.ToRenderValues(chart, vals, chartutil.ReleaseOptions{Name: release, Namespace: namespace, IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		return objects{}, err
	}
	files, err := engine.Engine{Strict: true}.Render(chart, top)
	if err != nil {
		return objects{}, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var o objects
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		o.decode(t, name, files[name])
	}
	return o, nil
}

func mustRender(t *testing.T, values string) objects {
	t.Helper()
	o, err := render(t, values)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.deployments) != 1 || len(o.services) != 1 {
		t.Fatalf("want one Deployment and one Service, got %d and %d", len(o.deployments), len(o.services))
	}
	checkHardened(t, o.deployments[0].Spec.Template.Spec)
	for _, j := range o.jobs {
		checkHardened(t, j.Spec.Template.Spec)
	}
	return o
}

// checkHardened fails unless every container runs as a non-root user
// with a read-only root filesystem, no capability, the runtime's seccomp
// profile and resource requests.
func checkHardened(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	if psc := pod.SecurityContext; psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != exporterUID || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod security context %+v: want non-root user %d", pod.SecurityContext, exporterUID)
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		sc := c.SecurityContext
		switch {
		case sc == nil:
			t.Errorf("container %s: no security context", c.Name)
		case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
			t.Errorf("container %s: may run as root", c.Name)
		case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
			t.Errorf("container %s: writable root filesystem", c.Name)
		case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
			t.Errorf("container %s: privilege escalation allowed", c.Name)
		case sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
			t.Errorf("container %s: capabilities %+v, want all dropped", c.Name, sc.Capabilities)
		case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
			t.Errorf("container %s: seccomp %+v, want RuntimeDefault", c.Name, sc.SeccompProfile)
		}
		if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("container %s: resources %+v, want memory requests and limits", c.Name, c.Resources)
		}
	}
}

func container(t *testing.T, containers []corev1.Container, name string) corev1.Container {
	t.Helper()
	for _, c := range containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s", name)
	return corev1.Container{}
}

func volume(t *testing.T, pod corev1.PodSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %s", name)
	return corev1.Volume{}
}

// TestChartDefaults is everything off: the bundled examples, plain HTTP,
// no Prometheus Operator objects and no dashboards.
func TestChartDefaults(t *testing.T) {
	o := mustRender(t, "")
	if n := len(o.configMaps) + len(o.secrets) + len(o.jobs) + len(o.serviceMonitors) + len(o.prometheusRules); n != 0 {
		t.Errorf("%d objects besides the Deployment and the Service, want none", n)
	}
	pod := o.deployments[0].Spec.Template.Spec
	exporter := container(t, pod.Containers, "exporter")
	if want := []string{"serve", "--web.listen-address=:9787"}; !reflect.DeepEqual(exporter.Args, want) {
		t.Errorf("args %q, want %q", exporter.Args, want)
	}
	if exporter.Image != "ghcr.io/postmortem-exporter/postmortem-exporter:0.1.0" {
		t.Errorf("image %s, want the chart's appVersion as its tag", exporter.Image)
	}
	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{exporter.LivenessProbe, "/-/healthy"}, {exporter.ReadinessProbe, "/-/ready"}} {
		if g := p.probe.HTTPGet; g == nil || g.Path != p.path || g.Scheme != corev1.URISchemeHTTP || len(g.HTTPHeaders) != 0 {
			t.Errorf("probe %+v: want a plain GET of %s", p.probe.ProbeHandler, p.path)
		}
	}
	svc := o.services[0]
	if svc.Name != fullname || svc.Spec.Ports[0].Port != 9787 || !reflect.DeepEqual(svc.Spec.Selector, o.deployments[0].Spec.Template.Labels) {
		t.Errorf("service %s %+v does not select the pods %v on 9787", svc.Name, svc.Spec, o.deployments[0].Spec.Template.Labels)
	}
}

// TestChartRecordsFromConfigMap: the chart's ConfigMap holds the files
// given, mounted where --source.dir points.
func TestChartRecordsFromConfigMap(t *testing.T) {
	o := mustRender(t, `
records:
  source: configMap
  configMap:
    files:
      PM-1.md: "---\nid: PM-1\n---\n"
`)
	if len(o.configMaps) != 1 || o.configMaps[0].Data["PM-1.md"] != "---\nid: PM-1\n---\n" {
		t.Fatalf("records ConfigMap: %+v", o.configMaps)
	}
	pod := o.deployments[0].Spec.Template.Spec
	if v := volume(t, pod, "records"); v.ConfigMap == nil || v.ConfigMap.Name != o.configMaps[0].Name {
		t.Errorf("records volume %+v, want the ConfigMap %s", v.VolumeSource, o.configMaps[0].Name)
	}
	exporter := container(t, pod.Containers, "exporter")
	if !slices.Contains(exporter.Args, "--source.dir=/records/..data") || exporter.VolumeMounts[len(exporter.VolumeMounts)-1].MountPath != "/records" {
		t.Errorf("args %q, mounts %+v: want the ConfigMap's ..data folder as the source", exporter.Args, exporter.VolumeMounts)
	}

	// An existing ConfigMap is mounted, none is made.
	o = mustRender(t, "records: {source: configMap, configMap: {name: team-records}}")
	if len(o.configMaps) != 0 || volume(t, o.deployments[0].Spec.Template.Spec, "records").ConfigMap.Name != "team-records" {
		t.Errorf("existing ConfigMap: made %d, mounted %+v", len(o.configMaps), o.deployments[0].Spec.Template.Spec.Volumes)
	}
}

// TestChartRecordsFromGit: git-sync clones once before the exporter
// starts and keeps pulling beside it, into an emptyDir both share, with
// the credentials from the Secret named.
func TestChartRecordsFromGit(t *testing.T) {
	o := mustRender(t, `
records:
  source: git
  git:
    repository: https://git.example.com/acme/postmortems.git
    subPath: /incidents/
    credentials: {secretName: git-token}
`)
	pod := o.deployments[0].Spec.Template.Spec
	if v := volume(t, pod, "records"); v.EmptyDir == nil {
		t.Errorf("records volume %+v, want an emptyDir", v.VolumeSource)
	}
	clone, sync := container(t, pod.InitContainers, "git-clone"), container(t, pod.Containers, "git-sync")
	for _, c := range []corev1.Container{clone, sync} {
		if !strings.HasPrefix(c.Image, "registry.k8s.io/git-sync/git-sync:v4.") || !slices.Contains(c.Args, "--repo=https://git.example.com/acme/postmortems.git") || !slices.Contains(c.Args, "--root=/git") {
			t.Errorf("%s: image %s args %q", c.Name, c.Image, c.Args)
		}
		secrets := map[string]string{}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				secrets[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			}
		}
		if want := map[string]string{"GITSYNC_USERNAME": "git-token/username", "GITSYNC_PASSWORD": "git-token/password"}; !reflect.DeepEqual(secrets, want) {
			t.Errorf("%s: credentials %v, want %v", c.Name, secrets, want)
		}
	}
	if !slices.Contains(clone.Args, "--one-time") || slices.Contains(sync.Args, "--one-time") {
		t.Errorf("the init container must clone once (%q), the sidecar keep pulling (%q)", clone.Args, sync.Args)
	}
	if exporter := container(t, pod.Containers, "exporter"); !slices.Contains(exporter.Args, "--source.dir=/git/current/incidents") {
		t.Errorf("exporter args %q: want the sub-folder of git-sync's link", exporter.Args)
	}

	// An SSH key is mounted from the Secret, readable by the pod's group.
	o = mustRender(t, "records: {source: git, git: {repository: 'git@example.com:acme/pm.git', credentials: {secretName: git-ssh, type: ssh}}}")
	pod = o.deployments[0].Spec.Template.Spec
	if v := volume(t, pod, "git-secret"); v.Secret == nil || v.Secret.SecretName != "git-ssh" || *v.Secret.DefaultMode != 0o440 {
		t.Errorf("ssh secret volume %+v", v.VolumeSource)
	}
}

// TestChartRecordsFromPostgres: the URL comes from the user's Secret as a
// file, and `migrate` runs as a hook before install and upgrade.
func TestChartRecordsFromPostgres(t *testing.T) {
	o := mustRender(t, "records: {source: postgres, postgres: {urlSecret: {name: pm-db, key: dsn}}}")
	if len(o.jobs) != 1 {
		t.Fatalf("%d Jobs, want the migrate hook", len(o.jobs))
	}
	job := o.jobs[0]
	if job.Annotations["helm.sh/hook"] != "pre-install,pre-upgrade" || !reflect.DeepEqual(job.Spec.Template.Spec.Containers[0].Args, []string{"migrate"}) {
		t.Errorf("migrate Job: annotations %v, args %q", job.Annotations, job.Spec.Template.Spec.Containers[0].Args)
	}
	for _, pod := range []corev1.PodSpec{job.Spec.Template.Spec, o.deployments[0].Spec.Template.Spec} {
		c := pod.Containers[0]
		if v := volume(t, pod, "database-url"); v.Secret == nil || v.Secret.SecretName != "pm-db" {
			t.Errorf("%s: database volume %+v", c.Name, v.VolumeSource)
		}
		want := corev1.EnvVar{Name: "POSTMORTEM_DATABASE_URL_FILE", Value: "/etc/postmortem-exporter/database/dsn"}
		if !slices.Contains(c.Env, want) || c.VolumeMounts[len(c.VolumeMounts)-1].MountPath != "/etc/postmortem-exporter/database" {
			t.Errorf("%s: env %+v mounts %+v, want %+v", c.Name, c.Env, c.VolumeMounts, want)
		}
	}
	if _, err := render(t, "records: {source: postgres}"); err == nil || !strings.Contains(err.Error(), "records.postgres.urlSecret.name is required") {
		t.Errorf("no URL Secret: %v", err)
	}
}

// TestChartEverythingOn: TLS, basic auth, ServiceMonitor, PrometheusRule
// and dashboards; the probes and the ServiceMonitor carry the
// credentials the web config accepts.
func TestChartEverythingOn(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	o := mustRender(t, fmt.Sprintf(`
webConfig:
  tls: {enabled: true, secretName: pme-tls}
  basicAuth:
    enabled: true
    users: {prometheus: %q}
    client: {username: prometheus, password: s3cret}
serviceMonitor: {enabled: true, labels: {release: kube-prometheus-stack}}
prometheusRule: {enabled: true, labels: {release: kube-prometheus-stack}}
dashboards: {enabled: true}
`, hash))

	// The web config: TLS from the mounted Secret, the user's hash, which
	// accepts the password the probes and the ServiceMonitor send.
	if len(o.secrets) != 1 {
		t.Fatalf("%d Secrets, want the web config", len(o.secrets))
	}
	secret := o.secrets[0]
	var webConfig web.Config
	dec := yaml.NewDecoder(strings.NewReader(secret.StringData["web-config.yml"]))
	dec.KnownFields(true)
	if err := dec.Decode(&webConfig); err != nil {
		t.Fatalf("web-config.yml does not decode into exporter-toolkit's web.Config: %v\n%s", err, secret.StringData["web-config.yml"])
	}
	if webConfig.TLSConfig.TLSCertPath != "/etc/postmortem-exporter/tls/tls.crt" || webConfig.TLSConfig.TLSKeyPath != "/etc/postmortem-exporter/tls/tls.key" {
		t.Errorf("TLS config %+v", webConfig.TLSConfig)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(webConfig.Users["prometheus"]), []byte(secret.StringData["password"])); err != nil || secret.StringData["username"] != "prometheus" {
		t.Errorf("the scrape credentials in the Secret are not accepted by the web config: %v", err)
	}

	pod := o.deployments[0].Spec.Template.Spec
	exporter := container(t, pod.Containers, "exporter")
	if !slices.Contains(exporter.Args, "--web.config.file=/etc/postmortem-exporter/web/web-config.yml") {
		t.Errorf("args %q: no web config", exporter.Args)
	}
	if v := volume(t, pod, "tls"); v.Secret == nil || v.Secret.SecretName != "pme-tls" {
		t.Errorf("tls volume %+v", v.VolumeSource)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("prometheus:s3cret"))
	for _, p := range []*corev1.Probe{exporter.LivenessProbe, exporter.ReadinessProbe} {
		g := p.HTTPGet
		if g == nil || g.Scheme != corev1.URISchemeHTTPS || !reflect.DeepEqual(g.HTTPHeaders, []corev1.HTTPHeader{{Name: "Authorization", Value: auth}}) {
			t.Errorf("probe %+v: want HTTPS with the header %q", p.ProbeHandler, auth)
		}
	}

	if len(o.serviceMonitors) != 1 {
		t.Fatalf("%d ServiceMonitors", len(o.serviceMonitors))
	}
	sm := o.serviceMonitors[0]
	ep := sm.Spec.Endpoints[0]
	if sm.Labels["release"] != "kube-prometheus-stack" || !reflect.DeepEqual(sm.Spec.Selector.MatchLabels, o.services[0].Labels) && !subset(sm.Spec.Selector.MatchLabels, o.services[0].Labels) {
		t.Errorf("ServiceMonitor labels %v selector %v, service labels %v", sm.Labels, sm.Spec.Selector.MatchLabels, o.services[0].Labels)
	}
	if ep.Port != "http" || ep.Scheme == nil || *ep.Scheme != "https" || ep.TLSConfig == nil || ep.TLSConfig.CA.Secret == nil || ep.TLSConfig.CA.Secret.Name != "pme-tls" || *ep.TLSConfig.ServerName != fullname+"."+namespace+".svc" {
		t.Errorf("endpoint %+v: want https verified against pme-tls's ca.crt", ep)
	}
	if ep.BasicAuth == nil || ep.BasicAuth.Username.Name != secret.Name || ep.BasicAuth.Username.Key != "username" || ep.BasicAuth.Password.Key != "password" {
		t.Errorf("endpoint basic auth %+v, want the keys of %s", ep.BasicAuth, secret.Name)
	}
	if len(ep.RelabelConfigs) != 1 || ep.RelabelConfigs[0].TargetLabel != "job" || *ep.RelabelConfigs[0].Replacement != "postmortem" {
		t.Errorf("relabelings %+v: want job=postmortem, the job the rules match", ep.RelabelConfigs)
	}

	if len(o.prometheusRules) != 1 || o.prometheusRules[0].Labels["release"] != "kube-prometheus-stack" {
		t.Fatalf("PrometheusRules: %+v", o.prometheusRules)
	}
	checkRules(t, o.prometheusRules[0])
	checkDashboards(t, o.configMaps, "grafana_dashboard")
}

func subset(small, big map[string]string) bool {
	for k, v := range small {
		if big[k] != v {
			return false
		}
	}
	return true
}

// TestChartBasicAuthWithoutClient: with basic auth and no client
// credentials the probes open the port rather than fail with 401.
func TestChartBasicAuthWithoutClient(t *testing.T) {
	o := mustRender(t, `webConfig: {basicAuth: {enabled: true, users: {alice: "$2y$10$abcdefghijklmnopqrstuu5rLV5lEJx1Rr0LZMjmD6ET3Rg/ibGXO"}}}`)
	exporter := container(t, o.deployments[0].Spec.Template.Spec.Containers, "exporter")
	for _, p := range []*corev1.Probe{exporter.LivenessProbe, exporter.ReadinessProbe} {
		if p.TCPSocket == nil || p.HTTPGet != nil {
			t.Errorf("probe %+v: want a TCP probe", p.ProbeHandler)
		}
	}
	if v, ok := o.secrets[0].StringData["password"]; ok {
		t.Errorf("a password %q in the Secret without client credentials", v)
	}
}

// TestChartRefusesBadValues: a wrong type or an unknown key, at any level,
// fails as `helm install` would, naming the key.
func TestChartRefusesBadValues(t *testing.T) {
	for _, c := range []struct{ values, want string }{
		{"replicaCount: two", "replicaCount"},
		{"serviceMonitor: {enabeld: true}", "enabeld"},
		{"records: {git: {credentials: {secretname: x}}}", "secretname"},
		{"records: {source: s3}", "source"},
		{"resources: {requests: {memroy: 1Gi}}", "memroy"},
		{"webConfig: {basicAuth: {users: {alice: plaintext}}}", "alice"},
		{"dashboards: {labels: {grafana_dashboard: 1}}", "grafana_dashboard"},
	} {
		_, err := render(t, c.values)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error naming %s", c.values, err, c.want)
		}
	}
}

// TestGeneratedKubernetesObjects: deploy/kubernetes/, which `generate`
// writes, decodes strictly, and holds the rules and dashboards.
func TestGeneratedKubernetesObjects(t *testing.T) {
	var o objects
	for _, name := range []string{"prometheusrule.yaml", "dashboards.yaml"} {
		data, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", name))
		if err != nil {
			t.Fatal(err)
		}
		o.decode(t, name, string(data))
	}
	if len(o.prometheusRules) != 1 || len(o.deployments)+len(o.services)+len(o.secrets)+len(o.jobs)+len(o.serviceMonitors) != 0 {
		t.Fatalf("want one PrometheusRule and the dashboards' ConfigMaps, got %+v", o)
	}
	checkRules(t, o.prometheusRules[0])
	checkDashboards(t, o.configMaps, "grafana_dashboard")
}

// checkRules fails unless the rule's groups are deploy/prometheus/rules.yml
// and pass `promtool check rules`.
func checkRules(t *testing.T, rule monitoringv1.PrometheusRule) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	want := strict[monitoringv1.PrometheusRuleSpec](string(data), &err)
	if err != nil {
		t.Fatalf("rules.yml: %v", err)
	}
	if len(want.Groups) < 2 || !reflect.DeepEqual(rule.Spec, want) {
		t.Errorf("PrometheusRule %s: its groups differ from deploy/prometheus/rules.yml (after `generate`, copy it to %s/files/)", rule.Name, chartDir)
	}
	out, err := sigsyaml.Marshal(rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(testenv.RequireCommand(t, "promtool"), "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on %s's groups: %v\n%s", rule.Name, err, out)
	}
}

// checkDashboards fails unless configMaps hold every file of
// deploy/grafana/dashboards byte for byte, one ConfigMap each, labelled
// for Grafana's sidecar.
func checkDashboards(t *testing.T, configMaps []corev1.ConfigMap, label string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(deployDir, "grafana", "dashboards", "*.json"))
	if err != nil || len(paths) < 5 {
		t.Fatalf("dashboards %v (%v)", paths, err)
	}
	found := map[string][]byte{}
	for _, cm := range configMaps {
		if cm.Labels[label] != "1" {
			continue
		}
		if len(cm.Data) != 1 {
			t.Errorf("ConfigMap %s holds %d files, want one dashboard", cm.Name, len(cm.Data))
		}
		for name, content := range cm.Data {
			found[name] = []byte(content)
		}
	}
	if len(found) != len(paths) {
		t.Errorf("%d dashboard ConfigMaps, want %d", len(found), len(paths))
	}
	for _, p := range paths {
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := found[filepath.Base(p)]; !ok || !bytes.Equal(got, want) {
			t.Errorf("%s: not held byte for byte (found: %t; after `generate`, copy deploy/grafana/dashboards/*.json to %s/files/dashboards/)", filepath.Base(p), ok, chartDir)
		}
	}
}
