package gunicorn

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"
)

// CertInfo describes the first certificate (the leaf) of a PEM file: what a supervisor shows in
// its status, and what tells it that a renewed certificate has landed (the SHA-256 fingerprint
// changes).
type CertInfo struct {
	Path        string    // the file it was read from; empty for ParseCertInfo
	Subject     string    // distinguished name, RFC 2253 order, e.g. "CN=localhost,O=Acme"
	Issuer      string    // issuer's distinguished name, RFC 2253 order
	DNSNames    []string  // subjectAltName DNS entries
	IPAddresses []string  // subjectAltName IP entries, in Go's text form
	NotBefore   time.Time // start of validity, UTC
	NotAfter    time.Time // end of validity, UTC
	SHA256      string    // fingerprint of the DER bytes, upper-case hex pairs joined by ':' as `openssl x509 -fingerprint -sha256` prints it
	Serial      string    // serial number in upper-case hex, an even number of digits, as `openssl x509 -serial` prints it
	SelfSigned  bool      // subject equals issuer and the signature verifies with its own key
	ChainLength int       // number of certificates in the file (leaf plus intermediates)

	// Certificates holds every certificate of the file, leaf first, parsed.
	Certificates []*x509.Certificate
}

var _ fmt.Stringer = CertInfo{}

// ReadCertInfo reads path and describes its first certificate. Errors name the file and wrap
// the os error or ErrNotPEM.
func ReadCertInfo(path string) (CertInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return CertInfo{}, fmt.Errorf("gunicorn: read certificate: %w", err)
	}
	info, err := ParseCertInfo(data)
	if err != nil {
		return CertInfo{}, fmt.Errorf("%s: %w", path, err) // the file first, as a log line names it
	}
	info.Path = path
	return info, nil
}

// ParseCertInfo describes the first certificate in PEM data. Every CERTIFICATE block must
// parse; other blocks (a private key) are skipped.
func ParseCertInfo(data []byte) (CertInfo, error) {
	certs, err := parseCertificates(data)
	if err != nil {
		return CertInfo{}, err
	}
	return describe(certs), nil
}

// ExpiresIn is the time left until NotAfter at now; negative once expired.
func (c CertInfo) ExpiresIn(now time.Time) time.Duration { return c.NotAfter.Sub(now) }

// ValidAt reports whether now lies within [NotBefore, NotAfter].
func (c CertInfo) ValidAt(now time.Time) bool {
	return !now.Before(c.NotBefore) && !now.After(c.NotAfter)
}

// String is a one-line summary: subject, SANs, validity end, serial and fingerprint.
func (c CertInfo) String() string {
	sans := append(append([]string(nil), c.DNSNames...), c.IPAddresses...)
	return fmt.Sprintf("%s [%s] until %s serial %s sha256 %s",
		c.Subject, strings.Join(sans, ","), c.NotAfter.UTC().Format(time.RFC3339), c.Serial, c.SHA256)
}

// parseCertificates returns every CERTIFICATE block of data, in order. It fails when there is
// none, or when one does not parse.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (CERTIFICATE) does not parse: %w", n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no CERTIFICATE block found: %w", ErrNotPEM)
	}
	return certs, nil
}

func describe(certs []*x509.Certificate) CertInfo {
	leaf := certs[0]
	sum := sha256.Sum256(leaf.Raw)
	info := CertInfo{
		Subject:      leaf.Subject.String(),
		Issuer:       leaf.Issuer.String(),
		DNSNames:     append([]string(nil), leaf.DNSNames...),
		NotBefore:    leaf.NotBefore.UTC(),
		NotAfter:     leaf.NotAfter.UTC(),
		SHA256:       colonHex(sum[:]),
		Serial:       serialHex(leaf),
		ChainLength:  len(certs),
		Certificates: certs,
	}
	for _, ip := range leaf.IPAddresses {
		info.IPAddresses = append(info.IPAddresses, ip.String())
	}
	info.SelfSigned = string(leaf.RawSubject) == string(leaf.RawIssuer) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil
	return info
}

func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var s strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteString(h[i : i+2])
	}
	return s.String()
}

func serialHex(c *x509.Certificate) string {
	if c.SerialNumber == nil {
		return ""
	}
	sign := ""
	n := c.SerialNumber
	if n.Sign() < 0 {
		sign = "-"
		n = new(big.Int).Neg(n)
	}
	h := strings.ToUpper(n.Text(16))
	if len(h)%2 == 1 {
		h = "0" + h
	}
	return sign + h
}
