package gunicorn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// certSpec says what testCert generates.
type certSpec struct {
	notBefore, notAfter time.Time // zero: one hour ago, one year from now
	serial              int64     // zero: 0x1001
	cn                  string    // zero: "localhost"
	dns                 []string  // zero: ["localhost"]
	ips                 []net.IP  // zero: [127.0.0.1]
	rsa                 bool      // RSA 2048 (PKCS#1 key) instead of ECDSA P-256 (PKCS#8 key)
	keyInCert           bool      // also append the key to the cert file
}

// testCert writes a self-signed certificate and its key into dir as name.pem and
// name-key.pem and returns both paths.
func testCert(t testing.TB, dir, name string, s certSpec) (certPath, keyPath string) {
	t.Helper()
	if s.notBefore.IsZero() {
		s.notBefore = time.Now().Add(-time.Hour)
	}
	if s.notAfter.IsZero() {
		s.notAfter = time.Now().Add(365 * 24 * time.Hour)
	}
	if s.serial == 0 {
		s.serial = 0x1001
	}
	if s.cn == "" {
		s.cn = "localhost"
	}
	if s.dns == nil {
		s.dns = []string{"localhost"}
	}
	if s.ips == nil {
		s.ips = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	var (
		key    crypto.Signer
		keyDER []byte
		keyTyp string
		err    error
	)
	if s.rsa {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		key, keyDER, keyTyp = k, x509.MarshalPKCS1PrivateKey(k), "RSA PRIVATE KEY"
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		keyDER, err = x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		key, keyTyp = k, "PRIVATE KEY"
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(s.serial),
		Subject:               pkix.Name{CommonName: s.cn, Organization: []string{"supervisord-lite test"}},
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		DNSNames:              s.dns,
		IPAddresses:           s.ips,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: keyTyp, Bytes: keyDER})
	certPath = filepath.Join(dir, name+".pem")
	keyPath = filepath.Join(dir, name+"-key.pem")
	if s.keyInCert {
		certPEM = append(certPEM, keyPEM...)
	}
	require.NoError(t, os.WriteFile(certPath, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyPath, keyPEM, 0o600))
	return certPath, keyPath
}

// testdataDir is the absolute path of testdata (it holds wsgi.py).
func testdataDir(t testing.TB) string {
	t.Helper()
	d, err := filepath.Abs("testdata")
	require.NoError(t, err)
	return d
}

// quiet is a Checker with an empty environment and a fixed start directory, so that the
// test's own environment and working directory do not add warnings.
func quiet(dir string) Checker {
	return Checker{Env: []string{}, Dir: dir}
}
