package gunicorn

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
)

// DefaultExpiryWarning is how close to NotAfter a certificate must be for Validate to warn:
// 30 days.
const DefaultExpiryWarning = 30 * 24 * time.Hour

// Checker holds what Validate needs besides the Config: the clock, the warning window for
// certificates, the environment gunicorn will inherit and the directory it will start in. The
// zero value works: time.Now, DefaultExpiryWarning, os.Environ() and Chdir.
type Checker struct {
	// Now returns the current time for the certificate checks. Nil: time.Now.
	Now func() time.Time

	// ExpiryWarning is how long before a certificate's NotAfter Validate starts warning.
	// Zero: DefaultExpiryWarning (30 days). Negative: never warn.
	ExpiryWarning time.Duration

	// Env is the environment gunicorn will inherit, "KEY=VALUE" entries. Nil: os.Environ().
	// Pass CleanEnv(...) of what you will really give it.
	Env []string

	// Dir is the working directory gunicorn will be started in (the supervisor's directory
	// setting): where it looks for ./gunicorn.conf.py and what a relative Chdir or ConfigFile
	// is relative to. Empty: Chdir if that is absolute, else this process's working directory.
	Dir string
}

// Validate checks c with a zero Checker (see Checker for what that means).
func (c Config) Validate() ([]Warning, error) {
	return Checker{}.Check(c)
}

// Check reports every problem of c at once. The error, when not nil, is a *multierror.Error
// whose entries are *FieldError values naming the field and the file; the warnings are legal
// settings that hurt under a supervisor, and certificates close to expiry. Check reads the
// files c names (certificates, keys, directories) but changes nothing.
func (k Checker) Check(c Config) ([]Warning, error) {
	v := &validation{cfg: c, now: time.Now(), expiryWarning: k.ExpiryWarning, env: k.Env}
	if k.Now != nil {
		v.now = k.Now()
	}
	if v.expiryWarning == 0 {
		v.expiryWarning = DefaultExpiryWarning
	}
	if v.env == nil {
		v.env = os.Environ()
	}
	v.startDir = k.Dir
	if v.startDir == "" {
		if filepath.IsAbs(c.Chdir) {
			v.startDir = c.Chdir
		} else if wd, err := os.Getwd(); err == nil {
			v.startDir = wd
		}
	}
	v.chdir = v.startDir
	if c.Chdir != "" {
		v.chdir = v.fromStart(c.Chdir)
	}
	v.run()
	return v.warnings, v.errs.ErrorOrNil()
}

// validation is the state of one Check run.
type validation struct {
	cfg           Config
	now           time.Time
	expiryWarning time.Duration
	env           []string
	startDir      string // where gunicorn starts
	chdir         string // where it runs after --chdir, absolute when startDir is
	errs          *multierror.Error
	warnings      []Warning
}

func (v *validation) fail(field, path string, err error) {
	v.errs = multierror.Append(v.errs, &FieldError{Field: field, Path: path, Err: err})
}

func (v *validation) warn(field, path, msg string) {
	v.warnings = append(v.warnings, Warning{Field: field, Path: path, Message: msg})
}

// resolve makes a path relative to Chdir absolute, as gunicorn sees it after changing directory.
func (v *validation) resolve(p string) string {
	if filepath.IsAbs(p) || v.chdir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(v.chdir, p)
}

// fromStart makes a path relative to the start directory absolute.
func (v *validation) fromStart(p string) string {
	if filepath.IsAbs(p) || v.startDir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(v.startDir, p)
}

func (v *validation) run() {
	c := v.cfg
	v.checkApp()
	v.checkBinds()
	if c.Workers < 0 {
		v.fail("Workers", "", fmt.Errorf("%d: want at least 1 (0 means DefaultWorkers): %w", c.Workers, ErrRange))
	}
	v.checkWorkerClass()
	v.nonNegative("Threads", c.Threads)
	v.nonNegative("WorkerConnections", c.WorkerConnections)
	v.nonNegative("MaxRequests", c.MaxRequests)
	v.nonNegative("MaxRequestsJitter", c.MaxRequestsJitter)
	if c.MaxRequestsJitter > 0 && c.MaxRequests == 0 {
		v.warn("MaxRequestsJitter", "", "has no effect while MaxRequests is 0 (workers are never recycled)")
	}
	v.duration("Timeout", c.Timeout)
	v.duration("GracefulTimeout", c.GracefulTimeout)
	v.duration("KeepAlive", c.KeepAlive)
	v.limit("LimitRequestLine", c.LimitRequestLine, 8190)
	v.limit("LimitRequestFields", c.LimitRequestFields, 32768)
	v.limit("LimitRequestFieldSize", c.LimitRequestFieldSize, 0)
	v.checkTLS()
	v.checkPaths()
	v.checkLogging()
	v.checkIdentity()
	v.checkSupervision()
	v.checkExtra()
	v.checkEnv()
}

var (
	pyIdent   = `[A-Za-z_][A-Za-z0-9_]*`
	appModule = regexp.MustCompile(`^` + pyIdent + `(\.` + pyIdent + `)*$`)
	appVar    = regexp.MustCompile(`^` + pyIdent + `(\(.*\))?$`)
)

func (v *validation) checkApp() {
	app := v.cfg.App
	if app == "" {
		v.fail("App", "", fmt.Errorf("the WSGI app, \"module:variable\" such as \"wsgi:app\", is %w", ErrRequired))
		return
	}
	mod, variable, ok := strings.Cut(app, ":")
	switch {
	case !ok:
		v.fail("App", "", fmt.Errorf("%q has no ':'; want \"module:variable\", e.g. %q: %w", app, app+":app", ErrSyntax))
	case !appModule.MatchString(mod):
		v.fail("App", "", fmt.Errorf("%q: %q is not a dotted Python module name: %w", app, mod, ErrSyntax))
	case !appVar.MatchString(variable):
		v.fail("App", "", fmt.Errorf("%q: %q is not a Python name or factory call: %w", app, variable, ErrSyntax))
	}
}

func (v *validation) checkBinds() {
	seen := map[string]int{}
	for i, b := range v.cfg.Bind {
		field := fmt.Sprintf("Bind[%d]", i)
		a, err := ParseBind(b)
		if err != nil {
			v.fail(field, "", err)
			continue
		}
		key := a.String()
		if j, dup := seen[key]; dup {
			v.fail(field, "", fmt.Errorf("%q repeats Bind[%d]; gunicorn would fail to bind it twice: %w", b, j, ErrConflict))
			continue
		}
		seen[key] = i
		switch {
		case a.Kind == KindUnix:
			p := v.resolve(a.Path)
			if st, err := os.Stat(filepath.Dir(p)); err != nil {
				v.fail(field, p, fmt.Errorf("socket directory: %w", err))
			} else if !st.IsDir() {
				v.fail(field, p, fmt.Errorf("socket directory %s is not a directory: %w", filepath.Dir(p), ErrSyntax))
			}
		case a.Kind == KindTCP && (a.Host == "" || a.Host == "0.0.0.0" || a.Host == "::"):
			v.warn(field, "", fmt.Sprintf("%q listens on all interfaces", b))
		}
	}
}

// workerClasses are gunicorn 20.1's short worker class names.
var workerClasses = map[string]bool{
	"sync": true, "gthread": true, "eventlet": true, "gevent": true,
	"gevent_wsgi": true, "gevent_pywsgi": true, "tornado": true,
}

func (v *validation) checkWorkerClass() {
	c := v.cfg
	wc := c.WorkerClass
	switch {
	case wc == "" || workerClasses[wc]:
	case strings.HasPrefix(wc, "egg:") || strings.Contains(wc, "#"):
		// an entry point, gunicorn resolves it at startup
	case strings.Contains(wc, ".") && appModule.MatchString(wc):
		// a dotted class path
	default:
		v.fail("WorkerClass", "", fmt.Errorf("%q is neither a gunicorn worker (sync, gthread, eventlet, gevent, gevent_wsgi, gevent_pywsgi, tornado) nor a dotted class path: %w", wc, ErrUnknown))
	}
	sync := wc == "" || wc == "sync" || strings.HasSuffix(wc, "SyncWorker")
	if sync && c.Threads > 1 {
		v.warn("Threads", "", fmt.Sprintf("%d threads with the sync worker: gunicorn silently uses gthread instead", c.Threads))
	}
	if c.WorkerConnections > 0 && (sync || wc == "gthread") && c.Threads <= 1 {
		v.warn("WorkerConnections", "", "only eventlet and gevent workers use it")
	}
	if sync && c.Threads <= 1 && c.KeepAlive != 0 {
		v.warn("KeepAlive", "", "the sync worker does not keep connections alive")
	}
}

func (v *validation) nonNegative(field string, n int) {
	if n < 0 {
		v.fail(field, "", fmt.Errorf("%d is negative: %w", n, ErrRange))
	}
}

func (v *validation) duration(field string, d time.Duration) {
	switch {
	case d == Disabled || d == 0:
	case d < 0:
		v.fail(field, "", fmt.Errorf("%v is negative (use Disabled to pass 0): %w", d, ErrRange))
	case d%time.Second != 0:
		v.fail(field, "", fmt.Errorf("%v is not a whole number of seconds, which is all gunicorn takes: %w", d, ErrRange))
	}
}

func (v *validation) limit(field string, n, max int) {
	switch {
	case n == Unlimited || n == 0:
	case n < 0:
		v.fail(field, "", fmt.Errorf("%d is negative (use Unlimited to pass 0): %w", n, ErrRange))
	case max > 0 && n > max:
		v.warn(field, "", fmt.Sprintf("%d is above gunicorn's maximum; it silently uses %d", n, max))
	}
}

func (v *validation) checkPaths() {
	c := v.cfg
	if c.Chdir != "" {
		if st, err := os.Stat(v.chdir); err != nil {
			v.fail("Chdir", v.chdir, err)
		} else if !st.IsDir() {
			v.fail("Chdir", v.chdir, fmt.Errorf("not a directory: %w", ErrSyntax))
		}
	}
	for i, p := range c.PythonPath {
		field := fmt.Sprintf("PythonPath[%d]", i)
		if p == "" || strings.Contains(p, ",") {
			v.fail(field, "", fmt.Errorf("%q: entries are joined with ',' so they must be non-empty and hold none: %w", p, ErrSyntax))
			continue
		}
		if _, err := os.Stat(v.resolve(p)); err != nil {
			v.warn(field, v.resolve(p), "does not exist; Python will skip it")
		}
	}
	for i, e := range c.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			v.fail(fmt.Sprintf("Env[%d]", i), "", fmt.Errorf("%q: want KEY=VALUE (gunicorn fails at startup with \"environment setting invalid\"): %w", e, ErrSyntax))
		}
	}
	if c.ConfigFile != "" && !strings.HasPrefix(c.ConfigFile, "python:") {
		p := v.fromStart(c.ConfigFile)
		if _, err := readRegular(p); err != nil {
			v.fail("ConfigFile", p, err)
		}
	}
}

var logLevels = map[string]bool{"debug": true, "info": true, "warning": true, "error": true, "critical": true}

func (v *validation) checkLogging() {
	c := v.cfg
	if c.LogLevel != "" && !logLevels[strings.ToLower(c.LogLevel)] {
		v.fail("LogLevel", "", fmt.Errorf("%q: want debug, info, warning, error or critical (gunicorn would silently use info): %w", c.LogLevel, ErrUnknown))
	}
	for _, f := range []struct{ field, path string }{{"AccessLog", c.AccessLog}, {"ErrorLog", c.ErrorLog}} {
		if f.path == "" || f.path == "-" {
			continue
		}
		p := v.resolve(f.path)
		if st, err := os.Stat(filepath.Dir(p)); err != nil {
			v.fail(f.field, p, fmt.Errorf("log directory: %w", err))
		} else if !st.IsDir() {
			v.fail(f.field, p, fmt.Errorf("%s is not a directory: %w", filepath.Dir(p), ErrSyntax))
		} else if st, err := os.Stat(p); err == nil && st.IsDir() {
			v.fail(f.field, p, fmt.Errorf("is a directory: %w", ErrSyntax))
		}
	}
	if c.ErrorLog != "" && c.ErrorLog != "-" {
		v.warn("ErrorLog", v.resolve(c.ErrorLog), "startup errors go to this file, not to the stderr the supervisor captures")
	}
	for i, ip := range c.ForwardedAllowIPs {
		field := fmt.Sprintf("ForwardedAllowIPs[%d]", i)
		switch {
		case ip == "" || strings.ContainsAny(ip, ", \t"):
			v.fail(field, "", fmt.Errorf("%q: entries are joined with ',' so they must be non-empty and hold no ',' or space: %w", ip, ErrSyntax))
		case ip == "*":
			v.warn(field, "", "\"*\" trusts X-Forwarded-* headers from every client")
		case net.ParseIP(ip) == nil:
			v.warn(field, "", fmt.Sprintf("%q is not an IP address; gunicorn 20.1 compares the client address as a string (no networks or names), so it never matches", ip))
		}
	}
}

func (v *validation) checkIdentity() {
	c := v.cfg
	if c.User != "" && !isDigits(c.User) {
		if _, err := user.Lookup(c.User); err != nil {
			v.fail("User", "", fmt.Errorf("no such user %q: %w", c.User, ErrUnknown))
		}
	}
	if c.Group != "" && !isDigits(c.Group) {
		if _, err := user.LookupGroup(c.Group); err != nil {
			v.fail("Group", "", fmt.Errorf("no such group %q: %w", c.Group, ErrUnknown))
		}
	}
	if c.Umask > 0o777 {
		v.fail("Umask", "", fmt.Errorf("%#o has bits above 0777: %w", c.Umask, ErrRange))
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func (v *validation) checkSupervision() {
	c := v.cfg
	if c.Daemon {
		v.fail("Daemon", "", fmt.Errorf("gunicorn would detach: the supervised process exits 0 while the real master runs on unsupervised: %w", ErrUnsupervisable))
	}
	if c.PidFile != "" {
		p := v.resolve(c.PidFile)
		v.warn("PidFile", p, "a stale pid file naming any live process (even pid 1) stops gunicorn from starting, and a failed bind leaves one behind; the supervisor already knows the pid")
		if st, err := os.Stat(filepath.Dir(p)); err != nil || !st.IsDir() {
			v.fail("PidFile", p, fmt.Errorf("directory %s does not exist: %w", filepath.Dir(p), os.ErrNotExist))
		}
	}
	if c.PreloadApp {
		v.warn("PreloadApp", "", "the app is imported once in the master: SIGHUP restarts workers but does not reload the app's code, and an import error exits 1 instead of 3 or 4")
	}
	if c.Reload {
		v.warn("Reload", "", "a development setting: gunicorn restarts workers on file changes behind the supervisor's back")
	}
	if c.ConfigFile == "" && v.startDir != "" {
		p := filepath.Join(v.startDir, "gunicorn.conf.py")
		if _, err := os.Stat(p); err == nil {
			v.warn("ConfigFile", p, "empty, and gunicorn loads this file from its start directory without being told; its settings apply unless a flag overrides them")
		}
	}
}

// checkExtra parses Extra with gunicorn 20.1's flag table.
func (v *validation) checkExtra() {
	x := v.cfg.Extra
	for i := 0; i < len(x); i++ {
		field := fmt.Sprintf("Extra[%d]", i)
		tok := x[i]
		if tok == "" || tok[0] != '-' || tok == "-" {
			v.fail(field, "", fmt.Errorf("%q is not a flag (App is set separately): %w", tok, ErrSyntax))
			continue
		}
		name, value, hasValue := tok, "", false
		if strings.HasPrefix(tok, "--") {
			name, value, hasValue = strings.Cut(tok, "=")
		} else if len(tok) > 2 {
			name, value, hasValue = tok[:2], strings.TrimPrefix(tok[2:], "="), true
		}
		spec := flagIndex[name]
		if spec == nil {
			v.fail(field, "", fmt.Errorf("%q is not a gunicorn 20.1 flag%s: %w", name, flagHint(name), ErrUnknown))
			continue
		}
		switch spec.kind {
		case kindExit:
			v.fail(field, "", fmt.Errorf("%s prints and exits at once: %w", name, ErrUnsupervisable))
			continue
		case kindBool:
			if hasValue {
				v.fail(field, "", fmt.Errorf("%s takes no value: %w", name, ErrSyntax))
				continue
			}
		default:
			if !hasValue {
				if i+1 >= len(x) {
					v.fail(field, "", fmt.Errorf("%s needs a value: %w", name, ErrSyntax))
					continue
				}
				i++
				value = x[i]
			}
		}
		if spec.field != "" {
			v.fail(field, "", fmt.Errorf("%s: set Config.%s instead: %w", name, spec.field, ErrConflict))
		}
		v.checkExtraValue(field, spec, name, value)
	}
}

func (v *validation) checkExtraValue(field string, spec *flagSpec, name, value string) {
	switch spec.kind {
	case kindInt:
		n, err := strconv.Atoi(strings.TrimSpace(value))
		switch {
		case err != nil:
			v.fail(field, "", fmt.Errorf("%s %q is not an integer: %w", name, value, ErrSyntax))
		case n < 0:
			v.fail(field, "", fmt.Errorf("%s %d is negative: %w", name, n, ErrRange))
		case spec.setting == "workers" && n == 0:
			v.fail(field, "", fmt.Errorf("%s 0: a master with no workers accepts connections and serves none: %w", name, ErrRange))
		}
		return
	}
	switch spec.setting {
	case "daemon":
		v.fail(field, "", fmt.Errorf("%s: gunicorn would detach from the supervisor: %w", name, ErrUnsupervisable))
	case "pidfile":
		v.warn(field, "", "a pid file under a supervisor: stale files block startup")
	case "check_config", "print_config":
		v.warn(field, "", name+" makes gunicorn check its configuration and exit")
	case "reuse_port":
		v.warn(field, "", "SO_REUSEPORT lets a new master bind beside the workers of an old one, and both serve")
	case "ssl_version":
		if _, ok := sslVersions[value]; !ok {
			n, err := strconv.Atoi(value)
			known := false
			for _, m := range sslVersions {
				known = known || (err == nil && m == n)
			}
			if !known {
				v.fail(field, "", fmt.Errorf("%s %q: want SSLv23, TLS, TLS_CLIENT, TLS_SERVER, TLSv1, TLSv1_1 or TLSv1_2: %w", name, value, ErrUnknown))
			}
		}
	case "reload_engine":
		if value != "auto" && value != "poll" && value != "inotify" {
			v.fail(field, "", fmt.Errorf("%s %q: want auto, poll or inotify: %w", name, value, ErrUnknown))
		}
	case "statsd_host":
		if h, p, ok := strings.Cut(value, ":"); !ok || h == "" || strings.Contains(p, ":") || !isDigits(p) {
			v.fail(field, "", fmt.Errorf("%s %q: want host:port: %w", name, value, ErrSyntax))
		}
	}
}

// flagHint suggests the right spelling for flags people get wrong.
func flagHint(name string) string {
	switch name {
	case "--pidfile":
		return " (the pid file flag is --pid)"
	case "--logfile":
		return " (use --error-logfile)"
	}
	if strings.HasPrefix(name, "--") {
		var matches []string
		for n := range flagIndex {
			if strings.HasPrefix(n, name) {
				matches = append(matches, n)
			}
		}
		if len(matches) == 1 {
			return " (argparse would take it as an abbreviation of " + matches[0] + "; spell it out)"
		}
	}
	return ""
}
