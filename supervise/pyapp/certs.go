package pyapp

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/gunicorn"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
)

// Defaults of the certificate monitor.
const (
	// DefaultCertInterval is how often certfile and keyfile are read (certwatch_interval=,
	// whole seconds, in a [gunicorn:x] section).
	DefaultCertInterval = time.Minute
	// ExpiryLogInterval is how often expiry is logged again (besides at start).
	ExpiryLogInterval = 24 * time.Hour
)

// CertPair is the certificate of one [gunicorn:x] program.
type CertPair struct {
	Section  string
	Specs    []string // the processes to reload ("group:name")
	CertFile string   // absolute
	KeyFile  string   // absolute; the cert file when the key is in it
	Interval time.Duration
}

// CertPairs lists the certificates of cfg's [gunicorn:x] sections.
func CertPairs(cfg *conf.Config) []CertPair {
	if cfg == nil || cfg.INI == nil {
		return nil
	}
	var out []CertPair
	for _, sec := range cfg.INI.Sections() {
		if !strings.HasPrefix(sec.Name, Prefix) {
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
		cp := CertPair{Section: sec.Name, CertFile: abs(cert), KeyFile: abs(vals["keyfile"].Value), Interval: DefaultCertInterval}
		if cp.KeyFile == "" {
			cp.KeyFile = cp.CertFile
		}
		if v, ok := vals["certwatch_interval"]; ok {
			if n, err := conf.ParseInt(v.Value); err == nil && n > 0 {
				cp.Interval = time.Duration(n) * time.Second
			}
		}
		// The processes of the section's group (Sections makes it; it is not in cfg.Groups).
		if procs, err := cfg.ProcessesFromSection(sec.Name, "", map[string]string{"command": "gunicorn"}); err == nil {
			for _, p := range procs {
				cp.Specs = append(cp.Specs, p.Group+":"+p.Name)
			}
		}
		out = append(out, cp)
	}
	return out
}

// CertMonitor logs the certificate expiry of [gunicorn:x] programs (at start, then daily) and
// reloads gunicorn (SIGHUP to the master) when a renewed certificate and key land and form a
// valid pair (gunicorn.CertWatcher with its KeyFile). A broken pair is logged as an error
// naming the file and the problem, and nothing is reloaded. It is a daemon.Service (give it in
// daemon.Options.Services) and a status hook (Note, in daemon.Options.StatusHooks): a RUNNING
// program's status then ends with "cert expires YYYY-MM-DD". The zero value is ready; one
// CertMonitor serves every run of the daemon.
type CertMonitor struct {
	// Now is the clock for validity and expiry; nil = time.Now.
	Now func() time.Time
	// Ticks, when set, replaces each watcher's interval timer (tests); see
	// gunicorn.CertWatcher.Ticks. nil = CertPair.Interval.
	Ticks <-chan time.Time

	mu      sync.Mutex
	expires map[string]time.Time // "group:name" -> NotAfter of the certificate last read
}

var _ daemon.Service = (*CertMonitor)(nil)

func (m *CertMonitor) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// remember records the expiry of the pair's certificate for its processes.
func (m *CertMonitor) remember(p CertPair, info gunicorn.CertInfo) {
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
func (m *CertMonitor) Expiry(spec string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.expires[spec]
	return t, ok
}

// Note adds "cert expires YYYY-MM-DD" to the status of each program that serves a
// certificate (a daemon.Options.StatusHooks entry).
func (m *CertMonitor) Note(infos []supervise.ProcessInfo) {
	for i := range infos {
		if t, ok := m.Expiry(infos[i].Group + ":" + infos[i].Name); ok {
			infos[i].Note = "cert expires " + t.Format("2006-01-02")
		}
	}
}

// Serve watches the certificates of run's configuration until ctx ends, signalling run's
// supervisor.
func (m *CertMonitor) Serve(ctx context.Context, run daemon.Run) error {
	return m.Watch(ctx, CertPairs(run.Config), run.Supervisor.Signal, run.Logger)
}

// Watch watches pairs until ctx ends; signal sends a signal to one process ("group:name").
func (m *CertMonitor) Watch(ctx context.Context, pairs []CertPair, signal func(ctx context.Context, spec string, sig syscall.Signal) ([]supervise.Result, error), log *slog.Logger) error {
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Add(1)
		go func(p CertPair) {
			defer wg.Done()
			m.watch(ctx, p, signal, log)
		}(p)
	}
	wg.Wait()
	return nil
}

// certState is what a monitor last saw of one pair.
type certState struct {
	seen bool
	good gunicorn.CertInfo // the last valid pair read; zero before
	ok   bool              // the last reading was a valid pair
	info gunicorn.CertInfo // the last certificate read, valid or not
}

func (m *CertMonitor) watch(ctx context.Context, p CertPair, signal func(context.Context, string, syscall.Signal) ([]supervise.Result, error), log *slog.Logger) {
	var (
		mu sync.Mutex
		st certState
	)
	w := &gunicorn.CertWatcher{Path: p.CertFile, KeyFile: p.KeyFile, Interval: p.Interval, Ticks: m.Ticks,
		OnChange: func(ev gunicorn.CertEvent) {
			mu.Lock()
			defer mu.Unlock()
			m.change(ctx, p, &st, ev, signal, log)
		}}
	daily := time.NewTicker(ExpiryLogInterval)
	defer daily.Stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-daily.C:
				mu.Lock()
				m.logExpiry(p, st.info, log)
				mu.Unlock()
			}
		}
	}()
	_ = w.Serve(ctx)
	<-done
}

// change handles one reading that differs from the one before.
func (m *CertMonitor) change(ctx context.Context, p CertPair, st *certState, ev gunicorn.CertEvent, signal func(context.Context, string, syscall.Signal) ([]supervise.Result, error), log *slog.Logger) {
	now := m.now()
	err := ev.Err
	if err == nil && !ev.New.ValidAt(now) {
		if now.After(ev.New.NotAfter) {
			err = fmt.Errorf("%s: %w (on %s)", p.CertFile, gunicorn.ErrExpired, ev.New.NotAfter.Format("2006-01-02"))
		} else {
			err = fmt.Errorf("%s: %w (until %s)", p.CertFile, gunicorn.ErrNotYetValid, ev.New.NotBefore.Format("2006-01-02"))
		}
	}
	if ev.New.SHA256 != "" {
		st.info = ev.New
		m.remember(p, ev.New)
	}
	if !st.seen {
		st.seen, st.ok = true, err == nil
		if err == nil {
			st.good = ev.New
		}
		// Expiry alone is logged by logExpiry; anything else is said here.
		if ev.Err != nil {
			log.Error(fmt.Sprintf("[%s] certificate not usable: %v", p.Section, ev.Err))
		}
		m.logExpiry(p, st.info, log)
		return
	}
	if err != nil {
		st.ok = false
		log.Error(fmt.Sprintf("[%s] certificate not usable, gunicorn not reloaded: %v", p.Section, err))
		return
	}
	old, wasOK := st.good, st.ok
	st.ok, st.good = true, ev.New
	if old.SHA256 == ev.New.SHA256 {
		if !wasOK {
			log.Info(fmt.Sprintf("[%s] certificate usable again: %s", p.Section, ev.New.String()))
		}
		return
	}
	log.Info(fmt.Sprintf("[%s] certificate renewed: serial %s, expires %s; reloading gunicorn (SIGHUP)",
		p.Section, ev.New.Serial, ev.New.NotAfter.Format("2006-01-02")))
	for _, spec := range p.Specs {
		if _, err := signal(ctx, spec, gunicorn.Reload); err != nil {
			log.Warn(fmt.Sprintf("[%s] could not send SIGHUP to %s: %v", p.Section, spec, err))
		}
	}
	m.logExpiry(p, st.info, log)
}

// logExpiry warns within 30 days of expiry and logs an error once expired.
func (m *CertMonitor) logExpiry(p CertPair, info gunicorn.CertInfo, log *slog.Logger) {
	if info.SHA256 == "" {
		return
	}
	left := info.ExpiresIn(m.now())
	date := info.NotAfter.Format("2006-01-02")
	switch {
	case left <= 0:
		log.Error(fmt.Sprintf("[%s] certificate %s expired on %s: TLS clients refuse it", p.Section, p.CertFile, date))
	case left < gunicorn.DefaultExpiryWarning:
		log.Warn(fmt.Sprintf("[%s] certificate %s expires on %s (in %d days)", p.Section, p.CertFile, date, int(left.Hours()/24)))
	}
}
