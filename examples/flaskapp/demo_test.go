package flaskapp_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/pyenv"
)

// TestAppFiles checks the static files agree with each other: the Pipfile is valid TOML with
// what the demo promises, and .python-version names one version.
func TestAppFiles(t *testing.T) {
	root := repoRoot(t)
	app := filepath.Join(root, "examples", "flaskapp")

	var pf struct {
		Source []struct {
			Name      string `toml:"name"`
			URL       string `toml:"url"`
			VerifySSL bool   `toml:"verify_ssl"`
		} `toml:"source"`
		Packages map[string]string `toml:"packages"`
		Requires map[string]string `toml:"requires"`
	}
	_, err := toml.DecodeFile(filepath.Join(app, "Pipfile"), &pf)
	require.NoError(t, err)
	require.Len(t, pf.Source, 1)
	assert.Equal(t, "pypi", pf.Source[0].Name)
	assert.Equal(t, "https://pypi.org/simple", pf.Source[0].URL)
	assert.True(t, pf.Source[0].VerifySSL)
	assert.Equal(t, map[string]string{"flask": "*", "gunicorn": "*"}, pf.Packages)
	assert.Equal(t, "3.11", pf.Requires["python_version"])

	pv, err := os.ReadFile(filepath.Join(app, ".python-version"))
	require.NoError(t, err)
	fields := strings.Fields(string(pv))
	require.Len(t, fields, 1, ".python-version should name exactly one version")
	assert.NotContains(t, fields[0], "/")

	conf, err := os.ReadFile(filepath.Join(app, "supervisord-lite.conf"))
	require.NoError(t, err)
	for _, section := range []string{"[supervisord]", "[unix_http_server]", "[rpcinterface:supervisor]", "[supervisorctl]", "[gunicorn:flaskapp]"} {
		assert.Contains(t, string(conf), "\n"+section+"\n")
	}
	// supervisord ends a value at " ;" or " #": no value may contain them.
	for i, line := range strings.Split(string(conf), "\n") {
		if strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#") {
			continue
		}
		assert.NotContains(t, line, " ;", "line %d", i+1)
		assert.NotContains(t, line, " #", "line %d", i+1)
	}
}

// TestSetupRefuses checks that demo-setup.sh stops with exit code 2 and a message naming the
// problem when a prerequisite is missing or unsuitable.
func TestSetupRefuses(t *testing.T) {
	root := repoRoot(t)
	// A Python 3.12 stand-in: Debian's python3 with ssl.wrap_socket removed at startup.
	fake := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(fake, "sitecustomize.py"),
		[]byte("import ssl\ndel ssl.wrap_socket\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(fake, "python3"),
		[]byte("#!/bin/sh\nPYTHONPATH="+fake+" exec /usr/bin/python3 \"$@\"\n"), 0o755))
	// And one without site-packages, so flask is not importable.
	require.NoError(t, os.WriteFile(filepath.Join(fake, "python3-nosite"),
		[]byte("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n"), 0o755))
	cases := []struct {
		name string
		env  []string
		args []string
		want string
		need string
	}{
		{name: "no python", env: []string{"PYTHON=/nonexistent/python3"}, want: "/nonexistent/python3"},
		{name: "bad argument", args: []string{"--bogus"}, want: "unknown argument: --bogus"},
		{name: "python without flask", env: []string{"PYTHON=" + filepath.Join(fake, "python3-nosite")},
			want: "cannot run the app: ModuleNotFoundError: No module named 'flask'"},
		{name: "python without ssl.wrap_socket", env: []string{"PYTHON=" + filepath.Join(fake, "python3")},
			want: "gunicorn 20.1.0 needs Python <= 3.11 for HTTPS", need: "/usr/lib/python3/dist-packages/gunicorn/__init__.py"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.need != "" {
				testenv.RequireFile(t, tc.need, "Debian package python3-gunicorn")
			}
			dir := t.TempDir()
			res := runSetup(t, root, dir, tc.env, tc.args...)
			assert.Equal(t, 2, res.rc, "stderr:\n%s", res.stderr)
			assert.Contains(t, res.stderr, tc.want)
			assert.Empty(t, res.stdout)
			_, err := os.Stat(filepath.Join(dir, "pyenv"))
			assert.True(t, os.IsNotExist(err), "nothing should be built")
		})
	}
}

// TestDemo runs scripts/demo-setup.sh into a temporary DEMO_DIR, then serves the app from the
// environment it built with the real gunicorn over HTTPS, and runs the real supervisord on the
// config it wrote.
func TestDemo(t *testing.T) {
	testenv.Short(t)
	testenv.LookPath(t, "python3", "python3")
	testenv.LookPath(t, "openssl", "openssl")
	testenv.RequireFile(t, "/usr/lib/python3/dist-packages/gunicorn/__init__.py", "Debian package python3-gunicorn")
	testenv.RequireFile(t, "/usr/lib/python3/dist-packages/flask/__init__.py", "Debian package python3-flask")
	root := repoRoot(t)
	demo := filepath.Join(t.TempDir(), "demo")

	first := runSetup(t, root, demo, nil)
	require.Equal(t, 0, first.rc, "demo-setup.sh failed:\n%s", first.stderr)
	vars := first.vars

	t.Run("setup", func(t *testing.T) { checkSetup(t, root, demo, first) })
	var env []string
	t.Run("pyenv", func(t *testing.T) { env = checkPyenv(t, root, vars) })
	t.Run("gunicorn", func(t *testing.T) { checkGunicorn(t, root, vars, env) })
	t.Run("supervisord", func(t *testing.T) { checkSupervisord(t, vars) })
}

func checkSetup(t *testing.T, root, demo string, first setupResult) {
	vars := first.vars
	app := filepath.Join(root, "examples", "flaskapp")
	pv, err := os.ReadFile(filepath.Join(app, ".python-version"))
	require.NoError(t, err)
	name := strings.TrimSpace(string(pv))

	for _, k := range []string{"DEMO_DIR", "PYENV_ROOT", "VENV", "GUNICORN", "APP_DIR", "CERTFILE", "KEYFILE", "CONFIG"} {
		require.NotEmpty(t, vars[k], "%s not printed", k)
	}
	assert.Equal(t, demo, vars["DEMO_DIR"])
	assert.Equal(t, filepath.Join(demo, "pyenv"), vars["PYENV_ROOT"])
	assert.Equal(t, filepath.Join(demo, "pyenv", "versions", name), vars["VENV"])
	assert.Equal(t, filepath.Join(vars["VENV"], "bin", "gunicorn"), vars["GUNICORN"])
	assert.Equal(t, app, vars["APP_DIR"])
	assert.Equal(t, filepath.Join(demo, "supervisord-lite.conf"), vars["CONFIG"])
	env, err := os.ReadFile(filepath.Join(demo, "env.sh"))
	require.NoError(t, err)
	assert.Equal(t, first.stdout, string(env), "env.sh holds what was printed")
	for _, d := range []string{"run", "log", "certs"} {
		st, err := os.Stat(filepath.Join(demo, d))
		if assert.NoError(t, err) {
			assert.True(t, st.IsDir())
		}
	}

	// The venv: Debian's interpreter, with the system site-packages, of the Pipfile's version.
	cfg, err := os.ReadFile(filepath.Join(vars["VENV"], "pyvenv.cfg"))
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^include-system-site-packages = true$`, string(cfg))
	out, err := exec.Command(filepath.Join(vars["VENV"], "bin", "python"), "-c",
		"import sys; print('%d.%d' % sys.version_info[:2]); print(sys.prefix)").Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "3.11", lines[0], "the Pipfile requires 3.11")
	assert.Equal(t, vars["VENV"], lines[1])
	script, err := os.ReadFile(vars["GUNICORN"])
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(script), "#!"+filepath.Join(vars["VENV"], "bin", "python")+"\n"))
	st, err := os.Stat(vars["GUNICORN"])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())

	// The certificate: self-signed, localhost and 127.0.0.1, 90 days, matching its key.
	pair, err := tls.LoadX509KeyPair(vars["CERTFILE"], vars["KEYFILE"])
	require.NoError(t, err, "cert and key must match")
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	assert.Equal(t, "localhost", cert.Subject.CommonName)
	assert.Equal(t, []string{"localhost"}, cert.DNSNames)
	if assert.Len(t, cert.IPAddresses, 1) {
		assert.True(t, cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)))
	}
	assert.Equal(t, 90*24*time.Hour, cert.NotAfter.Sub(cert.NotBefore))
	assert.NoError(t, cert.CheckSignatureFrom(cert), "self-signed")
	kst, err := os.Stat(vars["KEYFILE"])
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), kst.Mode().Perm(), "the key is private")

	// The config copy points at this DEMO_DIR and the app folder, with no %(here)s left.
	conf, err := os.ReadFile(vars["CONFIG"])
	require.NoError(t, err)
	assert.NotContains(t, string(conf), "%(here)s")
	assert.Contains(t, string(conf), "directory = "+app+"\n")
	assert.Contains(t, string(conf), "certfile = "+vars["CERTFILE"]+"\n")
	assert.Contains(t, string(conf), "keyfile = "+vars["KEYFILE"]+"\n")
	assert.Contains(t, string(conf), "file = "+filepath.Join(demo, "run", "supervisord-lite.sock")+"\n")

	// Idempotent: a second run keeps the venv and the certificate and prints the same.
	certBefore, err := os.ReadFile(vars["CERTFILE"])
	require.NoError(t, err)
	cfgBefore, err := os.Stat(filepath.Join(vars["VENV"], "pyvenv.cfg"))
	require.NoError(t, err)
	second := runSetup(t, root, demo, nil)
	require.Equal(t, 0, second.rc, second.stderr)
	assert.Equal(t, first.stdout, second.stdout)
	assert.Contains(t, second.stderr, "already complete")
	assert.Contains(t, second.stderr, "still valid")
	certAfter, err := os.ReadFile(vars["CERTFILE"])
	require.NoError(t, err)
	assert.Equal(t, certBefore, certAfter, "certificate kept")
	cfgAfter, err := os.Stat(filepath.Join(vars["VENV"], "pyvenv.cfg"))
	require.NoError(t, err)
	assert.Equal(t, cfgBefore.ModTime(), cfgAfter.ModTime(), "venv kept")

	// The guide gets this setup's paths.
	guide := runSetup(t, root, demo, []string{"SUPERVISORD_LITE=/opt/sl"}, "--guide")
	require.Equal(t, 0, guide.rc, guide.stderr)
	assert.Contains(t, guide.stdout, "/opt/sl ctl -c "+vars["CONFIG"]+" status")
	assert.Contains(t, guide.stdout, "curl --cacert "+vars["CERTFILE"]+" https://127.0.0.1:5001/health")
	assert.NotContains(t, guide.stdout, "@", "every placeholder replaced")
}

// checkPyenv resolves the app folder with this module's pyenv package, as the daemon will, and
// compares with the real pyenv when ~/.pyenv has it. It returns the environment to run
// gunicorn with (nil when resolution failed).
func checkPyenv(t *testing.T, root string, vars map[string]string) []string {
	app := filepath.Join(root, "examples", "flaskapp")
	res, err := pyenv.Resolve(pyenv.Options{Root: vars["PYENV_ROOT"], Dir: app, Env: cleanEnv(), NoSystem: true})
	require.NoError(t, err)
	which, err := res.Which("gunicorn")
	require.NoError(t, err)
	prefix, err := res.Prefix()
	require.NoError(t, err)
	assert.Equal(t, vars["PYENV_VERSION_NAME"], res.VersionName())
	assert.Equal(t, filepath.Join(app, ".python-version"), res.Origin)
	assert.Equal(t, vars["GUNICORN"], which)
	assert.Equal(t, vars["VENV"], prefix)
	env := res.Environ(cleanEnv())

	t.Run("real pyenv", func(t *testing.T) {
		bin := filepath.Join(os.Getenv("HOME"), ".pyenv", "libexec", "pyenv")
		testenv.RequireFile(t, bin, "pyenv 2.6.30 (git clone into ~/.pyenv)")
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"version-name"}, res.VersionName()},
			{[]string{"version-origin"}, res.Origin},
			{[]string{"prefix"}, prefix},
			{[]string{"which", "gunicorn", "--nosystem"}, which},
		} {
			cmd := exec.Command(bin, tc.args...)
			cmd.Dir = app
			cmd.Env = cleanEnv("PYENV_ROOT="+vars["PYENV_ROOT"], "PWD="+app)
			out, err := cmd.Output()
			if assert.NoError(t, err, "pyenv %v", tc.args) {
				assert.Equal(t, tc.want, strings.TrimSpace(string(out)), "pyenv %v", tc.args)
			}
		}
	})
	return env
}

// checkGunicorn serves the app with the venv's gunicorn over HTTPS and checks every route, a
// worker crash, and a clean stop.
func checkGunicorn(t *testing.T, root string, vars map[string]string, env []string) {
	if env == nil {
		env = cleanEnv()
	}
	app := filepath.Join(root, "examples", "flaskapp")
	port := testenv.FreePort(t)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	const workers = 2
	g := start(t, filepath.Join(t.TempDir(), "gunicorn.log"), env, app,
		vars["GUNICORN"], "--chdir", app, "--bind", fmt.Sprintf("127.0.0.1:%d", port),
		"--workers", strconv.Itoa(workers), "--graceful-timeout", "5",
		"--certfile", vars["CERTFILE"], "--keyfile", vars["KEYFILE"], "wsgi:app")
	master := g.cmd.Process.Pid
	c := tlsClient(t, vars["CERTFILE"])

	ready := pollUntil(20*time.Second, 50*time.Millisecond, func() bool {
		code, _, err := get(c, base+"/health")
		return (err == nil && code == 200) || g.exited()
	})
	require.True(t, ready && !g.exited(), "gunicorn not serving; log:\n%s", g.logText())
	require.True(t, pollUntil(10*time.Second, 20*time.Millisecond, func() bool { return len(childPids(master)) == workers }),
		"expected %d workers, have %v", workers, childPids(master))
	before := childPids(master)
	seen := []seenProc{record(t, int32(master))}
	for pid := range before {
		seen = append(seen, record(t, pid))
	}

	// /health: JSON from a worker whose parent is the master; the worker runs the venv's gunicorn.
	code, body, err := get(c, base+"/health")
	require.NoError(t, err)
	require.Equal(t, 200, code, string(body))
	var h struct {
		Status string  `json:"status"`
		Pid    int32   `json:"pid"`
		Ppid   int     `json:"ppid"`
		Uptime float64 `json:"uptime"`
	}
	require.NoError(t, json.Unmarshal(body, &h), string(body))
	assert.Equal(t, "ok", h.Status)
	assert.Equal(t, master, h.Ppid)
	assert.True(t, before[h.Pid], "pid %d is not one of the master's children %v", h.Pid, before)
	assert.GreaterOrEqual(t, h.Uptime, 0.0)
	assert.Less(t, h.Uptime, 60.0)
	if cl := processCmdline(h.Pid); assert.NotEmpty(t, cl) {
		assert.Contains(t, cl, vars["GUNICORN"], "the worker runs the venv's gunicorn")
	}

	// /pid and /: the answering worker, as text.
	code, body, err = get(c, base+"/pid")
	require.NoError(t, err)
	assert.Equal(t, 200, code)
	pid, err := strconv.Atoi(strings.TrimSpace(string(body)))
	require.NoError(t, err, "%q", body)
	assert.True(t, before[int32(pid)], "pid %d is not a worker %v", pid, before)
	code, body, err = get(c, base+"/")
	require.NoError(t, err)
	assert.Equal(t, 200, code)
	assert.Regexp(t, `worker \d+`, string(body))

	// /crash: the worker dies (without answering, except for a caught TERM); gunicorn replaces it.
	crashes := []struct {
		query   string
		respond bool   // the client gets a response
		log     string // gunicorn's log line about the dead worker, %d = its pid
	}{
		{query: "", log: "Worker with pid %d was terminated due to signal 9"},
		{query: "?mode=exit&code=1", log: "flaskapp: worker %d exits with code 1 on /crash"},
		{query: "?mode=signal&sig=TERM", respond: true, log: "Worker exiting (pid: %d)"},
	}
	for _, tc := range crashes {
		before := childPids(master)
		code, body, err := get(c, base+"/crash"+tc.query)
		if tc.respond {
			assert.NoError(t, err, tc.query)
			assert.Equal(t, 200, code, "%s: %s", tc.query, body)
		} else {
			assert.Error(t, err, "%s: a crashed worker sends no response", tc.query)
		}
		var after map[int32]bool
		replaced := pollUntil(10*time.Second, 20*time.Millisecond, func() bool {
			after = childPids(master)
			gone := 0
			for p := range before {
				if !after[p] {
					gone++
				}
			}
			return len(after) == workers && gone == 1
		})
		require.True(t, replaced, "%s: worker not replaced: before %v, after %v; log:\n%s", tc.query, before, after, g.logText())
		for p := range before {
			if !after[p] {
				assert.Contains(t, g.logText(), fmt.Sprintf(tc.log, p), tc.query)
			}
		}
		for p := range after {
			if !before[p] {
				seen = append(seen, record(t, p))
			}
		}
	}
	// Bad /crash parameters are refused, and the worker lives.
	for _, q := range []string{"?mode=bogus", "?mode=exit&code=x", "?mode=signal&sig=NOPE"} {
		code, body, err := get(c, base+"/crash"+q)
		require.NoError(t, err, q)
		assert.Equal(t, 400, code, "%s: %s", q, body)
	}
	assert.Equal(t, workers, len(childPids(master)))
	for i := 0; i < 4; i++ {
		code, body, err = get(c, base+"/health")
		require.NoError(t, err)
		assert.Equal(t, 200, code, string(body))
	}

	// SIGTERM: a graceful stop, exit 0, and nothing of the tree left.
	require.NoError(t, syscall.Kill(master, syscall.SIGTERM))
	assert.NoError(t, g.wait(t, 20*time.Second), "gunicorn exits 0 on SIGTERM; log:\n%s", g.logText())
	assert.True(t, groupGone(master), "process group %d still has members", master)
	for _, s := range seen {
		assert.False(t, s.alive(), "pid %d survived", s.pid)
	}
	assert.Empty(t, processesRunning(t, vars["GUNICORN"]))
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if assert.NoError(t, err, "the port is free again") {
		assert.NoError(t, l.Close())
	}
}

// checkSupervisord runs Debian's real supervisord on the config demo-setup.sh wrote: the file is
// valid for it, [gunicorn:flaskapp] is ignored, and the real supervisorctl reaches it.
func checkSupervisord(t *testing.T, vars map[string]string) {
	sd := testenv.LookPath(t, "supervisord", "supervisor")
	ctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	conf := vars["CONFIG"]
	s := start(t, filepath.Join(t.TempDir(), "supervisord.out"), cleanEnv(), vars["DEMO_DIR"], sd, "-c", conf, "-n")
	runCtl := func(args ...string) (string, error) {
		cmd := exec.Command(ctl, append([]string{"-c", conf}, args...)...)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	up := pollUntil(15*time.Second, 50*time.Millisecond, func() bool {
		_, err := runCtl("status")
		return err == nil || s.exited()
	})
	require.True(t, up && !s.exited(), "supervisord did not come up; output:\n%s", s.logText())

	out, err := runCtl("pid")
	require.NoError(t, err, out)
	assert.Equal(t, strconv.Itoa(s.cmd.Process.Pid), strings.TrimSpace(out))
	out, err = runCtl("avail")
	require.NoError(t, err, out)
	assert.Empty(t, strings.TrimSpace(out), "supervisord ignores [gunicorn:flaskapp]")

	out, err = runCtl("shutdown")
	assert.NoError(t, err, out)
	assert.NoError(t, s.wait(t, 20*time.Second))
	log, err := os.ReadFile(filepath.Join(vars["DEMO_DIR"], "log", "supervisord-lite.log"))
	require.NoError(t, err, "supervisord writes the logfile the config names")
	assert.Contains(t, string(log), "supervisord started with pid")
	assert.NotContains(t, string(log), "ERROR")
	_, err = os.Stat(filepath.Join(vars["DEMO_DIR"], "run", "supervisord-lite.pid"))
	assert.True(t, os.IsNotExist(err), "pidfile removed on shutdown")
}

// processCmdline is the command line of pid, or "" when it cannot be read.
func processCmdline(pid int32) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " ")
}
