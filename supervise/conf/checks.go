package conf

import (
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Options of supervise.Checks in [program:x] sections (and every section parsed like one:
// [gunicorn:x]). supervisord ignores unknown keys, so a file using them still loads there.
// Seconds are whole seconds as supervisord writes startsecs; sizes are byte sizes as it
// writes logfile_maxbytes (512MB).
//
//	ready = notify | tcp://HOST:PORT | http://URL | https://URL   Checks.Ready
//	ready_timeout = SECONDS (>= 1, default 60)                     Checks.ReadyTimeout
//	watchdog_secs = SECONDS (default 0 = off)                      Checks.Watchdog
//	healthcheck_url = http://URL | https://URL | tcp://HOST:PORT   Checks.HealthURL
//	healthcheck_command = SHELL LINE                               Checks.HealthCommand
//	healthcheck_interval = SECONDS (>= 1, default 10)              Checks.HealthInterval
//	healthcheck_timeout = SECONDS (>= 1, default 5)                Checks.HealthTimeout
//	healthcheck_retries = N (>= 1, default 3)                      Checks.HealthRetries
//	memory_limit = SIZE (default 0 = none)                         Checks.MemoryLimit
//	memory_check_interval = SECONDS (>= 1, default 10)             Checks.MemoryInterval
const (
	keyReady          = "ready"
	keyReadyTimeout   = "ready_timeout"
	keyWatchdog       = "watchdog_secs"
	keyHealthURL      = "healthcheck_url"
	keyHealthCommand  = "healthcheck_command"
	keyHealthInterval = "healthcheck_interval"
	keyHealthTimeout  = "healthcheck_timeout"
	keyHealthRetries  = "healthcheck_retries"
	keyMemoryLimit    = "memory_limit"
	keyMemoryInterval = "memory_check_interval"
)

// CheckKeys are the option names of supervise.Checks, for callers that list the keys a
// section may hold.
var CheckKeys = []string{keyReady, keyReadyTimeout, keyWatchdog, keyHealthURL, keyHealthCommand,
	keyHealthInterval, keyHealthTimeout, keyHealthRetries, keyMemoryLimit, keyMemoryInterval}

// readChecks reads the check options of section c with the expansions vars; a bad value is
// recorded as an error at its line (c.failed is then set).
func readChecks(c *sectx, vars map[string]any) supervise.Checks {
	var ch supervise.Checks
	// present returns the expanded value of key and its line, if the section sets it.
	present := func(key string) (string, int, bool) {
		s, line, set, ok := c.get(key, "", vars)
		return ini.Strip(s), line, set && ok
	}
	// number returns the integer value of key, at least min; set is false when absent or bad.
	number := func(key string, min int) (n int, set bool) {
		s, line, ok := present(key)
		if !ok {
			return 0, false
		}
		n, err := ParseInt(s)
		switch {
		case err != nil:
			c.fail(line, err)
		case n < min:
			c.fail(line, errorf("%s must be at least %d, not %d", key, min, n))
		default:
			return n, true
		}
		return 0, false
	}
	seconds := func(key string, min int) time.Duration {
		n, set := number(key, min)
		switch {
		case !set:
			return 0 // the default
		case n == 0:
			return -1 // zero, as written (the Checks zero value means the default)
		}
		return time.Duration(n) * time.Second
	}
	if s, line, ok := present(keyReady); ok && s != "" {
		if s != supervise.ReadyNotify {
			if _, err := supervise.CheckTarget(s); err != nil {
				c.fail(line, errorf("%s: %v (or notify)", keyReady, err))
			}
		}
		ch.Ready = s
	}
	ch.ReadyTimeout = seconds(keyReadyTimeout, 1)
	ch.Watchdog = seconds(keyWatchdog, 0)
	urlLine := 0
	if s, line, ok := present(keyHealthURL); ok && s != "" {
		if _, err := supervise.CheckTarget(s); err != nil {
			c.fail(line, errorf("%s: %v", keyHealthURL, err))
		}
		ch.HealthURL, urlLine = s, line
	}
	if s, line, ok := present(keyHealthCommand); ok && s != "" {
		if urlLine > 0 {
			c.fail(line, errorf("%s and %s are both set (line %d); use one", keyHealthCommand, keyHealthURL, urlLine))
		}
		ch.HealthCommand = s
	}
	ch.HealthInterval = seconds(keyHealthInterval, 1)
	ch.HealthTimeout = seconds(keyHealthTimeout, 1)
	ch.HealthRetries, _ = number(keyHealthRetries, 1)
	if s, line, ok := present(keyMemoryLimit); ok {
		n, err := ParseByteSize(s)
		switch {
		case err != nil:
			c.fail(line, err)
		case n < 0:
			c.fail(line, errorf("%s must not be negative, not %d", keyMemoryLimit, n))
		default:
			ch.MemoryLimit = n
		}
	}
	ch.MemoryInterval = seconds(keyMemoryInterval, 1)
	return ch
}
