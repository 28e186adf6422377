package gunicorn

import (
	"testing"
	"time"
)

func benchConfig(b *testing.B) Config {
	dir := b.TempDir()
	cert, key := testCert(b, dir, "cert", certSpec{rsa: true})
	return Config{App: "wsgi:app", Bind: []string{"127.0.0.1:5001"}, Workers: 3, Chdir: dir,
		CertFile: cert, KeyFile: key, Timeout: 60 * time.Second, AccessLog: "-", Env: []string{"A=1"}}
}

func BenchmarkArgs(b *testing.B) {
	c := benchConfig(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = c.Args()
	}
}

// BenchmarkCheckHTTPS is a full Validate of the seed's HTTPS config: it reads and parses an
// RSA-2048 certificate and key and compares them.
func BenchmarkCheckHTTPS(b *testing.B) {
	c := benchConfig(b)
	k := quiet(c.Chdir)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := k.Check(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCertInfo(b *testing.B) {
	c := benchConfig(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ReadCertInfo(c.CertFile); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseBind(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseBind("[::1]:5001"); err != nil {
			b.Fatal(err)
		}
	}
}
