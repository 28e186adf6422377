package gunicorn

import (
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
)

// Disabled, as a Timeout, GracefulTimeout or KeepAlive, writes the value 0 on the command line:
// gunicorn then disables the worker timeout, kills workers at once on a graceful stop, or turns
// keep-alive off. (The zero value of those fields means "gunicorn's default" instead.)
const Disabled time.Duration = -1

// Unlimited, as a LimitRequestLine, LimitRequestFields or LimitRequestFieldSize, writes the value
// 0 on the command line, which gunicorn reads as "no limit" (for LimitRequestFields: its hard
// maximum of 32768 headers). The zero value of those fields means "gunicorn's default" instead.
const Unlimited = -1

// CertReqs values: whether gunicorn asks TLS clients for a certificate (Python's ssl.CERT_*).
const (
	// CertNone does not ask for a client certificate (gunicorn's default, 0).
	CertNone = 0
	// CertOptional asks for one and verifies it against CACerts if sent (1).
	CertOptional = 1
	// CertRequired refuses clients without a certificate that verifies against CACerts (2).
	CertRequired = 2
)

// DefaultBind is the address written when Config.Bind is empty: gunicorn 20.1's own default.
// It is always written out, so that a PORT variable in the environment (which changes gunicorn's
// default to 0.0.0.0:$PORT, all interfaces) cannot take effect.
const DefaultBind = "127.0.0.1:8000"

// Config is one gunicorn 20.1 command line as a value. The zero value of every field means
// "gunicorn's own default" and writes no flag, except Bind and Workers, which are always written
// (see DefaultBind and DefaultWorkers) so that the environment cannot change them. Durations are
// passed to gunicorn in whole seconds; Validate rejects fractions.
//
// Relative file paths (CertFile, KeyFile, CACerts, AccessLog, ErrorLog, PidFile, unix: binds) are
// resolved by gunicorn against Chdir, because it changes directory before it opens them; Validate
// resolves them the same way. Absolute paths avoid the question.
type Config struct {
	// App is the WSGI application as "module:variable", e.g. "wsgi:app" (the positional
	// APP_MODULE). The variable may be a call of a factory, "app:create_app()". Required.
	App string

	// Bind lists the sockets to listen on (--bind, repeated): "host:port", "[ipv6]:port",
	// "unix:/path" or "fd://N". Empty: DefaultBind.
	Bind []string

	// Workers is the number of worker processes (--workers). Zero: DefaultWorkers(),
	// 2 × logical cores + 1.
	Workers int

	// WorkerClass is the worker type (--worker-class): sync, gthread, eventlet, gevent,
	// gevent_wsgi, gevent_pywsgi, tornado, or a dotted Python class path. Empty: sync.
	WorkerClass string

	// Threads is the number of threads per worker (--threads). Zero: 1. More than 1 with the
	// sync worker makes gunicorn use gthread.
	Threads int

	// WorkerConnections caps simultaneous clients per worker for eventlet and gevent
	// (--worker-connections). Zero: 1000.
	WorkerConnections int

	// Timeout is how long a silent worker may live before it is killed and replaced (--timeout,
	// whole seconds). Zero: 30 s. Disabled turns the check off. An orphaned worker (its master
	// was SIGKILLed) notices within Timeout/2.
	Timeout time.Duration

	// GracefulTimeout is how long a graceful stop (SIGTERM) or reload (SIGHUP) waits for busy
	// workers before SIGKILLing them (--graceful-timeout, whole seconds). Zero: 30 s. Disabled
	// kills them at once. StopWait derives the supervisor's stop timeout from it.
	GracefulTimeout time.Duration

	// KeepAlive is how long to wait for the next request on a keep-alive connection
	// (--keep-alive, whole seconds). Zero: 2 s. Disabled turns keep-alive off. The sync worker
	// ignores it.
	KeepAlive time.Duration

	// MaxRequests recycles a worker after it served this many requests (--max-requests).
	// Zero: never.
	MaxRequests int

	// MaxRequestsJitter adds a random 0..N to MaxRequests per worker (--max-requests-jitter).
	// Zero: none.
	MaxRequestsJitter int

	// LimitRequestLine is the longest request line in bytes (--limit-request-line). Zero: 4094.
	// Unlimited: no limit. gunicorn silently caps values above 8190 to 8190.
	LimitRequestLine int

	// LimitRequestFields is the most header fields per request (--limit-request-fields).
	// Zero: 100. Unlimited: gunicorn's maximum, 32768 (larger values are capped silently).
	LimitRequestFields int

	// LimitRequestFieldSize is the longest header field in bytes
	// (--limit-request-field_size, spelt with an underscore). Zero: 8190. Unlimited: no limit.
	LimitRequestFieldSize int

	// CertFile is the PEM certificate (chain, leaf first) served over TLS (--certfile). It may
	// also hold the private key. Empty: plain HTTP. gunicorn 20.1 reads it from disk on every
	// TLS connection, so a renewed file at the same path is served without a reload.
	CertFile string

	// KeyFile is the PEM private key for CertFile (--keyfile). Empty: the key is read from
	// CertFile. It must not be encrypted (gunicorn 20.1 has no password setting).
	KeyFile string

	// CACerts is a PEM bundle of CAs that client certificates are verified against
	// (--ca-certs). Empty: none.
	CACerts string

	// CertReqs asks clients for a certificate (--cert-reqs): CertNone (the default),
	// CertOptional or CertRequired. The last two need CACerts.
	CertReqs int

	// Ciphers is an OpenSSL cipher list (--ciphers). Empty: Python's default. It is passed
	// through unchecked.
	Ciphers string

	// Chdir is the directory gunicorn changes to before it loads the app (--chdir); relative
	// paths in the other settings are resolved against it. Empty: the directory gunicorn is
	// started in.
	Chdir string

	// PythonPath lists directories to add to the Python path (--pythonpath, comma-joined).
	// Empty: none.
	PythonPath []string

	// Env lists "KEY=VALUE" settings that gunicorn puts into its own environment (--env,
	// repeated; gunicorn's raw_env). Empty: none.
	Env []string

	// AccessLog is the access log file (--access-logfile); "-" is stdout. Empty: no access log
	// at all (gunicorn's default).
	AccessLog string

	// ErrorLog is the error log file (--error-logfile); "-" is stderr. Empty: stderr, which a
	// supervisor captures; a file there hides startup errors from it.
	ErrorLog string

	// LogLevel is the error log level (--log-level): debug, info, warning, error or critical.
	// Empty: info. (gunicorn itself turns unknown levels into info without a word.)
	LogLevel string

	// AccessLogFormat is the access log line format (--access-logformat). Empty: gunicorn's
	// `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`.
	AccessLogFormat string

	// CaptureOutput sends the app's stdout and stderr to ErrorLog (--capture-output).
	CaptureOutput bool

	// PreloadApp imports the app once in the master before forking (--preload). A SIGHUP then
	// no longer reloads the app's code. Validate warns.
	PreloadApp bool

	// ForwardedAllowIPs lists front-end addresses trusted to set the secure-scheme headers
	// (--forwarded-allow-ips, comma-joined); "*" trusts all. Empty: 127.0.0.1, or
	// $FORWARDED_ALLOW_IPS when set in gunicorn's environment.
	ForwardedAllowIPs []string

	// ProxyProtocol enables the PROXY protocol on the listeners (--proxy-protocol).
	ProxyProtocol bool

	// User is the user (name or numeric id) the workers switch to (--user). Empty: the user
	// gunicorn runs as.
	User string

	// Group is the group (name or numeric id) the workers switch to (--group). Empty: the
	// group gunicorn runs as.
	Group string

	// Umask is the file mode mask for files gunicorn writes (--umask, written in octal).
	// Zero: 0.
	Umask uint32

	// Name is the process title base, visible only with setproctitle installed (--name).
	// Empty: none.
	Name string

	// ConfigFile is a gunicorn.conf.py to load (--config). Empty: gunicorn loads
	// ./gunicorn.conf.py from the directory it is started in, if there is one; Validate warns.
	ConfigFile string

	// PidFile is a file gunicorn writes its pid to (--pid). Empty: none, which is what a
	// supervisor wants; Validate warns when it is set.
	PidFile string

	// Reload restarts workers when code changes (--reload), a development feature. Validate
	// warns: workers are restarted behind the supervisor's back.
	Reload bool

	// Daemon detaches gunicorn from its parent (--daemon). Validate refuses it: the supervised
	// process would exit 0 while the real master runs on, unsupervised.
	Daemon bool

	// Extra is written after all other flags and before App, verbatim: the escape hatch for any
	// other gunicorn 20.1 flag. Validate checks the flag names and the values it knows, and
	// refuses flags that duplicate a field above.
	Extra []string
}

// DefaultWorkers is gunicorn's recommended worker count, 2 × logical CPU cores + 1, with the
// core count from gopsutil (runtime.NumCPU if that fails). A Config with Workers 0 uses it.
func DefaultWorkers() int {
	n, err := cpu.Counts(true)
	if err != nil || n < 1 {
		n = runtime.NumCPU()
	}
	return 2*n + 1
}
