package gunicorn

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The tests in this file run Debian's gunicorn 20.1 (package gunicorn / python3-gunicorn).

// e2eEnv is the environment the real gunicorn gets: ours without the variables it reads, and
// without writing .pyc files next to the test app.
func e2eEnv() []string {
	return append(CleanEnv(os.Environ()), "PYTHONDONTWRITEBYTECODE=1")
}

// appDir returns a fresh directory holding copies of testdata/*.py, a certs/ directory and a
// lib/ directory.
func appDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"wsgi.py", "flaskapp.py"} {
		data, err := os.ReadFile(filepath.Join(testdataDir(t), f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), data, 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "certs"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "lib"), 0o755))
	return dir
}

// runGunicorn runs gunicorn with args in dir and returns its combined output and exit code.
func runGunicorn(t testing.TB, bin, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	out, rc, err := execGunicorn(bin, dir, env, args...)
	if err != nil {
		t.Fatalf("gunicorn %v: %v\n%s", args, err, out)
	}
	return out, rc
}

// execGunicorn is runGunicorn for goroutines: it reports failure to run instead of failing.
func execGunicorn(bin, dir string, env []string, args ...string) (string, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0, nil
	case errors.As(err, &ee) && ctx.Err() == nil:
		return string(out), ee.ExitCode(), nil
	}
	return string(out), -1, err
}

// parsePrintConfig reads the "name = value" lines of `gunicorn --print-config`.
func parsePrintConfig(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		key, rest, ok := strings.Cut(line, " ")
		if !ok || key == "" {
			continue
		}
		rest = strings.TrimLeft(rest, " ")
		if !strings.HasPrefix(rest, "=") {
			continue
		}
		m[key] = strings.TrimPrefix(rest[1:], " ")
	}
	return m
}

// pyStr is Python's repr of a str (for the ASCII strings the tests use).
func pyStr(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}

func pyList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = pyStr(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// expectedPrint is what `gunicorn --print-config` must show for the settings c controls; dir is
// the directory gunicorn is started in.
func expectedPrint(t testing.TB, c Config, dir string) map[string]string {
	t.Helper()
	orNone := func(s string) string {
		if s == "" {
			return "None"
		}
		return s
	}
	orInt := func(n, def int) string {
		if n == 0 {
			n = def
		}
		if n == Unlimited {
			n = 0
		}
		return strconv.Itoa(n)
	}
	orSec := func(d time.Duration, def int) string {
		switch d {
		case 0:
			return strconv.Itoa(def)
		case Disabled:
			return "0"
		}
		return strconv.FormatInt(seconds(d), 10)
	}
	orStr := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	bind := c.Bind
	if len(bind) == 0 {
		bind = []string{DefaultBind}
	}
	workers := c.Workers
	if workers == 0 {
		workers = DefaultWorkers()
	}
	chdir := dir
	if c.Chdir != "" {
		chdir = c.Chdir
		if !filepath.IsAbs(chdir) {
			chdir = filepath.Join(dir, chdir)
		}
	}
	fwd := []string{"127.0.0.1"}
	if len(c.ForwardedAllowIPs) > 0 {
		fwd = c.ForwardedAllowIPs
	}
	uid, gid := strconv.Itoa(os.Geteuid()), strconv.Itoa(os.Getegid())
	if c.User != "" {
		uid = c.User
		if !isDigits(uid) {
			u, err := user.Lookup(c.User)
			require.NoError(t, err)
			uid = u.Uid
		}
	}
	if c.Group != "" {
		gid = c.Group
		if !isDigits(gid) {
			g, err := user.LookupGroup(c.Group)
			require.NoError(t, err)
			gid = g.Gid
		}
	}
	pythonpath := "None"
	if len(c.PythonPath) > 0 {
		pythonpath = strings.Join(c.PythonPath, ",")
	}
	env := c.Env
	if env == nil {
		env = []string{}
	}
	return map[string]string{
		"wsgi_app":                 "None",
		"default_proc_name":        c.App,
		"bind":                     pyList(bind),
		"workers":                  strconv.Itoa(workers),
		"worker_class":             orStr(c.WorkerClass, "sync"),
		"threads":                  orInt(c.Threads, 1),
		"worker_connections":       orInt(c.WorkerConnections, 1000),
		"timeout":                  orSec(c.Timeout, 30),
		"graceful_timeout":         orSec(c.GracefulTimeout, 30),
		"keepalive":                orSec(c.KeepAlive, 2),
		"max_requests":             orInt(c.MaxRequests, 0),
		"max_requests_jitter":      orInt(c.MaxRequestsJitter, 0),
		"limit_request_line":       orInt(c.LimitRequestLine, 4094),
		"limit_request_fields":     orInt(c.LimitRequestFields, 100),
		"limit_request_field_size": orInt(c.LimitRequestFieldSize, 8190),
		"certfile":                 orNone(c.CertFile),
		"keyfile":                  orNone(c.KeyFile),
		"ca_certs":                 orNone(c.CACerts),
		"cert_reqs":                strconv.Itoa(c.CertReqs),
		"ciphers":                  orNone(c.Ciphers),
		"chdir":                    chdir,
		"pythonpath":               pythonpath,
		"raw_env":                  pyList(env),
		"accesslog":                orNone(c.AccessLog),
		"errorlog":                 orStr(c.ErrorLog, "-"),
		"loglevel":                 orStr(c.LogLevel, "info"),
		"access_log_format":        orStr(c.AccessLogFormat, `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`),
		"capture_output":           pyBool(c.CaptureOutput),
		"preload_app":              pyBool(c.PreloadApp),
		"forwarded_allow_ips":      pyList(fwd),
		"proxy_protocol":           pyBool(c.ProxyProtocol),
		"user":                     uid,
		"group":                    gid,
		"umask":                    strconv.FormatUint(uint64(c.Umask), 10),
		"proc_name":                orNone(c.Name),
		"config":                   orStr(c.ConfigFile, "./gunicorn.conf.py"),
		"pidfile":                  orNone(c.PidFile),
		"reload":                   pyBool(c.Reload),
		"daemon":                   pyBool(c.Daemon),
	}
}

// extraPrint is what the Extra flags the generator uses must show.
var extraPrint = map[string][2]string{
	"--backlog":        {"backlog", "64"},
	"--reuse-port":     {"reuse_port", "True"},
	"--ssl-version":    {"ssl_version", "5"},
	"--no-sendfile":    {"sendfile", "False"},
	"--spew":           {"spew", "True"},
	"--initgroups":     {"initgroups", "True"},
	"--statsd-host":    {"statsd_host", "('localhost', 8125)"},
	"--worker-tmp-dir": {"worker_tmp_dir", "/dev/shm"},
}

var extraPool = [][]string{
	nil, {"--backlog", "64"}, {"--reuse-port"}, {"--ssl-version", "TLSv1_2"}, {"--no-sendfile"},
	{"--initgroups"}, {"--statsd-host=localhost:8125"}, {"--worker-tmp-dir", "/dev/shm"},
}

// generateConfigs returns n valid configurations for the app in dir, drawn from pools of
// values with a fixed seed, so that every field takes a non-zero value in some of them.
func generateConfigs(t testing.TB, dir string, n int) []Config {
	t.Helper()
	cert, key := testCert(t, filepath.Join(dir, "certs"), "cert", certSpec{})
	both, _ := testCert(t, filepath.Join(dir, "certs"), "both", certSpec{keyInCert: true, rsa: true})
	ca, _ := testCert(t, filepath.Join(dir, "certs"), "ca", certSpec{cn: "Test CA"})
	conf := filepath.Join(dir, "explicit.conf.py")
	require.NoError(t, os.WriteFile(conf, []byte("# empty on purpose\n"), 0o644))
	r := rand.New(rand.NewSource(7))
	pick := func(n int) int { return r.Intn(n) }
	var out []Config
	for i := 0; i < n; i++ {
		c := Config{App: []string{"wsgi:app", "wsgi:create_app()"}[pick(2)], Chdir: dir}
		binds := [][]string{nil, {"127.0.0.1:5001"}, {"[::1]:8080"}, {"unix:" + filepath.Join(dir, "app.sock")},
			{"127.0.0.1:5001", "localhost:5002"}, {"tcp://127.0.0.1:9000", "unix:app.sock", "fd://3"}}
		c.Bind = binds[pick(len(binds))]
		c.Workers = []int{0, 1, 2, 3, 8}[pick(5)]
		c.WorkerClass = []string{"", "sync", "gthread", "gunicorn.workers.sync.SyncWorker"}[pick(4)]
		c.Threads = []int{0, 1, 2, 4}[pick(4)]
		c.WorkerConnections = []int{0, 10, 500}[pick(3)]
		durs := []time.Duration{0, Disabled, 10 * time.Second, 120 * time.Second}
		c.Timeout, c.GracefulTimeout, c.KeepAlive = durs[pick(4)], durs[pick(4)], durs[pick(4)]
		c.MaxRequests = []int{0, 100, 5000}[pick(3)]
		c.MaxRequestsJitter = []int{0, 7, 50}[pick(3)]
		limits := []int{0, Unlimited, 1000, 8190}
		c.LimitRequestLine, c.LimitRequestFields, c.LimitRequestFieldSize = limits[pick(4)], limits[pick(4)], limits[pick(4)]
		switch pick(4) {
		case 1:
			c.CertFile, c.KeyFile = cert, key
		case 2:
			c.CertFile, c.KeyFile = "certs/cert.pem", "certs/cert-key.pem"
		case 3:
			c.CertFile = both
		}
		if c.CertFile != "" {
			if pick(2) == 1 {
				c.CACerts, c.CertReqs = ca, []int{CertNone, CertOptional, CertRequired}[pick(3)]
			}
			c.Ciphers = []string{"", "ECDHE+AESGCM", "HIGH:!aNULL"}[pick(3)]
		}
		c.PythonPath = [][]string{nil, {"lib"}, {dir, "lib"}}[pick(3)]
		c.Env = [][]string{nil, {"A=1"}, {"A=1", "B=two words"}, {"URL=http://x/?a=b", "EMPTY="}}[pick(4)]
		c.AccessLog = []string{"", "-", "access.log", filepath.Join(dir, "abs-access.log")}[pick(4)]
		c.ErrorLog = []string{"", "-", "error.log"}[pick(3)]
		c.LogLevel = []string{"", "debug", "warning", "CRITICAL"}[pick(4)]
		c.AccessLogFormat = []string{"", `%(h)s %(r)s %(s)s`, `-%(h)s "%(a)s"`}[pick(3)]
		c.CaptureOutput, c.PreloadApp, c.ProxyProtocol = pick(2) == 1, pick(2) == 1, pick(2) == 1
		c.ForwardedAllowIPs = [][]string{nil, {"10.0.0.1"}, {"10.0.0.1", "10.0.0.2"}, {"*"}}[pick(4)]
		c.User = []string{"", "root", "0", "nobody"}[pick(4)]
		c.Group = []string{"", "root", "65534", "nogroup"}[pick(4)]
		c.Umask = []uint32{0, 0o22, 0o77, 0o7}[pick(4)]
		c.Name = []string{"", "web", "my app"}[pick(3)]
		c.ConfigFile = []string{"", conf}[pick(2)]
		c.PidFile = []string{"", "app.pid"}[pick(2)]
		c.Reload, c.Daemon = pick(4) == 0, pick(6) == 0
		c.Extra = extraPool[pick(len(extraPool))]
		out = append(out, c)
	}
	return out
}

// TestPrintConfigMatches is the differential test: for generated configurations, the real
// gunicorn accepts our argv (--check-config exits 0, silently) and --print-config shows exactly
// the values we set, for every Config field.
func TestPrintConfigMatches(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.Short(t)
	dir := appDir(t)
	start := t.TempDir()
	configs := generateConfigs(t, dir, 40)

	// Every field of Config is set (non-zero) by at least one generated configuration.
	ft := reflect.TypeOf(Config{})
	for i := 0; i < ft.NumField(); i++ {
		set := false
		for _, c := range configs {
			set = set || !reflect.ValueOf(c).Field(i).IsZero()
		}
		assert.True(t, set, "no generated configuration sets %s", ft.Field(i).Name)
	}

	env := e2eEnv()
	// Our side first: each generated configuration is valid, except that Daemon is refused.
	for i, c := range configs {
		_, err := Checker{Env: env, Dir: start}.Check(c)
		if c.Daemon {
			var fe *FieldError
			require.ErrorAs(t, err, &fe, "config %d", i)
			require.Equal(t, "Daemon", fe.Field, "config %d: %v", i, err)
			require.Len(t, err.(interface{ WrappedErrors() []error }).WrappedErrors(), 1, "config %d: %v", i, err)
			continue
		}
		require.NoError(t, err, "config %d: %+v", i, c)
	}
	type result struct {
		checkOut, printOut string
		checkRC, printRC   int
		err                error
	}
	results := make([]result, len(configs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, c := range configs {
		wg.Add(1)
		go func(i int, args []string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &results[i]
			// --print-config runs the same checks as --check-config (and the app import) before
			// it exits 0; --check-config itself runs on every fourth configuration, to save time.
			if i%4 == 0 {
				r.checkOut, r.checkRC, r.err = execGunicorn(bin, start, env, append(args, "--check-config")...)
			}
			if r.err == nil {
				r.printOut, r.printRC, r.err = execGunicorn(bin, start, env, append(args, "--print-config")...)
			}
		}(i, c.Args())
	}
	wg.Wait()
	for i, c := range configs {
		r := results[i]
		t.Run(fmt.Sprintf("config%02d", i), func(t *testing.T) {
			args := strings.Join(c.Args(), " ")
			require.NoError(t, r.err, "%s\n%s%s", args, r.checkOut, r.printOut)
			require.Equal(t, 0, r.checkRC, "--check-config %s\n%s", args, r.checkOut)
			assert.Empty(t, r.checkOut, "--check-config %s", args)
			require.Equal(t, 0, r.printRC, "--print-config %s\n%s", args, r.printOut)
			got := parsePrintConfig(r.printOut)
			require.Len(t, got, 86, "gunicorn 20.1 prints 86 settings")
			for k, want := range expectedPrint(t, c, start) {
				assert.Equal(t, want, got[k], "setting %s for argv %s", k, args)
			}
			for j := 0; j < len(c.Extra); j++ {
				name, _, _ := strings.Cut(c.Extra[j], "=")
				if e, ok := extraPrint[name]; ok {
					assert.Equal(t, e[1], got[e[0]], "Extra %s", c.Extra[j])
				}
			}
		})
	}
}

// TestInvalidBothAgree: configurations that our Validate and gunicorn's --check-config both
// refuse.
func TestInvalidBothAgree(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.Short(t)
	dir := appDir(t)
	base := Config{App: "wsgi:app", Bind: []string{"127.0.0.1:5001"}, Workers: 2, Chdir: dir}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	tests := []struct {
		name   string
		cfg    Config
		field  string
		rc     int
		output string
	}{
		{"workers -1", with(func(c *Config) { c.Workers = -1 }), "Workers", 1, "Value must be positive: -1"},
		{"threads -1", with(func(c *Config) { c.Threads = -1 }), "Threads", 1, "Value must be positive"},
		{"max requests -1", with(func(c *Config) { c.MaxRequests = -1 }), "MaxRequests", 1, "Value must be positive"},
		{"timeout -5s", with(func(c *Config) { c.Timeout = -5 * time.Second }), "Timeout", 1, "Value must be positive: -5"},
		{"graceful -1s", with(func(c *Config) { c.GracefulTimeout = -time.Second }), "GracefulTimeout", 1, "Value must be positive"},
		{"limit -2", with(func(c *Config) { c.LimitRequestLine = -2 }), "LimitRequestLine", 1, "Value must be positive"},
		{"no app", with(func(c *Config) { c.App = "" }), "App", 1, "No application module specified"},
		{"app without colon", with(func(c *Config) { c.App = "wsgi" }), "App", 1, "Failed to find attribute 'application'"},
		{"chdir missing", with(func(c *Config) { c.Chdir = "/nonexistent/app" }), "Chdir", 1, "can't chdir to '/nonexistent/app'"},
		{"config file missing", with(func(c *Config) { c.ConfigFile = "/nonexistent/gunicorn.conf.py" }), "ConfigFile", 1, "doesn't exist"},
		{"no such user", with(func(c *Config) { c.User = "nosuchuser" }), "User", 1, "No such user: 'nosuchuser'"},
		{"no such group", with(func(c *Config) { c.Group = "nosuchgroup" }), "Group", 1, "No such group: 'nosuchgroup'"},
		{"unknown flag", with(func(c *Config) { c.Extra = []string{"--no-such-flag"} }), "Extra[0]", 2, "unrecognized arguments: --no-such-flag"},
		{"--pidfile", with(func(c *Config) { c.Extra = []string{"--pidfile", "x.pid"} }), "Extra[0]", 2, "unrecognized arguments: --pidfile"},
		{"extra int not a number", with(func(c *Config) { c.Extra = []string{"--backlog", "many"} }), "Extra[0]", 2, "invalid int value: 'many'"},
		{"ssl version", with(func(c *Config) { c.Extra = []string{"--ssl-version", "SSLv3"} }), "Extra[0]", 1, "Invalid ssl_version: SSLv3"},
		{"reload engine", with(func(c *Config) { c.Extra = []string{"--reload-engine", "nosuch"} }), "Extra[0]", 1, "Invalid reload_engine"},
		{"statsd host", with(func(c *Config) { c.Extra = []string{"--statsd-host", "nohostport"} }), "Extra[0]", 1, "hostname:port"},
	}
	env := e2eEnv()
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Checker{Env: env, Dir: dir}.Check(tt.cfg)
			require.Error(t, err, "our Validate must refuse it")
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, tt.field, fe.Field, "%v", err)
			out, rc := runGunicorn(t, bin, dir, env, append(tt.cfg.Args(), "--check-config")...)
			assert.Equal(t, tt.rc, rc, "gunicorn --check-config %v\n%s", tt.cfg.Args(), out)
			assert.Contains(t, out, tt.output)
		})
	}
}

// TestInvalidOnlyWeCatch: configurations gunicorn's --check-config accepts (exit 0) although
// they fail, misbehave or break supervision at runtime; Validate refuses each.
func TestInvalidOnlyWeCatch(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.Short(t)
	dir := appDir(t)
	certs := filepath.Join(dir, "certs")
	cert, key := testCert(t, certs, "cert", certSpec{})
	_, otherKey := testCert(t, certs, "other", certSpec{})
	now := time.Now()
	expired, expiredKey := testCert(t, certs, "expired", certSpec{notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	garbage := filepath.Join(certs, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("garbage"), 0o600))
	base := Config{App: "wsgi:app", Bind: []string{"127.0.0.1:5001"}, Workers: 2, Chdir: dir}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	tests := []struct {
		name  string
		cfg   Config
		field string
		is    error
	}{
		{"cert missing", with(func(c *Config) { c.CertFile, c.KeyFile = "/nonexistent/cert.pem", "/nonexistent/key.pem" }), "CertFile", os.ErrNotExist},
		{"cert relative to the wrong dir", with(func(c *Config) { c.CertFile, c.KeyFile = "app/certs/cert.pem", key }), "CertFile", os.ErrNotExist},
		{"cert garbage", with(func(c *Config) { c.CertFile, c.KeyFile = garbage, key }), "CertFile", ErrNotPEM},
		{"key mismatch", with(func(c *Config) { c.CertFile, c.KeyFile = cert, otherKey }), "KeyFile", ErrKeyMismatch},
		{"cert expired", with(func(c *Config) { c.CertFile, c.KeyFile = expired, expiredKey }), "CertFile", ErrExpired},
		{"client certs without CA", with(func(c *Config) { c.CertFile, c.KeyFile, c.CertReqs = cert, key, CertRequired }), "CertReqs", ErrConflict},
		{"workers 0", with(func(c *Config) { c.Workers = 0; c.Extra = []string{"--workers", "0"} }), "Extra[0]", ErrRange},
		{"bad port", with(func(c *Config) { c.Bind = []string{"127.0.0.1:notaport"} }), "Bind[0]", ErrSyntax},
		{"port out of range", with(func(c *Config) { c.Bind = []string{"127.0.0.1:70000"} }), "Bind[0]", ErrRange},
		{"ipv6 without brackets", with(func(c *Config) { c.Bind = []string{"::1:5001"} }), "Bind[0]", ErrSyntax},
		{"worker class", with(func(c *Config) { c.WorkerClass = "nosuch" }), "WorkerClass", ErrUnknown},
		{"log level", with(func(c *Config) { c.LogLevel = "loud" }), "LogLevel", ErrUnknown},
		{"env without =", with(func(c *Config) { c.Env = []string{"FOO"} }), "Env[0]", ErrSyntax},
		{"access log dir", with(func(c *Config) { c.AccessLog = "/nonexistent/dir/a.log" }), "AccessLog", os.ErrNotExist},
		{"umask bits", with(func(c *Config) { c.Umask = 0o1000 }), "Umask", ErrRange},
		{"daemon", with(func(c *Config) { c.Daemon = true }), "Daemon", ErrUnsupervisable},
	}
	env := e2eEnv()
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Checker{Env: env, Dir: dir}.Check(tt.cfg)
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, tt.field, fe.Field, "%v", err)
			assert.ErrorIs(t, err, tt.is)
			out, rc := runGunicorn(t, bin, dir, env, append(tt.cfg.Args(), "--check-config")...)
			assert.Equal(t, 0, rc, "gunicorn --check-config is expected to miss this\n%s", out)
		})
	}
}

// TestRuntimeFailuresWeCatch starts gunicorn for real on two of the cases --check-config misses
// and shows that it then fails at startup (exit 1), as Validate predicted.
func TestRuntimeFailuresWeCatch(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.Short(t)
	dir := appDir(t)
	port := strconv.Itoa(testenv.FreePort(t))
	tests := []struct {
		name string
		cfg  Config
		out  string
	}{
		{"missing cert", Config{App: "wsgi:app", Bind: []string{"127.0.0.1:" + port}, Workers: 1, Chdir: dir,
			CertFile: "/nonexistent/cert.pem", KeyFile: "/nonexistent/key.pem"}, `certfile "/nonexistent/cert.pem" does not exist`},
		{"bad port", Config{App: "wsgi:app", Bind: []string{"127.0.0.1:notaport"}, Workers: 1, Chdir: dir},
			"'notaport' is not a valid port number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Checker{Env: e2eEnv(), Dir: dir}.Check(tt.cfg)
			require.Error(t, err)
			out, rc := runGunicorn(t, bin, dir, e2eEnv(), tt.cfg.Args()...)
			assert.Equal(t, 1, rc, out)
			assert.Contains(t, out, tt.out)
		})
	}
}

// TestInheritedSettings shows the traps Validate warns about with the real gunicorn: an
// inherited PORT moves the default bind to all interfaces (our argv pins it), and a
// gunicorn.conf.py in the start directory is loaded silently.
func TestInheritedSettings(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.Short(t)
	dir := appDir(t)
	env := append(e2eEnv(), "PORT=9999", "WEB_CONCURRENCY=7")

	out, rc := runGunicorn(t, bin, dir, env, "--print-config", "wsgi:app")
	require.Equal(t, 0, rc, out)
	raw := parsePrintConfig(out)
	assert.Equal(t, "['0.0.0.0:9999']", raw["bind"], "gunicorn alone: PORT changes the bind")
	assert.Equal(t, "7", raw["workers"])

	c := Config{App: "wsgi:app", Workers: 2, Chdir: dir}
	ws, err := Checker{Env: env, Dir: dir}.Check(c)
	require.NoError(t, err)
	var fields []string
	for _, w := range ws {
		fields = append(fields, w.Field)
	}
	assert.Subset(t, fields, []string{"env PORT", "env WEB_CONCURRENCY"})
	out, rc = runGunicorn(t, bin, dir, env, append(c.Args(), "--print-config")...)
	require.Equal(t, 0, rc, out)
	ours := parsePrintConfig(out)
	assert.Equal(t, pyList([]string{DefaultBind}), ours["bind"], "our argv pins the bind")
	assert.Equal(t, "2", ours["workers"])

	// gunicorn.conf.py in the start directory.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gunicorn.conf.py"), []byte("loglevel = 'debug'\nmax_requests = 77\n"), 0o644))
	ws, err = Checker{Env: e2eEnv(), Dir: dir}.Check(c)
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, "ConfigFile", ws[0].Field)
	out, rc = runGunicorn(t, bin, dir, e2eEnv(), append(c.Args(), "--print-config")...)
	require.Equal(t, 0, rc, out)
	loaded := parsePrintConfig(out)
	assert.Equal(t, "debug", loaded["loglevel"], "the file was loaded without being named")
	assert.Equal(t, "77", loaded["max_requests"])
}

func TestPrintConfigParser(t *testing.T) {
	// parsePrintConfig keeps empty values and values with " = " inside.
	m := parsePrintConfig("a    = 1\ndogstatsd_tags = \nfmt  = x = y\nnoise\n")
	assert.Equal(t, map[string]string{"a": "1", "dogstatsd_tags": "", "fmt": "x = y"}, m)
	assert.Equal(t, `"it'"`, pyStr("it'"))
	assert.Equal(t, `'a\\b'`, pyStr(`a\b`))
	assert.Equal(t, "['x', 'y']", pyList([]string{"x", "y"}))
}
