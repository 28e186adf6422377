package gunicorn

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestCertExpiry(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name      string
		from, to  time.Time
		window    time.Duration
		errIs     error
		warn      bool
		inMessage string
	}{
		{"valid for a year", now.Add(-day), now.Add(365 * day), 0, nil, false, ""},
		{"expires in 31 days", now.Add(-day), now.Add(31 * day), 0, nil, false, ""},
		{"expires in 29 days", now.Add(-day), now.Add(29*day + time.Hour), 0, nil, true, "in 29 days"},
		{"expires in an hour", now.Add(-day), now.Add(time.Hour), 0, nil, true, "in 1h0m0s"},
		{"expired yesterday", now.Add(-365 * day), now.Add(-day), 0, ErrExpired, false, "1 day ago"},
		{"expired long ago", now.Add(-365 * day), now.Add(-100 * day), 0, ErrExpired, false, "100 days ago"},
		{"not valid yet", now.Add(day), now.Add(365 * day), 0, ErrNotYetValid, false, "starts on 2026-11-27"},
		{"custom window catches 60 days", now.Add(-day), now.Add(60 * day), 90 * day, nil, true, "in 60 days"},
		{"negative window never warns", now.Add(-day), now.Add(time.Hour), -1, nil, false, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := testCert(t, dir, "c"+string(rune('a'+i)), certSpec{notBefore: tt.from, notAfter: tt.to})
			k := Checker{Now: func() time.Time { return now }, ExpiryWarning: tt.window, Env: []string{}, Dir: dir}
			ws, err := k.Check(Config{App: "wsgi:app", CertFile: cert, KeyFile: key})
			if tt.errIs != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.errIs)
				assert.Contains(t, err.Error(), "CertFile "+cert)
				assert.Contains(t, err.Error(), tt.inMessage)
			} else {
				assert.NoError(t, err)
			}
			if tt.warn {
				require.Len(t, ws, 1)
				assert.Equal(t, "CertFile", ws[0].Field)
				assert.Equal(t, cert, ws[0].Path)
				assert.Contains(t, ws[0].Message, tt.inMessage)
			} else {
				assert.Empty(t, ws)
			}
		})
	}
}

func TestCertChainExpiry(t *testing.T) {
	// A file with a valid leaf followed by an expired chain certificate: the chain one is named.
	dir := t.TempDir()
	now := time.Now()
	leaf, key := testCert(t, dir, "leaf", certSpec{})
	old, _ := testCert(t, dir, "old", certSpec{cn: "Old CA", notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	a, err := os.ReadFile(leaf)
	require.NoError(t, err)
	b, err := os.ReadFile(old)
	require.NoError(t, err)
	chain := filepath.Join(dir, "chain.pem")
	require.NoError(t, os.WriteFile(chain, append(a, b...), 0o600))
	_, err = quiet(dir).Check(Config{App: "a:b", CertFile: chain, KeyFile: key})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrExpired)
	assert.Contains(t, err.Error(), "chain certificate 2 (CN=Old CA")
	info, err := ReadCertInfo(chain)
	require.NoError(t, err)
	assert.Equal(t, 2, info.ChainLength)
	assert.Contains(t, info.Subject, "CN=localhost")
}

func TestCertInfo(t *testing.T) {
	dir := t.TempDir()
	nb := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	na := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	cert, _ := testCert(t, dir, "c", certSpec{notBefore: nb, notAfter: na, serial: 0x1001, dns: []string{"localhost", "app.test"}})
	info, err := ReadCertInfo(cert)
	require.NoError(t, err)
	assert.Equal(t, cert, info.Path)
	assert.Equal(t, "CN=localhost,O=supervisord-lite test", info.Subject)
	assert.Equal(t, info.Subject, info.Issuer)
	assert.True(t, info.SelfSigned)
	assert.Equal(t, []string{"localhost", "app.test"}, info.DNSNames)
	assert.Equal(t, []string{"127.0.0.1"}, info.IPAddresses)
	assert.Equal(t, nb, info.NotBefore)
	assert.Equal(t, na, info.NotAfter)
	assert.Equal(t, "1001", info.Serial)
	assert.Len(t, info.SHA256, 32*3-1)
	assert.True(t, info.ValidAt(nb.Add(time.Hour)))
	assert.False(t, info.ValidAt(na.Add(time.Second)))
	assert.Equal(t, 24*time.Hour, info.ExpiresIn(na.Add(-24*time.Hour)))
	assert.Contains(t, info.String(), "until 2027-01-02T03:04:05Z serial 1001 sha256 "+info.SHA256)

	// A renewal at the same path changes the fingerprint.
	cert2, _ := testCert(t, dir, "c", certSpec{notBefore: nb, notAfter: na, serial: 0x2002})
	require.Equal(t, cert, cert2)
	info2, err := ReadCertInfo(cert)
	require.NoError(t, err)
	assert.NotEqual(t, info.SHA256, info2.SHA256)
	assert.Equal(t, "2002", info2.Serial)
}

func TestCertInfoBadInput(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadCertInfo(filepath.Join(dir, "missing.pem"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "missing.pem")
	for name, data := range map[string]string{
		"empty":     "",
		"garbage":   "\x00\x01\x02garbage",
		"key only":  "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		"bad block": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
		_, err := ReadCertInfo(p)
		assert.Error(t, err, name)
		assert.Contains(t, err.Error(), p, name)
	}
}

func FuzzParseCertInfo(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("garbage"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseCertInfo(data)
		if err == nil && info.SHA256 == "" {
			t.Fatal("a parsed certificate has a fingerprint")
		}
		_, _ = parsePrivateKey(data)
	})
}

// TestCertInfoMatchesOpenSSL compares ReadCertInfo with `openssl x509` on generated certificates
// (serials with odd and even digit counts, large ones, RSA and ECDSA).
func TestCertInfoMatchesOpenSSL(t *testing.T) {
	openssl := testenv.LookPath(t, "openssl", "openssl")
	dir := t.TempDir()
	specs := []certSpec{
		{serial: 0x1001},
		{serial: 1},
		{serial: 0xabc, rsa: true},
		{serial: 0x7fffffffffffffff, cn: "app.example.com", dns: []string{"app.example.com", "www.example.com"}},
		{serial: 0x10, notBefore: time.Date(2020, 2, 29, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for i, s := range specs {
		cert, _ := testCert(t, dir, "c"+string(rune('a'+i)), s)
		info, err := ReadCertInfo(cert)
		require.NoError(t, err)
		out, err := exec.Command(openssl, "x509", "-in", cert, "-noout", "-serial", "-fingerprint", "-sha256",
			"-subject", "-issuer", "-nameopt", "RFC2253", "-startdate", "-enddate", "-ext", "subjectAltName").CombinedOutput()
		require.NoError(t, err, "%s", out)
		text := string(out)
		assert.Contains(t, text, "serial="+info.Serial+"\n")
		assert.Contains(t, text, "sha256 Fingerprint="+info.SHA256+"\n")
		assert.Contains(t, text, "subject="+info.Subject+"\n")
		assert.Contains(t, text, "issuer="+info.Issuer+"\n")
		assert.Contains(t, text, "notBefore="+info.NotBefore.Format("Jan _2 15:04:05 2006 GMT")+"\n")
		assert.Contains(t, text, "notAfter="+info.NotAfter.Format("Jan _2 15:04:05 2006 GMT")+"\n")
		for _, d := range info.DNSNames {
			assert.Contains(t, text, "DNS:"+d)
		}
		for _, ip := range info.IPAddresses {
			assert.Contains(t, text, "IP Address:"+ip)
		}
	}
}
