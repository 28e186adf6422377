package gunicorn

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// readRegular reads a file that must exist, be a regular file (or a link to one) and be
// readable by this process.
func readRegular(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("is a directory, not a file: %w", ErrSyntax)
	}
	return os.ReadFile(path)
}

// checkTLS adds the problems of CertFile, KeyFile, CACerts and CertReqs to v.
func (v *validation) checkTLS() {
	c := v.cfg
	if c.CertReqs < 0 || c.CertReqs > CertRequired {
		v.fail("CertReqs", "", fmt.Errorf("%d: want 0 (none), 1 (optional) or 2 (required): %w", c.CertReqs, ErrRange))
	}
	if c.CACerts != "" {
		path := v.resolve(c.CACerts)
		if data, err := readRegular(path); err != nil {
			v.fail("CACerts", path, err)
		} else if certs, err := parseCertificates(data); err != nil {
			v.fail("CACerts", path, err)
		} else {
			for i, ca := range certs {
				if v.now.After(ca.NotAfter) {
					v.warn("CACerts", path, fmt.Sprintf("CA %d (%s) expired on %s: client certificates it issued no longer verify",
						i+1, ca.Subject, ca.NotAfter.UTC().Format(time.DateOnly)))
				}
			}
		}
	}
	if c.CertReqs > CertNone && c.CACerts == "" {
		v.fail("CertReqs", "", fmt.Errorf("%d asks for client certificates but CACerts is empty, so none can verify: %w", c.CertReqs, ErrConflict))
	}
	if c.CertFile == "" {
		if c.KeyFile != "" {
			v.fail("KeyFile", v.resolve(c.KeyFile), fmt.Errorf("set without CertFile: %w", ErrConflict))
		}
		if c.CACerts != "" || c.CertReqs != 0 || c.Ciphers != "" {
			v.warn("CertFile", "", "empty, so TLS is off and CACerts, CertReqs and Ciphers have no effect")
		}
		return
	}

	certPath := v.resolve(c.CertFile)
	certData, err := readRegular(certPath)
	if err != nil {
		v.fail("CertFile", certPath, err)
	}
	var certs []*x509.Certificate
	if certData != nil {
		if certs, err = parseCertificates(certData); err != nil {
			v.fail("CertFile", certPath, err)
		}
	}
	keyField, keyPath, keyData := "KeyFile", "", []byte(nil)
	if c.KeyFile != "" {
		keyPath = v.resolve(c.KeyFile)
		if keyData, err = readRegular(keyPath); err != nil {
			v.fail("KeyFile", keyPath, err)
		}
	} else if certData != nil {
		keyField, keyPath, keyData = "CertFile", certPath, certData
	}
	var key crypto.Signer
	if keyData != nil {
		if key, err = parsePrivateKey(keyData); err != nil {
			if c.KeyFile == "" {
				err = fmt.Errorf("KeyFile is empty and this file holds no usable key: %w", err)
			}
			v.fail(keyField, keyPath, err)
		}
	}
	if len(certs) == 0 {
		return
	}
	leaf := certs[0]
	if key != nil {
		if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(leaf.PublicKey) {
			v.fail(keyField, keyPath, fmt.Errorf("%w %s (%s): every TLS handshake would fail", ErrKeyMismatch, certPath, leaf.Subject))
		}
	}
	for i, cert := range certs {
		which := "certificate"
		if i > 0 {
			which = fmt.Sprintf("chain certificate %d", i+1)
		}
		switch left := cert.NotAfter.Sub(v.now); {
		case v.now.Before(cert.NotBefore):
			v.fail("CertFile", certPath, fmt.Errorf("%w: %s (%s) starts on %s", ErrNotYetValid, which, cert.Subject, cert.NotBefore.UTC().Format(time.RFC3339)))
		case left < 0:
			v.fail("CertFile", certPath, fmt.Errorf("%w: %s (%s) expired on %s, %s ago", ErrExpired, which, cert.Subject,
				cert.NotAfter.UTC().Format(time.RFC3339), days(-left)))
		case left < v.expiryWarning:
			v.warn("CertFile", certPath, fmt.Sprintf("%s (%s) expires on %s, in %s", which, cert.Subject,
				cert.NotAfter.UTC().Format(time.RFC3339), days(left)))
		}
	}
}

// days renders d as whole days when it is at least one day long.
func days(d time.Duration) string {
	if d >= 24*time.Hour {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.Round(time.Second).String()
}

// parsePrivateKey returns the first private key in PEM data: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC).
func parsePrivateKey(data []byte) (crypto.Signer, error) {
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("no PRIVATE KEY block found: %w", ErrNotPEM)
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, fmt.Errorf("PEM block %d is an encrypted key; gunicorn 20.1 has no password setting: %w", n, ErrUnknown)
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s) does not parse: %w", n, block.Type, err)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, errors.New("unsupported private key type")
		}
		return s, nil
	}
}
