package supervise

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Checks are what supervisord-lite watches in a process beyond its exit (none of it is in
// supervisord): when a started process counts as ready, whether a running one still answers,
// and how much memory its process tree holds. The zero value watches nothing and costs
// nothing: no socket, no goroutine, no timer.
//
// Durations follow the package rule: 0 means the documented default, a negative value means
// zero (which turns the check off where zero makes no sense, as noted).
type Checks struct {
	// Ready says when a started process is ready, i.e. RUNNING (instead of after StartSecs,
	// which is then not used):
	//   ReadyNotify ("notify"): it sends READY=1 over systemd's sd_notify protocol to the
	//     unix datagram socket named in its NOTIFY_SOCKET variable (gunicorn does);
	//   "tcp://HOST:PORT": a TCP connection to HOST:PORT succeeds;
	//   "http://URL", "https://URL": a GET of URL answers with a status below 400 (redirects
	//     are not followed; an https certificate is not verified, so a program's own
	//     self-signed certificate is accepted).
	// tcp and http(s) are tried at once and then every 100 ms, doubling up to 1 s.
	// A process that exits before it is ready, or is not ready within ReadyTimeout, has
	// failed to start (BACKOFF, then FATAL after StartRetries, as an exit within StartSecs).
	// "" (the default) = RUNNING after StartSecs, as in supervisord.
	Ready string
	// ReadyTimeout is how long a process may take to become ready; after it, it is stopped
	// (StopSignal, then SIGKILL after StopWait) and the start counts as failed. 0 = 60 s.
	ReadyTimeout time.Duration
	// Watchdog, when positive, makes a RUNNING process that sent no WATCHDOG=1 over sd_notify
	// for this long be restarted; the child gets WATCHDOG_USEC (systemd's WatchdogSec).
	// The first deadline counts from when it became RUNNING. 0 (the default) = off.
	Watchdog time.Duration

	// HealthURL is checked while the process is RUNNING: "http://URL" or "https://URL" (a GET
	// that answers below 400; https certificates are not verified) or "tcp://HOST:PORT" (a
	// connection succeeds). "" = no URL check.
	HealthURL string
	// HealthAnyStatus makes any HTTP answer to HealthURL healthy, whatever its status: the
	// check is then only whether the program answers at all within HealthTimeout (the
	// default check of a [gunicorn:x], whose app may answer / with 404).
	HealthAnyStatus bool
	// HealthCommand is run with /bin/sh -c while the process is RUNNING, in the program's
	// directory and environment; exit status 0 is healthy. "" = no command check. At most
	// one of HealthURL and HealthCommand is set.
	HealthCommand string
	// HealthInterval is the time from the end of one health check to the start of the
	// next; the first check starts one interval after the process became RUNNING. 0 = 10 s.
	HealthInterval time.Duration
	// HealthTimeout bounds one health check (a command that outlives it is killed with its
	// process group); a check that times out has failed. 0 = 5 s.
	HealthTimeout time.Duration
	// HealthRetries is how many failed health checks in a row restart the process (StopSignal,
	// then SIGKILL after StopWait, then a new start), with a WARN log line, an EventCheck and
	// the failure in the RUNNING description. 0 = 3; negative = 1.
	HealthRetries int

	// MemoryLimit, when positive, is the most resident memory (RSS, bytes) the process and all
	// its descendants may hold together; a RUNNING process over it is restarted as above.
	// 0 (the default) = no limit, and nothing is sampled.
	MemoryLimit int64
	// MemoryInterval is how often the RSS is sampled when MemoryLimit is set. 0 = 10 s.
	MemoryInterval time.Duration
}

// ReadyNotify is the Checks.Ready value for systemd's sd_notify protocol.
const ReadyNotify = "notify"

// Defaults of the Checks options, applied by Program.WithDefaults.
const (
	DefaultReadyTimeout   = 60 * time.Second
	DefaultHealthInterval = 10 * time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthRetries  = 3
	DefaultMemoryInterval = 10 * time.Second
)

func (c Checks) withDefaults() Checks {
	c.ReadyTimeout = durationDefault(c.ReadyTimeout, DefaultReadyTimeout)
	if c.Watchdog < 0 {
		c.Watchdog = 0
	}
	c.HealthInterval = durationDefault(c.HealthInterval, DefaultHealthInterval)
	c.HealthTimeout = durationDefault(c.HealthTimeout, DefaultHealthTimeout)
	c.HealthRetries = intDefault(c.HealthRetries, DefaultHealthRetries)
	if c.HealthRetries == 0 {
		c.HealthRetries = 1
	}
	if c.MemoryLimit < 0 {
		c.MemoryLimit = 0
	}
	c.MemoryInterval = durationDefault(c.MemoryInterval, DefaultMemoryInterval)
	return c
}

// notify reports whether the process gets a NOTIFY_SOCKET.
func (c Checks) notify() bool { return c.Ready == ReadyNotify || c.Watchdog > 0 }

// health reports whether a health check is configured.
func (c Checks) health() bool { return c.HealthURL != "" || c.HealthCommand != "" }

// CheckTarget parses a check address as Checks.Ready (without "notify") and Checks.HealthURL
// accept it: tcp://HOST:PORT, http://... or https://... with a host. The error says what is
// wrong with it.
func CheckTarget(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "tcp":
		if u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("%q: a tcp address is tcp://HOST:PORT, nothing more", s)
		}
		if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			return nil, fmt.Errorf("%q: a tcp address needs HOST:PORT", s)
		}
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("%q: no host", s)
		}
	default:
		return nil, fmt.Errorf("%q: the scheme must be tcp, http or https", s)
	}
	return u, nil
}

// validate adds the problems of c to errs.
func (c Checks) validate(add func(field, format string, args ...any)) {
	if c.Ready != "" && c.Ready != ReadyNotify {
		if _, err := CheckTarget(c.Ready); err != nil {
			add("Checks.Ready", "%v (or %q)", err, ReadyNotify)
		}
	}
	if c.HealthURL != "" {
		if _, err := CheckTarget(c.HealthURL); err != nil {
			add("Checks.HealthURL", "%v", err)
		}
		if c.HealthCommand != "" {
			add("Checks.HealthCommand", "is set with HealthURL (use one)")
		}
	}
	if strings.TrimSpace(c.HealthCommand) == "" && c.HealthCommand != "" {
		add("Checks.HealthCommand", "is blank")
	}
}
