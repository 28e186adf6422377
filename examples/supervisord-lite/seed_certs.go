package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Defaults of the certificate monitor.
const (
	// defaultCertInterval is how often certfile and keyfile are read (certwatch_interval=,
	// whole seconds, in a [gunicorn:x] section).
	defaultCertInterval = time.Minute
	// certExpiryCheck is how often expiry is logged again (besides at start).
	certExpiryCheck = 24 * time.Hour
)

// certPair is the certificate of one [gunicorn:x] program.
type certPair struct {
	Section  string
	Specs    []string // the processes to reload ("group:name")
	CertFile string   // absolute
	KeyFile  string   // absolute; the cert file when the key is in it
	Interval time.Duration
}

// certPairs lists the certificates of cfg's [gunicorn:x] sections.
func certPairs(cfg *conf.Config) []certPair {
	if cfg == nil || cfg.INI == nil {
		return nil
	}
	var out []certPair
	for _, sec := range cfg.INI.Sections() {
		if !strings.HasPrefix(sec.Name, seedPrefix) {
			continue
		}
		vals, err := cfg.SectionValues(sec.Name, nil)
		if err != nil {
			continue
		}
		cert := vals["certfile"].Value
		if cert == "" {
			continue
		}
		dir := vals["directory"].Value
		if c, ok := vals["chdir"]; ok {
			dir = c.Value
		}
		abs := func(p string) string {
			if p == "" || filepath.IsAbs(p) {
				return p
			}
			return filepath.Join(dir, p)
		}
		cp := certPair{Section: sec.Name, CertFile: abs(cert), KeyFile: abs(vals["keyfile"].Value), Interval: defaultCertInterval}
		if cp.KeyFile == "" {
			cp.KeyFile = cp.CertFile
		}
		if v, ok := vals["certwatch_interval"]; ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v.Value)); err == nil && n > 0 {
				cp.Interval = time.Duration(n) * time.Second
			}
		}
		for _, g := range cfg.Groups {
			if g.Section == sec.Name {
				for _, p := range g.Processes {
					cp.Specs = append(cp.Specs, p.Group+":"+p.Name)
				}
			}
		}
		out = append(out, cp)
	}
	return out
}

// certMonitor logs certificate expiry (at start, then daily) and reloads gunicorn (SIGHUP to
// the master) when a renewed certificate and key land and form a valid pair. A broken pair
// is logged as an error naming the file and the problem, and nothing is reloaded.
type certMonitor struct {
	Pairs []certPair
	// Signal sends a signal to one process ("group:name"); normally Supervisor.Signal.
	Signal func(ctx context.Context, spec string, sig syscall.Signal) ([]supervise.Result, error)
	Log    *slog.Logger
	// Now is the clock for expiry; nil = time.Now.
	Now func() time.Time

	mu      sync.Mutex
	expires map[string]time.Time // "group:name" -> NotAfter of the certificate last read
}

// remember records the expiry of the pair's certificate for its processes.
func (m *certMonitor) remember(p certPair, info gunicorn.CertInfo) {
	if info.SHA256 == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.expires == nil {
		m.expires = map[string]time.Time{}
	}
	for _, spec := range p.Specs {
		m.expires[spec] = info.NotAfter
	}
}

// Expiry returns when the certificate of process spec ("group:name") expires, if it has one.
func (m *certMonitor) Expiry(spec string) (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.expires[spec]
	return t, ok
}

// certState is what a monitor last saw of one pair.
type certState struct {
	seen bool
	sum  [32]byte // of the cert and key contents
	good bool     // the last reading was a valid pair
	info gunicorn.CertInfo
}

func (m *certMonitor) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Serve watches every pair until ctx ends.
func (m *certMonitor) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range m.Pairs {
		wg.Add(1)
		go func(p certPair) {
			defer wg.Done()
			m.watch(ctx, p)
		}(p)
	}
	wg.Wait()
	return ctx.Err()
}

func (m *certMonitor) watch(ctx context.Context, p certPair) {
	var st certState
	m.check(ctx, p, &st)
	m.logExpiry(p, st)
	tick := time.NewTicker(p.Interval)
	defer tick.Stop()
	daily := time.NewTicker(certExpiryCheck)
	defer daily.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			m.check(ctx, p, &st)
		case <-daily.C:
			m.logExpiry(p, st)
		}
	}
}

// readPair reads and checks a pair: the certificate parses, the key matches it, and it is
// valid now. The error names the file concerned.
func readPair(p certPair, now time.Time) (sum [32]byte, info gunicorn.CertInfo, err error) {
	certPEM, err := os.ReadFile(p.CertFile)
	if err != nil {
		return sum, info, err
	}
	keyPEM := certPEM
	if p.KeyFile != p.CertFile {
		if keyPEM, err = os.ReadFile(p.KeyFile); err != nil {
			return sum, info, err
		}
	}
	sum = sha256.Sum256(append(append(append([]byte(nil), certPEM...), 0), keyPEM...))
	info, err = gunicorn.ParseCertInfo(certPEM)
	if err != nil {
		return sum, info, fmt.Errorf("%s: %w", p.CertFile, err)
	}
	info.Path = p.CertFile
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return sum, info, fmt.Errorf("%s does not go with %s: %w", p.KeyFile, p.CertFile, err)
	}
	if !info.ValidAt(now) {
		if now.After(info.NotAfter) {
			return sum, info, fmt.Errorf("%s: %w (on %s)", p.CertFile, gunicorn.ErrExpired, info.NotAfter.Format("2006-01-02"))
		}
		return sum, info, fmt.Errorf("%s: %w (until %s)", p.CertFile, gunicorn.ErrNotYetValid, info.NotBefore.Format("2006-01-02"))
	}
	return sum, info, nil
}

// check reads the pair; when it changed to a valid pair with a new certificate, it reloads.
func (m *certMonitor) check(ctx context.Context, p certPair, st *certState) {
	now := m.now()
	sum, info, err := readPair(p, now)
	if !st.seen {
		st.seen, st.sum, st.good = true, sum, err == nil
		if info.SHA256 != "" {
			st.info = info
			m.remember(p, info)
		}
		// Expiry alone is logged by logExpiry; anything else is said here.
		if err != nil && (info.SHA256 == "" || info.ValidAt(now)) {
			m.Log.Error(fmt.Sprintf("[%s] certificate not usable: %v", p.Section, err))
		}
		return
	}
	if sum == st.sum && (err == nil) == st.good {
		return
	}
	st.sum = sum
	if err != nil {
		st.good = false
		m.Log.Error(fmt.Sprintf("[%s] certificate not usable, gunicorn not reloaded: %v", p.Section, err))
		return
	}
	old, wasGood := st.info, st.good
	st.good, st.info = true, info
	m.remember(p, info)
	if old.SHA256 == info.SHA256 {
		if !wasGood {
			m.Log.Info(fmt.Sprintf("[%s] certificate usable again: %s", p.Section, info.String()))
		}
		return
	}
	m.Log.Info(fmt.Sprintf("[%s] certificate renewed: serial %s, expires %s; reloading gunicorn (SIGHUP)",
		p.Section, info.Serial, info.NotAfter.Format("2006-01-02")))
	for _, spec := range p.Specs {
		if _, err := m.Signal(ctx, spec, gunicorn.Reload); err != nil {
			m.Log.Warn(fmt.Sprintf("[%s] could not send SIGHUP to %s: %v", p.Section, spec, err))
		}
	}
	m.logExpiry(p, *st)
}

// logExpiry warns within 30 days of expiry and logs an error once expired.
func (m *certMonitor) logExpiry(p certPair, st certState) {
	if st.info.SHA256 == "" {
		return
	}
	left := st.info.ExpiresIn(m.now())
	date := st.info.NotAfter.Format("2006-01-02")
	switch {
	case left <= 0:
		m.Log.Error(fmt.Sprintf("[%s] certificate %s expired on %s: TLS clients refuse it", p.Section, p.CertFile, date))
	case left < gunicorn.DefaultExpiryWarning:
		m.Log.Warn(fmt.Sprintf("[%s] certificate %s expires on %s (in %d days)", p.Section, p.CertFile, date, int(left.Hours()/24)))
	}
}

// newCertMonitor is the certificate monitor of cfg's [gunicorn:x] programs (nil when there
// are none).
func newCertMonitor(cfg *conf.Config, sup *supervise.Supervisor, log *slog.Logger) *certMonitor {
	pairs := certPairs(cfg)
	if len(pairs) == 0 {
		return nil
	}
	return &certMonitor{Pairs: pairs, Signal: sup.Signal, Log: log}
}

// start runs the monitor until ctx ends; the returned function ends it and waits for it.
func (m *certMonitor) start(ctx context.Context) func() {
	if m == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = m.Serve(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
