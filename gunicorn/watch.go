package gunicorn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"time"
)

// DefaultWatchInterval is how often a CertWatcher with a zero Interval reads the file: 1 minute.
const DefaultWatchInterval = time.Minute

// CertEvent is what a CertWatcher reports: the certificate now at the path (or why it cannot
// be read) and the one before.
type CertEvent struct {
	Path string   // the watched file
	Old  CertInfo // the previous certificate; zero on the first event or after an error
	New  CertInfo // the certificate now; zero when Err is set
	Err  error    // why the file cannot be read or parsed now; nil when New is valid
}

// Renewed reports whether the event is a certificate replacing another one.
func (e CertEvent) Renewed() bool {
	return e.Err == nil && e.Old.SHA256 != "" && e.Old.SHA256 != e.New.SHA256
}

// CertWatcher reads a certificate file at an interval and reports changes: the first reading,
// a new certificate at the path (a renewal: gunicorn 20.1 serves it from the next connection
// on, without a reload), and the file turning missing or unparsable (every TLS handshake then
// fails while gunicorn looks healthy). A supervisor shows the latest CertInfo in its status.
type CertWatcher struct {
	// Path is the certificate file, e.g. the resolved Config.CertFile. Required.
	Path string

	// KeyFile, when set, is the private key read with the certificate (the resolved
	// Config.KeyFile; Path again when the key is in the certificate file): a reading is then
	// valid only when the key goes with the certificate, and a renewal reports once both have
	// landed. "": the key is not read.
	KeyFile string

	// Interval is the time between readings. Zero: DefaultWatchInterval.
	Interval time.Duration

	// OnChange receives every change, from Serve's goroutine; it must not block for long.
	// Nil: changes are only read.
	OnChange func(CertEvent)

	// Ticks, when set, replaces the interval timer: one reading per value received (tests
	// inject a channel here). Nil: a time.Ticker with Interval.
	Ticks <-chan time.Time
}

// errNoPath is returned by Serve when Path is empty.
var errNoPath = errors.New("gunicorn: CertWatcher.Path is empty")

// Serve reads the file at once and then at every tick, calling OnChange when the fingerprint
// or the error changes, until ctx ends; it then returns ctx.Err().
func (w *CertWatcher) Serve(ctx context.Context) error {
	if w.Path == "" {
		return errNoPath
	}
	ticks := w.Ticks
	if ticks == nil {
		iv := w.Interval
		if iv <= 0 {
			iv = DefaultWatchInterval
		}
		t := time.NewTicker(iv)
		defer t.Stop()
		ticks = t.C
	}
	var (
		last    CertInfo
		lastErr string
		first   = true
	)
	read := func() {
		info, err := ReadCertInfo(w.Path)
		if err == nil && w.KeyFile != "" {
			if err = checkKeyPair(w.Path, w.KeyFile); err != nil {
				info = CertInfo{}
			}
		}
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if !first && errText == lastErr && info.SHA256 == last.SHA256 {
			return
		}
		ev := CertEvent{Path: w.Path, Old: last, New: info, Err: err}
		first, last, lastErr = false, info, errText
		if w.OnChange != nil {
			w.OnChange(ev)
		}
	}
	read()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-ticks:
			if !ok {
				<-ctx.Done()
				return ctx.Err()
			}
			read()
		}
	}
}

// checkKeyPair reports whether the key in keyFile goes with the certificate in certFile; the
// error names the file concerned.
func checkKeyPair(certFile, keyFile string) error {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return fmt.Errorf("%s does not go with %s: %w", keyFile, certFile, err)
	}
	return nil
}
