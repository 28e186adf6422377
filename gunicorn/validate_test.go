package gunicorn

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-multierror"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problems runs k.Check and returns the warnings' fields and the FieldErrors.
func problems(t *testing.T, k Checker, c Config) (warn []string, errs []*FieldError) {
	t.Helper()
	ws, err := k.Check(c)
	for _, w := range ws {
		warn = append(warn, w.Field)
		assert.True(t, strings.HasPrefix(w.String(), "gunicorn: "+w.Field), w.String())
	}
	if err == nil {
		return warn, nil
	}
	var merr *multierror.Error
	require.True(t, errors.As(err, &merr), "want a *multierror.Error, got %T", err)
	for _, e := range merr.Errors {
		var fe *FieldError
		require.True(t, errors.As(e, &fe), "want *FieldError, got %T: %v", e, e)
		assert.True(t, strings.HasPrefix(fe.Error(), "gunicorn: "+fe.Field), fe.Error())
		if fe.Path != "" {
			assert.Contains(t, fe.Error(), fe.Path, "the message names the file")
		}
		errs = append(errs, fe)
	}
	return warn, errs
}

// wantErr is one expected FieldError: its field and what it wraps.
type wantErr struct {
	field string
	is    error
}

func TestValidateRules(t *testing.T) {
	dir := t.TempDir()
	cert, key := testCert(t, dir, "cert", certSpec{})
	_, otherKey := testCert(t, dir, "other", certSpec{})
	both, _ := testCert(t, dir, "both", certSpec{keyInCert: true})
	rsaCert, rsaKey := testCert(t, dir, "rsa", certSpec{rsa: true})
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate\x00\xff"), 0o600))
	brokenPEM := filepath.Join(dir, "broken.pem")
	require.NoError(t, os.WriteFile(brokenPEM, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600))
	encKey := filepath.Join(dir, "enc-key.pem")
	require.NoError(t, os.WriteFile(encKey, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "certs"), 0o755))
	relCert, relKey := testCert(t, filepath.Join(dir, "certs"), "rel", certSpec{})
	aFile := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o600))

	base := Config{App: "wsgi:app", Bind: []string{"127.0.0.1:5001"}, Workers: 2, Chdir: dir}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }

	tests := []struct {
		name string
		cfg  Config
		errs []wantErr
		warn []string
	}{
		{"valid plain", base, nil, nil},
		{"valid https", with(func(c *Config) { c.CertFile, c.KeyFile = cert, key }), nil, nil},
		{"valid rsa https", with(func(c *Config) { c.CertFile, c.KeyFile = rsaCert, rsaKey }), nil, nil},
		{"key inside the cert file", with(func(c *Config) { c.CertFile = both }), nil, nil},
		{"relative cert paths resolve against Chdir", with(func(c *Config) {
			c.CertFile, c.KeyFile = "certs/"+filepath.Base(relCert), "certs/"+filepath.Base(relKey)
		}), nil, nil},
		{"relative cert path from the wrong directory", with(func(c *Config) {
			c.CertFile, c.KeyFile = filepath.Join(filepath.Base(dir), "certs", filepath.Base(relCert)), relKey
		}), []wantErr{{"CertFile", fs.ErrNotExist}}, nil},
		{"app required", with(func(c *Config) { c.App = "" }), []wantErr{{"App", ErrRequired}}, nil},
		{"app without colon", with(func(c *Config) { c.App = "wsgi" }), []wantErr{{"App", ErrSyntax}}, nil},
		{"app bad module", with(func(c *Config) { c.App = "my-app:app" }), []wantErr{{"App", ErrSyntax}}, nil},
		{"app bad variable", with(func(c *Config) { c.App = "wsgi:" }), []wantErr{{"App", ErrSyntax}}, nil},
		{"app factory call", with(func(c *Config) { c.App = "pkg.mod:create_app('x')" }), nil, nil},
		{"bad port", with(func(c *Config) { c.Bind = []string{"127.0.0.1:notaport"} }), []wantErr{{"Bind[0]", ErrSyntax}}, nil},
		{"port out of range", with(func(c *Config) { c.Bind = []string{"127.0.0.1:70000"} }), []wantErr{{"Bind[0]", ErrRange}}, nil},
		{"duplicate bind", with(func(c *Config) { c.Bind = []string{"127.0.0.1:5001", "tcp://127.0.0.1:5001"} }), []wantErr{{"Bind[1]", ErrConflict}}, nil},
		{"all interfaces", with(func(c *Config) { c.Bind = []string{"0.0.0.0:80"} }), nil, []string{"Bind[0]"}},
		{"unix socket dir missing", with(func(c *Config) { c.Bind = []string{"unix:nodir/app.sock"} }), []wantErr{{"Bind[0]", fs.ErrNotExist}}, nil},
		{"unix socket relative to Chdir", with(func(c *Config) { c.Bind = []string{"unix:certs/app.sock"} }), nil, nil},
		{"negative workers", with(func(c *Config) { c.Workers = -1 }), []wantErr{{"Workers", ErrRange}}, nil},
		{"unknown worker class", with(func(c *Config) { c.WorkerClass = "nosuch" }), []wantErr{{"WorkerClass", ErrUnknown}}, nil},
		{"dotted worker class", with(func(c *Config) { c.WorkerClass = "gunicorn.workers.sync.SyncWorker" }), nil, nil},
		{"threads with sync switch to gthread", with(func(c *Config) { c.Threads = 4 }), nil, []string{"Threads"}},
		{"worker connections ignored by sync", with(func(c *Config) { c.WorkerConnections = 10 }), nil, []string{"WorkerConnections"}},
		{"keep-alive ignored by sync", with(func(c *Config) { c.KeepAlive = 5 * time.Second }), nil, []string{"KeepAlive"}},
		{"keep-alive used by gthread", with(func(c *Config) { c.WorkerClass, c.KeepAlive = "gthread", 5*time.Second }), nil, nil},
		{"negative counts", with(func(c *Config) { c.Threads, c.WorkerConnections, c.MaxRequests, c.MaxRequestsJitter = -1, -1, -1, -1 }),
			[]wantErr{{"Threads", ErrRange}, {"WorkerConnections", ErrRange}, {"MaxRequests", ErrRange}, {"MaxRequestsJitter", ErrRange}}, nil},
		{"jitter without max requests", with(func(c *Config) { c.MaxRequestsJitter = 5 }), nil, []string{"MaxRequestsJitter"}},
		{"negative timeouts", with(func(c *Config) { c.Timeout, c.GracefulTimeout = -5*time.Second, -time.Second }),
			[]wantErr{{"Timeout", ErrRange}, {"GracefulTimeout", ErrRange}}, nil},
		{"fractional seconds", with(func(c *Config) { c.Timeout = 1500 * time.Millisecond }), []wantErr{{"Timeout", ErrRange}}, nil},
		{"Disabled timeouts are fine", with(func(c *Config) { c.Timeout, c.GracefulTimeout = Disabled, Disabled }), nil, nil},
		{"limits", with(func(c *Config) { c.LimitRequestLine, c.LimitRequestFields, c.LimitRequestFieldSize = 9000, 40000, -2 }),
			[]wantErr{{"LimitRequestFieldSize", ErrRange}}, []string{"LimitRequestLine", "LimitRequestFields"}},
		{"cert missing", with(func(c *Config) { c.CertFile, c.KeyFile = filepath.Join(dir, "nope.pem"), key }),
			[]wantErr{{"CertFile", fs.ErrNotExist}}, nil},
		{"key missing", with(func(c *Config) { c.CertFile, c.KeyFile = cert, filepath.Join(dir, "nope-key.pem") }),
			[]wantErr{{"KeyFile", fs.ErrNotExist}}, nil},
		{"cert is a directory", with(func(c *Config) { c.CertFile, c.KeyFile = dir, key }), []wantErr{{"CertFile", ErrSyntax}}, nil},
		{"cert path through a file", with(func(c *Config) { c.CertFile, c.KeyFile = filepath.Join(aFile, "cert.pem"), key }),
			[]wantErr{{"CertFile", nil}}, nil},
		{"cert garbage", with(func(c *Config) { c.CertFile, c.KeyFile = garbage, key }), []wantErr{{"CertFile", ErrNotPEM}}, nil},
		{"cert PEM that does not parse", with(func(c *Config) { c.CertFile, c.KeyFile = brokenPEM, key }), []wantErr{{"CertFile", nil}}, nil},
		{"key garbage", with(func(c *Config) { c.CertFile, c.KeyFile = cert, garbage }), []wantErr{{"KeyFile", ErrNotPEM}}, nil},
		{"key encrypted", with(func(c *Config) { c.CertFile, c.KeyFile = cert, encKey }), []wantErr{{"KeyFile", ErrUnknown}}, nil},
		{"key does not match", with(func(c *Config) { c.CertFile, c.KeyFile = cert, otherKey }), []wantErr{{"KeyFile", ErrKeyMismatch}}, nil},
		{"rsa key for ecdsa cert", with(func(c *Config) { c.CertFile, c.KeyFile = cert, rsaKey }), []wantErr{{"KeyFile", ErrKeyMismatch}}, nil},
		{"no key anywhere", with(func(c *Config) { c.CertFile = cert }), []wantErr{{"CertFile", ErrNotPEM}}, nil},
		{"key without cert", with(func(c *Config) { c.KeyFile = key }), []wantErr{{"KeyFile", ErrConflict}}, nil},
		{"tls settings without cert", with(func(c *Config) { c.Ciphers = "HIGH" }), nil, []string{"CertFile"}},
		{"ca bundle ok", with(func(c *Config) { c.CertFile, c.KeyFile, c.CACerts, c.CertReqs = cert, key, rsaCert, CertRequired }), nil, nil},
		{"ca bundle garbage", with(func(c *Config) { c.CertFile, c.KeyFile, c.CACerts = cert, key, garbage }), []wantErr{{"CACerts", ErrNotPEM}}, nil},
		{"ca bundle missing", with(func(c *Config) { c.CertFile, c.KeyFile, c.CACerts = cert, key, "ca.pem" }), []wantErr{{"CACerts", fs.ErrNotExist}}, nil},
		{"cert reqs without ca", with(func(c *Config) { c.CertFile, c.KeyFile, c.CertReqs = cert, key, CertOptional }), []wantErr{{"CertReqs", ErrConflict}}, nil},
		{"cert reqs out of range", with(func(c *Config) { c.CertFile, c.KeyFile, c.CACerts, c.CertReqs = cert, key, rsaCert, 3 }), []wantErr{{"CertReqs", ErrRange}}, nil},
		{"chdir missing", with(func(c *Config) { c.Chdir = filepath.Join(dir, "nope") }), []wantErr{{"Chdir", fs.ErrNotExist}}, nil},
		{"chdir is a file", with(func(c *Config) { c.Chdir = aFile }), []wantErr{{"Chdir", ErrSyntax}}, nil},
		{"pythonpath with comma", with(func(c *Config) { c.PythonPath = []string{"a,b"} }), []wantErr{{"PythonPath[0]", ErrSyntax}}, nil},
		{"pythonpath missing dir", with(func(c *Config) { c.PythonPath = []string{"certs", "nope"} }), nil, []string{"PythonPath[1]"}},
		{"env without =", with(func(c *Config) { c.Env = []string{"A=1", "FOO", "=x"} }),
			[]wantErr{{"Env[1]", ErrSyntax}, {"Env[2]", ErrSyntax}}, nil},
		{"log level unknown", with(func(c *Config) { c.LogLevel = "loud" }), []wantErr{{"LogLevel", ErrUnknown}}, nil},
		{"log level any case", with(func(c *Config) { c.LogLevel = "WARNING" }), nil, nil},
		{"access log dir missing", with(func(c *Config) { c.AccessLog = "/nonexistent/dir/a.log" }), []wantErr{{"AccessLog", fs.ErrNotExist}}, nil},
		{"access log is a directory", with(func(c *Config) { c.AccessLog = "certs" }), []wantErr{{"AccessLog", ErrSyntax}}, nil},
		{"stdout logs", with(func(c *Config) { c.AccessLog, c.ErrorLog = "-", "-" }), nil, nil},
		{"error log to a file", with(func(c *Config) { c.ErrorLog = "error.log" }), nil, []string{"ErrorLog"}},
		{"forwarded ips", with(func(c *Config) { c.ForwardedAllowIPs = []string{"10.0.0.1", "*", "10.0.0.0/8", "a,b", ""} }),
			[]wantErr{{"ForwardedAllowIPs[3]", ErrSyntax}, {"ForwardedAllowIPs[4]", ErrSyntax}}, []string{"ForwardedAllowIPs[1]", "ForwardedAllowIPs[2]"}},
		{"user and group exist", with(func(c *Config) { c.User, c.Group = "root", "root" }), nil, nil},
		{"numeric user and group", with(func(c *Config) { c.User, c.Group = "12345", "12345" }), nil, nil},
		{"no such user or group", with(func(c *Config) { c.User, c.Group = "nosuchuser", "nosuchgroup" }),
			[]wantErr{{"User", ErrUnknown}, {"Group", ErrUnknown}}, nil},
		{"umask too big", with(func(c *Config) { c.Umask = 0o1000 }), []wantErr{{"Umask", ErrRange}}, nil},
		{"daemon refused", with(func(c *Config) { c.Daemon = true }), []wantErr{{"Daemon", ErrUnsupervisable}}, nil},
		{"pid file warned", with(func(c *Config) { c.PidFile = "app.pid" }), nil, []string{"PidFile"}},
		{"pid file dir missing", with(func(c *Config) { c.PidFile = "/nonexistent/app.pid" }), []wantErr{{"PidFile", fs.ErrNotExist}}, []string{"PidFile"}},
		{"preload warned", with(func(c *Config) { c.PreloadApp = true }), nil, []string{"PreloadApp"}},
		{"reload warned", with(func(c *Config) { c.Reload = true }), nil, []string{"Reload"}},
		{"config file missing", with(func(c *Config) { c.ConfigFile = "/nonexistent/gunicorn.conf.py" }), []wantErr{{"ConfigFile", fs.ErrNotExist}}, nil},
		{"config file as module", with(func(c *Config) { c.ConfigFile = "python:app.conf" }), nil, nil},
		{"extra ok", with(func(c *Config) {
			c.Extra = []string{"--backlog", "64", "--reuse-port", "--ssl-version=TLSv1_2", "--statsd-host", "localhost:8125"}
		}),
			nil, []string{"Extra[2]"}},
		{"extra workers 0", with(func(c *Config) { c.Workers = 0; c.Extra = []string{"--workers", "0"} }),
			[]wantErr{{"Extra[0]", ErrConflict}, {"Extra[0]", ErrRange}}, nil},
		{"extra short daemon", with(func(c *Config) { c.Extra = []string{"-D"} }),
			[]wantErr{{"Extra[0]", ErrConflict}, {"Extra[0]", ErrUnsupervisable}}, nil},
		{"extra pidfile spelling", with(func(c *Config) { c.Extra = []string{"--pidfile", "x"} }), []wantErr{{"Extra[0]", ErrUnknown}, {"Extra[1]", ErrSyntax}}, nil},
		{"extra abbreviation", with(func(c *Config) { c.Extra = []string{"--back", "64"} }), []wantErr{{"Extra[0]", ErrUnknown}, {"Extra[1]", ErrSyntax}}, nil},
		{"extra missing value", with(func(c *Config) { c.Extra = []string{"--backlog"} }), []wantErr{{"Extra[0]", ErrSyntax}}, nil},
		{"extra bad int", with(func(c *Config) { c.Extra = []string{"--backlog=many"} }), []wantErr{{"Extra[0]", ErrSyntax}}, nil},
		{"extra bool with value", with(func(c *Config) { c.Extra = []string{"--spew=yes"} }), []wantErr{{"Extra[0]", ErrSyntax}}, nil},
		{"extra version", with(func(c *Config) { c.Extra = []string{"--version"} }), []wantErr{{"Extra[0]", ErrUnsupervisable}}, nil},
		{"extra bad ssl version", with(func(c *Config) { c.Extra = []string{"--ssl-version", "SSLv3"} }), []wantErr{{"Extra[0]", ErrUnknown}}, nil},
		{"extra numeric ssl version", with(func(c *Config) { c.Extra = []string{"--ssl-version", "5"} }), nil, nil},
		{"extra bad reload engine", with(func(c *Config) { c.Extra = []string{"--reload-engine", "nosuch"} }), []wantErr{{"Extra[0]", ErrUnknown}}, nil},
		{"extra bad statsd host", with(func(c *Config) { c.Extra = []string{"--statsd-host", "nohostport"} }), []wantErr{{"Extra[0]", ErrSyntax}}, nil},
		{"extra positional", with(func(c *Config) { c.Extra = []string{"other:app"} }), []wantErr{{"Extra[0]", ErrSyntax}}, nil},
		{"extra check-config", with(func(c *Config) { c.Extra = []string{"--check-config"} }), nil, []string{"Extra[0]"}},
		{"everything wrong at once", Config{App: "x", Bind: []string{"h:0"}, Workers: -3, Daemon: true, LogLevel: "x"},
			[]wantErr{{"App", ErrSyntax}, {"Bind[0]", ErrRange}, {"Workers", ErrRange}, {"LogLevel", ErrUnknown}, {"Daemon", ErrUnsupervisable}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warn, errs := problems(t, quiet(dir), tt.cfg)
			require.Len(t, errs, len(tt.errs), "errors: %v", errs)
			for i, w := range tt.errs {
				assert.Equal(t, w.field, errs[i].Field, "error %d: %v", i, errs[i])
				if w.is != nil {
					assert.ErrorIs(t, errs[i], w.is, "error %d", i)
				}
			}
			assert.Equal(t, tt.warn, warn)
		})
	}
}

func TestValidateUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads mode-000 files")
	}
	dir := t.TempDir()
	cert, key := testCert(t, dir, "cert", certSpec{})
	require.NoError(t, os.Chmod(key, 0))
	_, errs := problems(t, quiet(dir), Config{App: "a:b", CertFile: cert, KeyFile: key})
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], fs.ErrPermission)
}

func TestValidateEnvironment(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=/usr/bin", "PORT=9999", "WEB_CONCURRENCY=5", "GUNICORN_CMD_ARGS=--daemon",
		"FORWARDED_ALLOW_IPS=*", "HOME=/root", "GUNICORN_FD=5", "SENDFILE=0", "GUNICORN_PID=1"}
	k := Checker{Env: env, Dir: dir}
	warn, errs := problems(t, k, Config{App: "a:b"})
	assert.Empty(t, errs)
	assert.Equal(t, []string{"env PORT", "env WEB_CONCURRENCY", "env GUNICORN_CMD_ARGS", "env FORWARDED_ALLOW_IPS",
		"env GUNICORN_FD", "env SENDFILE", "env GUNICORN_PID"}, warn)

	clean := CleanEnv(env)
	assert.Equal(t, []string{"PATH=/usr/bin", "HOME=/root"}, clean)
	warn, _ = problems(t, Checker{Env: clean, Dir: dir}, Config{App: "a:b"})
	assert.Empty(t, warn)
	assert.Empty(t, CleanEnv(nil))

	ws, err := Checker{Env: []string{"FORWARDED_ALLOW_IPS=*"}, Dir: dir}.Check(Config{App: "a:b", ForwardedAllowIPs: []string{"10.0.0.1"}})
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Contains(t, ws[0].Message, "overrides")
}

func TestValidateConfigFileInStartDir(t *testing.T) {
	start := t.TempDir()
	chdir := t.TempDir()
	conf := filepath.Join(start, "gunicorn.conf.py")
	require.NoError(t, os.WriteFile(conf, []byte("workers = 9\n"), 0o600))

	ws, err := Checker{Env: []string{}, Dir: start}.Check(Config{App: "a:b", Chdir: chdir})
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, "ConfigFile", ws[0].Field)
	assert.Equal(t, conf, ws[0].Path)

	// Dir defaults to an absolute Chdir: the usual "start it in the app's folder".
	ws, err = Checker{Env: []string{}}.Check(Config{App: "a:b", Chdir: start})
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, conf, ws[0].Path)

	// Naming a config file explicitly silences it.
	ws, err = Checker{Env: []string{}, Dir: start}.Check(Config{App: "a:b", ConfigFile: conf})
	require.NoError(t, err)
	assert.Empty(t, ws)

	// A relative ConfigFile and Chdir are relative to the start directory.
	require.NoError(t, os.Mkdir(filepath.Join(start, "app"), 0o755))
	_, err = Checker{Env: []string{}, Dir: start}.Check(Config{App: "a:b", Chdir: "app", ConfigFile: "gunicorn.conf.py"})
	require.NoError(t, err)
}

func TestValidateZeroChecker(t *testing.T) {
	// The zero Checker reads os.Environ and the real clock; a valid config with an absolute
	// Chdir gives no error whatever the environment holds.
	dir := t.TempDir()
	cert, key := testCert(t, dir, "c", certSpec{})
	_, err := Config{App: "wsgi:app", Chdir: dir, CertFile: cert, KeyFile: key}.Validate()
	assert.NoError(t, err)
}
