package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Certificate is a self-signed TLS certificate for 127.0.0.1 and
// localhost, written to files for a test.
type Certificate struct {
	CertFile, KeyFile string
	Pool              *x509.CertPool // trusts the certificate
}

// SelfSignedCertificate makes a certificate valid for an hour.
func SelfSignedCertificate(t testing.TB) Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "postmortem-exporter test"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := Certificate{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), Pool: x509.NewCertPool()}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(c.CertFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Pool.AppendCertsFromPEM(certPEM)
	return c
}

// WriteWebConfig writes an exporter-toolkit web configuration file
// (--web.config.file) serving TLS with cert and requiring basic auth from
// users (name → password, stored as bcrypt hashes), and returns its path.
func WriteWebConfig(t testing.TB, cert Certificate, users map[string]string) string {
	t.Helper()
	var conf strings.Builder
	fmt.Fprintf(&conf, "tls_server_config:\n  cert_file: %q\n  key_file: %q\nbasic_auth_users:\n", cert.CertFile, cert.KeyFile)
	for name, password := range users {
		// The lowest cost keeps a test's many scrapes cheap; production
		// hashes use more.
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "  %q: %q\n", name, hash)
	}
	path := filepath.Join(t.TempDir(), "web-config.yml")
	if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Client returns an HTTP client that trusts cert and, when user is not
// empty, sends basic auth credentials with every request.
func (c Certificate) Client(user, password string) *http.Client {
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Pool, MinVersion: tls.VersionTLS12}}
	if user == "" {
		return &http.Client{Transport: transport, Timeout: 30 * time.Second}
	}
	return &http.Client{Transport: basicAuth{transport, user, password}, Timeout: 30 * time.Second}
}

// basicAuth adds credentials to every request.
type basicAuth struct {
	next           http.RoundTripper
	user, password string
}

func (b basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(req)
}
