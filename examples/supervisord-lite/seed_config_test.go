package main

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
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

func (f seedFixture) load(t *testing.T, body string) (*conf.Config, []seedProgram, error) {
	t.Helper()
	path := filepath.Join(filepath.Dir(f.app), "supervisord.conf")
	text := "[supervisord]\nlogfile=/dev/null\n" + body
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	environ := []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Dir(f.app)}
	cfg, err := conf.Load(path, conf.Options{Environ: environ})
	require.NoError(t, err)
	sps, err := seedExpand(cfg, environ)
	return cfg, sps, err
}

func findProcess(cfg *conf.Config, name string) (conf.Process, bool) {
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if p.Name == name {
				return p, true
			}
		}
	}
	return conf.Process{}, false
}

func envValue(vars []conf.EnvVar, key string) (string, bool) {
	for _, v := range vars {
		if v.Key == key {
			return v.Value, true
		}
	}
	return "", false
}

func TestSeedGunicornSection(t *testing.T) {
	f := newSeedFixture(t, "3.11.7", "3.11.2")
	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.11\n"), 0o644))
	cfg, sps, err := f.load(t, fmt.Sprintf(`
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
	require.Len(t, sps, 1)
	require.Equal(t, "web", cfg.Groups[0].Name, "priority 5 sorts before the default 999")
	p, ok := findProcess(cfg, "web")
	require.True(t, ok)
	argv, err := p.Argv()
	require.NoError(t, err)
	gbin := filepath.Join(f.root, "versions", "3.11.7", "bin", "gunicorn")
	assert.Equal(t, []string{gbin, "--bind", "127.0.0.1:8123", "--bind", "unix:/tmp/web.sock", "--workers", "3",
		"--worker-class", "gthread", "--threads", "4", "--timeout", "0", "--graceful-timeout", "20",
		"--max-requests", "1000", "--limit-request-line", "0", "--chdir", f.app,
		"--env", "A=1", "--env", "B=2", "--forwarded-allow-ips", "10.0.0.1", "--backlog", "64", "wsgi:app"}, argv)
	assert.Equal(t, 15, p.StopSignal)
	assert.Equal(t, 25, p.StopWaitSecs, "graceful_timeout + 5 s")
	assert.True(t, p.StopAsGroup)
	assert.True(t, p.KillAsGroup)
	assert.False(t, p.AutoStart)
	require.NotNil(t, p.Directory)
	assert.Equal(t, f.app, *p.Directory)
	path, _ := envValue(p.Environment, "PATH")
	assert.True(t, strings.HasPrefix(path, filepath.Join(f.root, "versions", "3.11.7", "bin")+":"), path)
	v, _ := envValue(p.Environment, "PYENV_VERSION")
	assert.Equal(t, "3.11.7", v)
	v, _ = envValue(p.Environment, "APP_MODE")
	assert.Equal(t, "prod", v)
	assert.Equal(t, []string{"3.11.7"}, sps[0].Versions)
	assert.Equal(t, filepath.Join(f.app, ".python-version"), sps[0].Origin)
}

func TestSeedStopWaitAndInheritedEnv(t *testing.T) {
	f := newSeedFixture(t, "3.12.1")
	cfg, sps, err := f.load(t, fmt.Sprintf(`
[gunicorn:web]
app = wsgi:app
directory = %s
environment = PYENV_ROOT="%s",PYENV_VERSION="3.12.1",GUNICORN_CMD_ARGS="--daemon",WEB_CONCURRENCY="9"
workers = 2
stopwaitsecs = 7
stopsignal = INT
`, f.app, f.root))
	require.NoError(t, err)
	p, ok := findProcess(cfg, "web")
	require.True(t, ok)
	assert.Equal(t, 7, p.StopWaitSecs, "stopwaitsecs wins")
	assert.Equal(t, 2, p.StopSignal)
	// The section's own environment= is applied last, as written: it is the user's choice.
	v, _ := envValue(p.Environment, "GUNICORN_CMD_ARGS")
	assert.Equal(t, "--daemon", v)
	assert.Equal(t, "3.12.1 (set by PYENV_VERSION environment variable)", strings.Join(sps[0].Versions, ":")+" (set by "+sps[0].Origin+")")
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
		{"bad bool", "preload_app = maybe", "preload_app (gunicorn PreloadApp): not a boolean"},
		{"missing cert", "certfile = /nonexistent/cert.pem", "certfile: "},
		{"cert_reqs", "cert_reqs = sometimes", "cert_reqs must be"},
		{"negative timeout", "timeout = -1", "timeout (gunicorn Timeout)"},
		{"unknown worker class", "worker_class = nosuch", "worker_class: "},
		{"bad extra", "extra_args = --no-such-flag", "extra_args: "},
		{"expansion", "loglevel = %(nosuch)s", "loglevel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.load(t, head+tc.line+"\n")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "in section 'gunicorn:web' (file: ")
			assert.Contains(t, err.Error(), "line 7", "the line of the offending key")
			var ce *conf.Error
			assert.True(t, errors.As(err, &ce))
		})
	}
	t.Run("no directory", func(t *testing.T) {
		_, _, err := f.load(t, "[gunicorn:web]\napp = wsgi:app\n")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "directory: required")
		assert.Contains(t, err.Error(), "line 3", "the section header")
	})
	t.Run("name clash", func(t *testing.T) {
		_, _, err := f.load(t, "[program:web]\ncommand=/bin/true\n"+head)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "also defined by another section")
	})
}

func TestSeedPythonEnvProgram(t *testing.T) {
	f := newSeedFixture(t, "3.10.4")
	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.10.4\n"), 0o644))
	cfg, sps, err := f.load(t, fmt.Sprintf(`
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
	require.Len(t, sps, 1)
	p, ok := findProcess(cfg, "worker")
	require.True(t, ok)
	argv, err := p.Argv()
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Join(f.root, "versions", "3.10.4", "bin", "celery"), "-A", "tasks app", "worker"}, argv)
	path, _ := envValue(p.Environment, "PATH")
	assert.True(t, strings.HasPrefix(path, filepath.Join(f.root, "versions", "3.10.4", "bin")))
	plain, ok := findProcess(cfg, "plain")
	require.True(t, ok)
	assert.Equal(t, "celery worker", plain.Command, "untouched without python_env")
}

// TestSeedUnresolved: a missing version makes a command that cannot exist, carrying pyenv's
// message, and no config error; the message is the real pyenv's (differential when
// ~/.pyenv is there).
func TestSeedUnresolved(t *testing.T) {
	f := newSeedFixture(t, "3.11.7")
	vf := filepath.Join(f.app, ".python-version")
	require.NoError(t, os.WriteFile(vf, []byte("3.9.99\n"), 0o644))
	cfg, sps, err := f.load(t, fmt.Sprintf("[gunicorn:web]\napp = wsgi:app\ndirectory = %s\nenvironment = PYENV_ROOT=\"%s\"\n", f.app, f.root))
	require.NoError(t, err)
	p, ok := findProcess(cfg, "web")
	require.True(t, ok)
	argv, err := p.Argv()
	require.NoError(t, err)
	require.Len(t, argv, 1)
	assert.True(t, strings.HasPrefix(argv[0], unresolvedPrefix))
	assert.Contains(t, argv[0], "3.9.99")
	assert.Contains(t, argv[0], vf)
	assert.Contains(t, sps[0].Err, "3.9.99")
	assert.Contains(t, cfg.Warnings, "[gunicorn:web] Python environment not resolved, the program will go FATAL: "+sps[0].Err)

	// The engine's spawn error carries it.
	sv := supervise.New(supervise.Options{})
	prog := p.Program()
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
		got, err := (conf.Process{Command: commandLine(args)}).Argv()
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
		got, err := (conf.Process{Command: commandLine(args)}).Argv()
		if err != nil {
			t.Fatalf("%q: %v", commandLine(args), err)
		}
		if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
			t.Fatalf("%q split into %q", commandLine(args), got)
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
	var signals []string
	m := &certMonitor{
		Signal: func(_ context.Context, spec string, sig syscall.Signal) ([]supervise.Result, error) {
			signals = append(signals, fmt.Sprintf("%s %s", spec, supervise.SignalName(sig)))
			return nil, nil
		},
		Log: slog.New(supervise.NewLogHandler(&logs, nil)),
		Now: func() time.Time { return now },
	}
	p := certPair{Section: "gunicorn:web", Specs: []string{"web:web"}, CertFile: certFile, KeyFile: keyFile}
	var st certState
	ctx := context.Background()

	m.check(ctx, p, &st)
	m.logExpiry(p, st)
	assert.Contains(t, logs.String(), "WARN [gunicorn:web] certificate "+certFile+" expires on 2026-12-06 (in 10 days)")
	assert.Empty(t, signals, "the first reading reloads nothing")

	m.check(ctx, p, &st)
	assert.Empty(t, signals, "unchanged")

	// Renewed, same key: one SIGHUP.
	testCert(t, dir, 2, key, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	m.check(ctx, p, &st)
	assert.Equal(t, []string{"web:web SIGHUP"}, signals)
	assert.Contains(t, logs.String(), "certificate renewed: serial 02, expires 2027-02-24")

	// A new certificate whose key has not landed yet: an error naming the key file, no reload.
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	kdir := t.TempDir()
	newCert, _ := testCert(t, kdir, 3, other, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	b, err := os.ReadFile(newCert)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(certFile, b, 0o644))
	m.check(ctx, p, &st)
	assert.Len(t, signals, 1)
	assert.Contains(t, logs.String(), "ERRO [gunicorn:web] certificate not usable, gunicorn not reloaded: "+keyFile+" does not go with "+certFile)
	// Then the key lands: the pair is valid and new, one more SIGHUP.
	kb, err := os.ReadFile(filepath.Join(kdir, "key.pem"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, kb, 0o600))
	m.check(ctx, p, &st)
	assert.Equal(t, []string{"web:web SIGHUP", "web:web SIGHUP"}, signals)

	// Garbage: named, not reloaded.
	require.NoError(t, os.WriteFile(certFile, []byte("garbage"), 0o644))
	m.check(ctx, p, &st)
	assert.Len(t, signals, 2)
	assert.Contains(t, logs.String(), "certificate not usable, gunicorn not reloaded: "+certFile)

	// Expired: an error at the expiry check.
	testCert(t, dir, 4, key, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	var st2 certState
	m.check(ctx, p, &st2)
	m.logExpiry(p, st2)
	assert.Contains(t, logs.String(), "ERRO [gunicorn:web] certificate "+certFile+" expired on 2026-11-25")
	assert.Len(t, signals, 2)
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
	cfg, sps, err := f.load(t, section)
	require.NoError(t, err)
	p, ok := findProcess(cfg, "web")
	require.True(t, ok)
	argv, err := p.Argv()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(venv, "bin", "gunicorn"), argv[0])
	v, _ := envValue(p.Environment, "VIRTUAL_ENV")
	assert.Equal(t, venv, v)
	assert.Equal(t, proj.Pipfile, sps[0].Pipenv)

	require.NoError(t, os.WriteFile(filepath.Join(f.app, ".python-version"), []byte("3.11.7\n"), 0o644))
	cfg, sps, err = f.load(t, section)
	require.NoError(t, err)
	p, _ = findProcess(cfg, "web")
	argv, err = p.Argv()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(f.root, "versions", "3.11.7", "bin", "gunicorn"), argv[0])
	assert.Empty(t, sps[0].Pipenv)
}

// BenchmarkSeedExpand measures what loadConfig adds for one [gunicorn:x] section: the pyenv
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
		if _, err := seedExpand(cfg, environ); err != nil {
			b.Fatal(err)
		}
	}
}
