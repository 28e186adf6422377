package pyapp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/pyenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// seedFixture is a fake PYENV_ROOT with versions that have a gunicorn, and an app folder.
type seedFixture struct {
	root, app string
}

func newSeedFixture(t *testing.T, versions ...string) seedFixture {
	t.Helper()
	dir := t.TempDir()
	f := seedFixture{root: filepath.Join(dir, "pyenv"), app: filepath.Join(dir, "app")}
	require.NoError(t, os.MkdirAll(f.app, 0o755))
	for _, v := range versions {
		bin := filepath.Join(f.root, "versions", v, "bin")
		require.NoError(t, os.MkdirAll(bin, 0o755))
		for _, name := range []string{"gunicorn", "python", "celery"} {
			require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\nexit 0\n"), 0o755))
		}
	}
	return f
}

// loaded is what Sections made of a config.
type loaded struct {
	cfg    *conf.Config
	groups []daemon.Group
	rs     []Resolved
}

func (f seedFixture) load(t *testing.T, body string) (loaded, error) {
	t.Helper()
	path := filepath.Join(filepath.Dir(f.app), "supervisord.conf")
	text := "[supervisord]\nlogfile=/dev/null\n" + body
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	environ := []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Dir(f.app)}
	cfg, err := conf.Load(path, conf.Options{Environ: environ})
	require.NoError(t, err)
	groups, rs, err := expand(cfg, environ)
	return loaded{cfg, groups, rs}, err
}

// program returns the program name of a group Sections made, with its getAllConfigInfo entry.
func (l loaded) program(name string) (supervise.Program, conf.ConfigInfo, bool) {
	for _, g := range l.groups {
		for i, p := range g.Run.Programs {
			if p.Name == name {
				return p, g.Info[i], true
			}
		}
	}
	return supervise.Program{}, conf.ConfigInfo{}, false
}

func argv(p supervise.Program) []string { return append([]string{p.Command}, p.Args...) }

func envValue(env []string, key string) (string, bool) {
	v, ok := "", false
	for _, kv := range env {
		if k, val, found := strings.Cut(kv, "="); found && k == key {
			v, ok = val, true
		}
	}
	return v, ok
}

func TestSeedGunicornSection(t *testing.T) {
	f := newSeedFixture(t, "3.11.7", "3.11.2")
	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.11\n"), 0o644))
	l, err := f.load(t, fmt.Sprintf(`
[program:other]
command = /bin/true
[gunicorn:web]
app = wsgi:app
directory = %s
environment = PYENV_ROOT="%s",APP_MODE="prod"
bind = 127.0.0.1:8123, unix:/tmp/web.sock
workers = 3
worker_class = gthread
threads = 4
timeout = 0
graceful_timeout = 20
max_requests = 1000
limit_request_line = 0
raw_env = A=1, B=2
forwarded_allow_ips = 10.0.0.1
extra_args = --backlog 64
priority = 5
autostart = false
`, f.app, f.root))
	require.NoError(t, err)
	require.Len(t, l.rs, 1)
	require.Len(t, l.groups, 1)
	assert.Equal(t, 5, l.groups[0].Run.Priority)
	assert.False(t, l.groups[0].Replace)
	p, info, ok := l.program("web")
	require.True(t, ok)
	gbin := filepath.Join(f.root, "versions", "3.11.7", "bin", "gunicorn")
	assert.Equal(t, []string{gbin, "--bind", "127.0.0.1:8123", "--bind", "unix:/tmp/web.sock", "--workers", "3",
		"--worker-class", "gthread", "--threads", "4", "--timeout", "0", "--graceful-timeout", "20",
		"--max-requests", "1000", "--limit-request-line", "0", "--chdir", f.app,
		"--env", "A=1", "--env", "B=2", "--forwarded-allow-ips", "10.0.0.1", "--backlog", "64", "wsgi:app"}, argv(p))
	assert.Empty(t, p.CommandLine, "argv stays argv")
	assert.Equal(t, CommandLine(argv(p)), info.Command)
	assert.Equal(t, syscall.SIGTERM, p.StopSignal)
	assert.Equal(t, 25*time.Second, p.StopWait, "graceful_timeout + 5 s")
	assert.Equal(t, 25, info.StopWaitSecs)
	assert.True(t, p.StopAsGroup)
	assert.Equal(t, supervise.On, p.KillAsGroup)
	assert.Equal(t, supervise.Off, p.AutoStart)
	assert.True(t, p.CleanupGroup, "cleanup_group defaults to true for [gunicorn:x]")
	assert.Equal(t, f.app, p.Dir)
	path, _ := envValue(p.Env, "PATH")
	assert.True(t, strings.HasPrefix(path, filepath.Join(f.root, "versions", "3.11.7", "bin")+":"), path)
	v, _ := envValue(p.Env, "PYENV_VERSION")
	assert.Equal(t, "3.11.7", v)
	v, _ = envValue(p.Env, "APP_MODE")
	assert.Equal(t, "prod", v)
	assert.Equal(t, []string{"3.11.7"}, l.rs[0].Versions)
	assert.Equal(t, filepath.Join(f.app, ".python-version"), l.rs[0].Origin)
}

func TestSeedStopWaitAndInheritedEnv(t *testing.T) {
	f := newSeedFixture(t, "3.12.1")
	l, err := f.load(t, fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %s
environment = PYENV_ROOT="%s",PYENV_VERSION="3.12.1",GUNICORN_CMD_ARGS="--daemon",WEB_CONCURRENCY="9"
workers = 2
stopwaitsecs = 7
stopsignal = INT
`, f.app, f.root))
	require.NoError(t, err)
	p, _, ok := l.program("web")
	require.True(t, ok)
	assert.Equal(t, 7*time.Second, p.StopWait, "stopwaitsecs wins")
	assert.Equal(t, syscall.SIGINT, p.StopSignal)
	// The section's own environment= is applied last, as written: it is the user's choice.
	v, _ := envValue(p.Env, "GUNICORN_CMD_ARGS")
	assert.Equal(t, "--daemon", v)
	assert.Equal(t, "3.12.1 (set by PYENV_VERSION environment variable)", strings.Join(l.rs[0].Versions, ":")+" (set by "+l.rs[0].Origin+")")
}

func TestSeedConfigErrors(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.11.7\n"), 0o644))
	head := fmt.Sprintf("[gunicorn:web]\napp = wsgi:app\ndirectory = %s\nenvironment = PYENV_ROOT=\"%s\"\n", f.app, f.root)
	// The head above is lines 3..6 of the file; the case's line is line 7.
	cases := []struct {
		name, line, want string
	}{
		{"workers zero", "workers = 0", "workers (gunicorn Workers): not a positive integer"},
		{"workers word", "workers = many", "workers (gunicorn Workers)"},
		{"bad bind", "bind = 127.0.0.1:99999", "bind: "},
		{"daemon", "daemon = true", "daemon: "},
		{"bad bool", "preload_app = maybe", "preload_app (gunicorn PreloadApp): not a valid boolean value: 'maybe'"},
		{"missing cert", "certfile = /nonexistent/cert.pem", "certfile: "},
		{"cert_reqs", "cert_reqs = sometimes", "cert_reqs must be"},
		{"negative timeout", "timeout = -1", "timeout (gunicorn Timeout)"},
		{"unknown worker class", "worker_class = nosuch", "worker_class: "},
		{"bad extra", "extra_args = --no-such-flag", "extra_args: "},
		{"expansion", "loglevel = %(nosuch)s", "loglevel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.load(t, head+tc.line+"\n")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "in section 'gunicorn:web' (file: ")
			assert.Contains(t, err.Error(), "line 7", "the line of the offending key")
			var ce *conf.Error
			assert.True(t, errors.As(err, &ce))
		})
	}
	t.Run("no directory", func(t *testing.T) {
		_, err := f.load(t, "[gunicorn:web]\napp = wsgi:app\n")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "directory: required")
		assert.Contains(t, err.Error(), "line 3", "the section header")
	})
	t.Run("name clash", func(t *testing.T) {
		_, err := f.load(t, "[program:web]\ncommand=/bin/true\n"+head)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "also defined by another section")
	})
}

func TestSeedPythonEnvProgram(t *testing.T) {
	f := newSeedFixture(t, "3.10.4")
	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.10.4\n"), 0o644))
	l, err := f.load(t, fmt.Sprintf(`
[program:worker]
command = celery -A "tasks app" worker
directory = %s
environment = PYENV_ROOT="%s"
python_env = true
[program:plain]
command = celery worker
directory = %[1]s
`, f.app, f.root))
	require.NoError(t, err)
	require.Len(t, l.rs, 1)
	require.Len(t, l.groups, 1, "only the python_env program's group is replaced")
	assert.True(t, l.groups[0].Replace)
	p, info, ok := l.program("worker")
	require.True(t, ok)
	assert.Equal(t, []string{filepath.Join(f.root, "versions", "3.10.4", "bin", "celery"), "-A", "tasks app", "worker"}, argv(p))
	assert.Empty(t, p.CommandLine)
	assert.Equal(t, CommandLine(argv(p)), info.Command)
	path, _ := envValue(p.Env, "PATH")
	assert.True(t, strings.HasPrefix(path, filepath.Join(f.root, "versions", "3.10.4", "bin")))
	_, _, ok = l.program("plain")
	assert.False(t, ok, "untouched without python_env")
}

// TestSeedUnresolved: a missing version makes a program whose CommandError is pyenv's
// message, and no config error; the message is the real pyenv's (differential when
// ~/.pyenv is there).
func TestSeedUnresolved(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	vf := filepath.Join(f.app, ".python-version")
	require.NoError(t, os.WriteFile(vf, []byte("3.9.99\n"), 0o644))
	l, err := f.load(t, fmt.Sprintf("[gunicorn:web]\napp = wsgi:app\ndirectory = %s\nenvironment = PYENV_ROOT=\"%s\"\n", f.app, f.root))
	require.NoError(t, err)
	prog, _, ok := l.program("web")
	require.True(t, ok)
	require.Error(t, prog.CommandError)
	assert.Contains(t, prog.CommandError.Error(), "3.9.99")
	assert.Contains(t, prog.CommandError.Error(), vf)
	var ve *pyenv.VersionError
	assert.True(t, errors.As(l.rs[0].Err, &ve), "pyenv's error, as a value: %T", l.rs[0].Err)
	assert.Contains(t, l.cfg.Warnings, "[gunicorn:web] Python environment not resolved, the program will go FATAL: "+l.rs[0].Err.Error())

	// The engine's spawn error carries it.
	sv := supervise.New(supervise.Options{})
	prog.StartRetries = -1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	stopped := false
	stop := func() { // the engine's reaper must be gone before this test runs exec.Cmd
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	defer stop()
	require.NoError(t, sv.Add(ctx, supervise.Group{Name: "web", Programs: []supervise.Program{prog}}))
	var info supervise.ProcessInfo
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st, err := sv.Status("web:web")
		require.NoError(t, err)
		info = st[0]
		if info.State == supervise.Fatal {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Equal(t, supervise.Fatal, info.State)
	assert.Contains(t, info.SpawnErr, "version `3.9.99' is not installed (set by "+vf+")")
	stop()

	pyenvBin := filepath.Join(os.Getenv("HOME"), ".pyenv", "bin", "pyenv")
	if _, err := os.Stat(pyenvBin); err != nil {
		testenv.Missing(t, "pyenv at ~/.pyenv (the differential half of this test)")
		return
	}
	// pyenv's which would fall back to a system gunicorn here; version-name says what is
	// wrong, and that is the message the program's spawn error carries.
	cmd := exec.Command(pyenvBin, "version-name")
	cmd.Dir = f.app
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + os.Getenv("HOME"), "PYENV_ROOT=" + f.root}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "pyenv version-name: %v", err)
	assert.Equal(t, 1, ee.ExitCode())
	first := strings.SplitN(strings.TrimSpace(stderr.String()), "\n", 2)[0]
	assert.Contains(t, info.SpawnErr, first, "pyenv's own first line")
}

func TestShellQuoteRoundTrip(t *testing.T) {
	for _, args := range [][]string{
		{"/bin/gunicorn", "--bind", "127.0.0.1:80", "wsgi:app"},
		{"/x y/z", "it's", `a"b`, "$HOME", "", "back\\slash", "tab\there", "new\nline"},
	} {
		got, err := (conf.Process{Command: CommandLine(args)}).Argv()
		require.NoError(t, err)
		assert.Equal(t, args, got)
	}
}

func FuzzShellQuote(f *testing.F) {
	f.Add("a", "b c", "it's")
	f.Add("", "\\", `"'`)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		for _, s := range []string{a, b, c} {
			if strings.ContainsRune(s, 0) {
				return
			}
		}
		args := []string{a, b, c}
		got, err := (conf.Process{Command: CommandLine(args)}).Argv()
		if err != nil {
			t.Fatalf("%q: %v", CommandLine(args), err)
		}
		if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
			t.Fatalf("%q split into %q", CommandLine(args), got)
		}
	})
}

// testCert writes a self-signed certificate and its key (ECDSA) valid from nb to na.
func testCert(t *testing.T, dir string, serial int64, key *ecdsa.PrivateKey, nb, na time.Time) (certFile, keyFile string) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: nb, NotAfter: na, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certFile, keyFile
}

func TestCertMonitor(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	certFile, keyFile := testCert(t, dir, 1, key, now.Add(-time.Hour), now.Add(10*24*time.Hour))
	var logs testenv.Buffer
	var mu sync.Mutex
	var signals []string
	sent := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), signals...)
	}
	signal := func(_ context.Context, spec string, sig syscall.Signal) ([]supervise.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		signals = append(signals, fmt.Sprintf("%s %s", spec, supervise.SignalName(sig)))
		return nil, nil
	}
	ticks := make(chan time.Time) // unbuffered: a send returns once the watcher took it
	m := &CertMonitor{Now: func() time.Time { return now }, Ticks: ticks}
	p := CertPair{Section: "gunicorn:web", Specs: []string{"web:web"}, CertFile: certFile, KeyFile: keyFile}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Watch(ctx, []CertPair{p}, signal, slog.New(supervise.NewLogHandler(&logs, nil))) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	// check makes the watcher read once more and waits until that reading was handled.
	check := func() {
		ticks <- now
		ticks <- now // taken once the reading before it is done
	}
	check()
	assert.Contains(t, logs.String(), "WARN [gunicorn:web] certificate "+certFile+" expires on 2026-12-06 (in 10 days)")
	assert.Empty(t, sent(), "the first reading reloads nothing")
	exp, ok := m.Expiry("web:web")
	assert.True(t, ok)
	assert.Equal(t, now.Add(10*24*time.Hour), exp)
	infos := []supervise.ProcessInfo{{Group: "web", Name: "web"}, {Group: "x", Name: "x"}}
	m.Note(infos)
	assert.Equal(t, "cert expires 2026-12-06", infos[0].Note)
	assert.Empty(t, infos[1].Note)

	check()
	assert.Empty(t, sent(), "unchanged")

	// Renewed, same key: one SIGHUP.
	testCert(t, dir, 2, key, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	check()
	assert.Equal(t, []string{"web:web SIGHUP"}, sent())
	assert.Contains(t, logs.String(), "certificate renewed: serial 02, expires 2027-02-24")

	// A new certificate whose key has not landed yet: an error naming the key file, no reload.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	kdir := t.TempDir()
	newCert, _ := testCert(t, kdir, 3, other, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	b, err := os.ReadFile(newCert)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, b, 0o644))
	check()
	assert.Len(t, sent(), 1)
	assert.Contains(t, logs.String(), "ERRO [gunicorn:web] certificate not usable, gunicorn not reloaded: "+keyFile+" does not go with "+certFile)
	// Then the key lands: the pair is valid and new, one more SIGHUP.
	kb, err := os.ReadFile(filepath.Join(kdir, "key.pem"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, kb, 0o600))
	check()
	assert.Equal(t, []string{"web:web SIGHUP", "web:web SIGHUP"}, sent())

	// Garbage: named, not reloaded.
	require.NoError(t, os.WriteFile(certFile, []byte("garbage"), 0o644))
	check()
	assert.Len(t, sent(), 2)
	assert.Contains(t, logs.String(), "certificate not usable, gunicorn not reloaded: "+certFile+": ")

	// Expired: not reloaded, an error at the expiry check of a new monitor.
	testCert(t, dir, 4, key, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	check()
	assert.Len(t, sent(), 2)
	assert.Contains(t, logs.String(), "certificate not usable, gunicorn not reloaded: "+certFile+": ")
	var logs2 testenv.Buffer
	m2 := &CertMonitor{Now: func() time.Time { return now }, Ticks: make(chan time.Time)}
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- m2.Watch(ctx2, []CertPair{p}, signal, slog.New(supervise.NewLogHandler(&logs2, nil))) }()
	testenv.WaitFor(t, "the expiry error", func() bool {
		return strings.Contains(logs2.String(), "ERRO [gunicorn:web] certificate "+certFile+" expired on 2026-11-25")
	})
	cancel2()
	require.NoError(t, <-done2)
	assert.Len(t, sent(), 2)
}

// TestSeedPipenvVenv: with a Pipfile whose venv exists and no .python-version (nor
// PYENV_VERSION), the venv's gunicorn runs, as `pipenv run gunicorn` would; a
// .python-version makes pyenv's choice win again.
func TestSeedPipenvVenv(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	require.NoError(t, os.WriteFile(filepath.Join(f.app, "Pipfile"), []byte("[requires]\npython_version = \"3.11\"\n"), 0o644))
	workon := filepath.Join(filepath.Dir(f.app), "venvs")
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Dir(f.app), "WORKON_HOME=" + workon, "PYENV_ROOT=" + f.root}
	proj, err := pyenv.FindProject(pyenv.Options{Dir: f.app, Env: env})
	require.NoError(t, err)
	venv, err := proj.VenvPath()
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(venv, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(venv, "bin", "activate"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(venv, "bin", "gunicorn"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(venv, "pyvenv.cfg"), []byte("version = 3.11.7\n"), 0o644))

	section := fmt.Sprintf("[gunicorn:web]\napp = wsgi:app\ndirectory = %s\nenvironment = PYENV_ROOT=\"%s\",WORKON_HOME=\"%s\"\n", f.app, f.root, workon)
	l, err := f.load(t, section)
	require.NoError(t, err)
	p, _, ok := l.program("web")
	require.True(t, ok)
	assert.Equal(t, filepath.Join(venv, "bin", "gunicorn"), p.Command)
	v, _ := envValue(p.Env, "VIRTUAL_ENV")
	assert.Equal(t, venv, v)
	assert.Equal(t, proj.Pipfile, l.rs[0].Pipenv)
	assert.Equal(t, venv, l.rs[0].Venv)

	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.11.7\n"), 0o644))
	l, err = f.load(t, section)
	require.NoError(t, err)
	p, _, _ = l.program("web")
	assert.Equal(t, filepath.Join(f.root, "versions", "3.11.7", "bin", "gunicorn"), p.Command)
	assert.Empty(t, l.rs[0].Pipenv)
}

// BenchmarkSeedExpand measures what the daemon's load adds for one [gunicorn:x] section: the pyenv
// resolution, gunicorn's argv and its checks (files stat'ed, no process started).
func BenchmarkSeedExpand(b *testing.B) {
	dir := b.TempDir()
	root, app := filepath.Join(dir, "pyenv"), filepath.Join(dir, "app")
	bin := filepath.Join(root, "versions", "3.11.7", "bin")
	require.NoError(b, os.MkdirAll(bin, 0o755))
	require.NoError(b, os.MkdirAll(app, 0o755))
	require.NoError(b, os.WriteFile(filepath.Join(bin, "gunicorn"), []byte("#!/bin/sh\n"), 0o755))
	require.NoError(b, os.WriteFile(filepath.Join(app, ".python-version"), []byte("3.11\n"), 0o644))
	path := filepath.Join(dir, "supervisord.conf")
	require.NoError(b, os.WriteFile(path, []byte(fmt.Sprintf("[supervisord]\n[gunicorn:web]\napp = wsgi:app\ndirectory = %s\nenvironment = PYENV_ROOT=\"%s\"\nbind = 127.0.0.1:8000\nworkers = 3\n", app, root)), 0o644))
	environ := []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cfg, err := conf.Load(path, conf.Options{Environ: environ})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (Sections{}).Groups(cfg, environ); err != nil {
			b.Fatal(err)
		}
	}
}
