package testenv

import (
	"path/filepath"
	"testing"
	"time"
)

// Alertmanager is a real Alertmanager (Debian's prometheus-alertmanager)
// running for a test.
type Alertmanager struct {
	*Process
	Addr string // host:port, for Prometheus's alerting config
	URL  string
}

// StartAlertmanager runs Alertmanager on loopback with the given
// configuration file, clustering off, and waits until it is ready.
func StartAlertmanager(t testing.TB, configFile string) *Alertmanager {
	t.Helper()
	bin := RequireCommand(t, "prometheus-alertmanager")
	addr := FreeAddr(t)
	am := &Alertmanager{
		Process: Start(t, nil, bin,
			"--config.file="+configFile,
			"--storage.path="+filepath.Join(t.TempDir(), "data"),
			"--web.listen-address="+addr,
			"--cluster.listen-address=",
		),
		Addr: addr,
		URL:  "http://" + addr,
	}
	WaitHTTP(t, am.URL+"/-/ready", 60*time.Second)
	return am
}
