package gunicorn

import (
	"strconv"
	"strings"
	"time"
)

// Args returns the gunicorn 20.1 command line for c, without the program name: flags in a fixed
// order with gunicorn's own spellings, then Extra, then App. The same Config always gives the
// same argv, so a supervisor can compare two of them to tell whether a restart is needed.
//
// Fields at their zero value write no flag, except Bind (DefaultBind) and Workers
// (DefaultWorkers). Durations are written in whole seconds, rounded up (Validate rejects
// fractions); Disabled and Unlimited write 0. Negative values other than those are
// written as they are, for gunicorn to refuse. Args does not validate: call Validate first.
func (c Config) Args() []string {
	a := make([]string, 0, 32)
	flag := func(name, value string) {
		// argparse takes a value that starts with "-" (other than "-" itself) for a flag, unless
		// it is attached with "=".
		if len(value) > 1 && value[0] == '-' {
			a = append(a, name+"="+value)
			return
		}
		a = append(a, name, value)
	}
	str := func(name, value string) {
		if value != "" {
			flag(name, value)
		}
	}
	num := func(name string, n int) {
		if n != 0 {
			flag(name, strconv.Itoa(n))
		}
	}
	limit := func(name string, n int) {
		if n == Unlimited {
			n = 0
			flag(name, "0")
		}
		num(name, n)
	}
	dur := func(name string, d time.Duration) {
		switch {
		case d == Disabled:
			flag(name, "0")
		case d != 0:
			flag(name, strconv.FormatInt(seconds(d), 10))
		}
	}
	boolean := func(name string, on bool) {
		if on {
			a = append(a, name)
		}
	}

	binds := c.Bind
	if len(binds) == 0 {
		binds = []string{DefaultBind}
	}
	for _, b := range binds {
		flag("--bind", b)
	}
	workers := c.Workers
	if workers == 0 {
		workers = DefaultWorkers()
	}
	flag("--workers", strconv.Itoa(workers))
	str("--worker-class", c.WorkerClass)
	num("--threads", c.Threads)
	num("--worker-connections", c.WorkerConnections)
	dur("--timeout", c.Timeout)
	dur("--graceful-timeout", c.GracefulTimeout)
	dur("--keep-alive", c.KeepAlive)
	num("--max-requests", c.MaxRequests)
	num("--max-requests-jitter", c.MaxRequestsJitter)
	limit("--limit-request-line", c.LimitRequestLine)
	limit("--limit-request-fields", c.LimitRequestFields)
	limit("--limit-request-field_size", c.LimitRequestFieldSize)
	str("--certfile", c.CertFile)
	str("--keyfile", c.KeyFile)
	str("--ca-certs", c.CACerts)
	num("--cert-reqs", c.CertReqs)
	str("--ciphers", c.Ciphers)
	str("--chdir", c.Chdir)
	if len(c.PythonPath) > 0 {
		flag("--pythonpath", strings.Join(c.PythonPath, ","))
	}
	for _, e := range c.Env {
		flag("--env", e)
	}
	str("--access-logfile", c.AccessLog)
	str("--error-logfile", c.ErrorLog)
	str("--log-level", c.LogLevel)
	str("--access-logformat", c.AccessLogFormat)
	boolean("--capture-output", c.CaptureOutput)
	boolean("--preload", c.PreloadApp)
	if len(c.ForwardedAllowIPs) > 0 {
		flag("--forwarded-allow-ips", strings.Join(c.ForwardedAllowIPs, ","))
	}
	boolean("--proxy-protocol", c.ProxyProtocol)
	str("--user", c.User)
	str("--group", c.Group)
	if c.Umask != 0 {
		flag("--umask", "0o"+strconv.FormatUint(uint64(c.Umask), 8))
	}
	str("--name", c.Name)
	str("--config", c.ConfigFile)
	str("--pid", c.PidFile)
	boolean("--reload", c.Reload)
	boolean("--daemon", c.Daemon)
	a = append(a, c.Extra...)
	if c.App != "" {
		a = append(a, c.App)
	}
	return a
}

// seconds converts d to whole seconds, rounding up, so that a positive duration never becomes
// gunicorn's 0 ("disabled").
func seconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return s
}
