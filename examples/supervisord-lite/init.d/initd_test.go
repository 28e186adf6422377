package initd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if built.dir != "" {
			_ = os.RemoveAll(built.dir)
		}
		os.Exit(code)
	}))
}

// built is this module's daemon, compiled once per test binary by ourDaemon.
var built struct {
	once      sync.Once
	dir, path string
	err       error
}

// ourDaemon builds examples/supervisord-lite (as a binary named supervisord-lite, which the
// script looks for in the daemon's command line) and returns its path.
func ourDaemon(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "initd-test-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "supervisord-lite")
		built.err = testenv.GoBuild("github.com/supervisord-lite/supervisord-lite/examples/supervisord-lite", built.path)
	})
	require.NoError(t, built.err)
	return built.path
}

// script is the path of the init script next to this file.
func script(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "supervisord-lite")
}

// TestHeaders checks what chkconfig (CentOS 6) and insserv/update-rc.d read from the script.
func TestHeaders(t *testing.T) {
	b, err := os.ReadFile(script(t))
	require.NoError(t, err)
	text := string(b)
	assert.True(t, strings.HasPrefix(text, "#!/bin/sh\n"))
	assert.Regexp(t, `(?m)^# chkconfig: 345 95 05$`, text)
	assert.Regexp(t, `(?m)^# description: \S`, text)
	lsb := regexp.MustCompile(`(?s)### BEGIN INIT INFO\n(.*?)### END INIT INFO`).FindStringSubmatch(text)
	require.NotNil(t, lsb, "LSB header block")
	fields := map[string]string{}
	for _, line := range strings.Split(lsb[1], "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "#"), ":")
		if ok && !strings.HasPrefix(line, "#  ") {
			fields[strings.TrimSpace(k)] = strings.Join(strings.Fields(v), " ")
		}
	}
	assert.Equal(t, "supervisord-lite", fields["Provides"])
	// The LSB runlevels agree with the chkconfig line.
	assert.Equal(t, "3 4 5", fields["Default-Start"])
	assert.Equal(t, "0 1 2 6", fields["Default-Stop"])
	assert.Contains(t, fields["Required-Start"], "$network")
	assert.NotEmpty(t, fields["Short-Description"])
	st, err := os.Stat(script(t))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())
}

// TestSyntax parses the script with every shell it targets, and lints it when shellcheck is
// installed.
func TestSyntax(t *testing.T) {
	for _, sh := range []string{"/bin/sh", "/bin/dash", "/bin/bash", "/bin/busybox"} {
		t.Run(filepath.Base(sh), func(t *testing.T) {
			testenv.RequireFile(t, sh, "a shell the script targets (Debian packages dash, bash, busybox)")
			args := []string{"-n", script(t)}
			if filepath.Base(sh) == "busybox" {
				args = append([]string{"sh"}, args...)
			}
			out, err := exec.Command(sh, args...).CombinedOutput()
			assert.NoError(t, err, "%s", out)
		})
	}
	t.Run("shellcheck", func(t *testing.T) {
		sc := testenv.LookPath(t, "shellcheck", "shellcheck")
		out, err := exec.Command(sc, "-s", "sh", script(t)).CombinedOutput()
		assert.NoError(t, err, "%s", out)
	})
}

// env is one sandbox: a config, pidfile and lock file under a temporary directory.
type env struct {
	dir, conf, pidfile, lockfile, log string
	shell, daemon                     string
}

func newEnv(t *testing.T, shell, daemon, extraConf string) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{
		dir: dir, conf: filepath.Join(dir, "s.conf"), pidfile: filepath.Join(dir, "s.pid"),
		lockfile: filepath.Join(dir, "lock", "supervisord-lite"), log: filepath.Join(dir, "s.log"),
		shell: shell, daemon: daemon,
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "lock"), 0o755))
	conf := fmt.Sprintf(`[supervisord]
logfile = %[1]s/s.log
childlogdir = %[1]s
%[2]s
[unix_http_server]
file = %[1]s/s.sock

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl = unix://%[1]s/s.sock

[program:sleeper]
command = /bin/sleep 600
startsecs = 0
`, dir, extraConf)
	require.NoError(t, os.WriteFile(e.conf, []byte(conf), 0o644))
	t.Cleanup(func() { e.killAll(t) })
	return e
}

// run runs the init script with one action, bounded in time, and returns its output and exit
// code.
func (e *env) run(t *testing.T, action string, extraEnv ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.shell, script(t), action)
	cmd.Env = append([]string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "HOME=" + e.dir,
		"DAEMON=" + e.daemon, "CONFIG=" + e.conf, "PIDFILE=" + e.pidfile, "LOCKFILE=" + e.lockfile,
		"SYSCONFIG=/nonexistent", "DEFAULTS=/nonexistent", "TMPDIR=" + e.dir,
	}, extraEnv...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "%s %s did not finish in time: %s", filepath.Base(script(t)), action, out)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// daemonPid is the pid in the pidfile, or 0.
func (e *env) daemonPid() int {
	b, err := os.ReadFile(e.pidfile)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// tree lists pid and all its descendants (gopsutil).
func tree(pid int32) []*process.Process {
	p, err := process.NewProcess(pid)
	if err != nil {
		return nil
	}
	all := []*process.Process{p}
	kids, _ := p.Children()
	for _, k := range kids {
		all = append(all, tree(k.Pid)...)
	}
	return all
}

// killAll SIGKILLs whatever the daemon of this sandbox left (a failed test must not leak it).
func (e *env) killAll(t *testing.T) {
	if pid := e.daemonPid(); pid > 0 && isOurs(int32(pid), e.conf) {
		for _, p := range tree(int32(pid)) {
			_ = p.Kill()
		}
	}
	for _, p := range running(t, e.conf) {
		_ = p.Kill()
	}
}

// isOurs reports whether pid is alive, not a zombie, and has conf on its command line.
func isOurs(pid int32, conf string) bool {
	p, err := process.NewProcess(pid)
	if err != nil {
		return false
	}
	if st, err := p.Status(); err == nil && len(st) > 0 && st[0] == process.Zombie {
		return false
	}
	cl, err := p.Cmdline()
	return err == nil && strings.Contains(cl, conf)
}

// running lists live processes started with conf on their command line.
func running(t *testing.T, conf string) []*process.Process {
	procs, err := process.Processes()
	require.NoError(t, err)
	var out []*process.Process
	for _, p := range procs {
		if isOurs(p.Pid, conf) {
			out = append(out, p)
		}
	}
	return out
}

// daemons are the programs the script drives, with the same command line (-c, -j, daemonizing
// unless nodaemon): this module's supervisord-lite, and Debian's real supervisord, which shows
// the script is not tailored to one implementation.
func daemons(t *testing.T) map[string]string {
	return map[string]string{
		"supervisord-lite": ourDaemon(t),
		"supervisord":      testenv.LookPath(t, "supervisord", "supervisor"),
	}
}

// TestLifecycle runs start, status, reload, restart, stop under each shell the script targets,
// checking exit codes, the pidfile, the lock file, and the process tree.
func TestLifecycle(t *testing.T) {
	testenv.Short(t)
	shells := []string{"/bin/dash", "/bin/bash"}
	for name, daemon := range daemons(t) {
		for _, shell := range shells {
			for _, mode := range []string{"daemonize", "nodaemon"} {
				name, daemon, shell, mode := name, daemon, shell, mode
				t.Run(name+"/"+filepath.Base(shell)+"/"+mode, func(t *testing.T) {
					t.Parallel()
					testenv.RequireFile(t, shell, "a shell the script targets (Debian packages dash, bash)")
					extra := ""
					if mode == "nodaemon" {
						extra = "nodaemon = true"
					}
					lifecycle(t, newEnv(t, shell, daemon, extra))
				})
			}
		}
	}
}

func lifecycle(t *testing.T, e *env) {
	out, rc := e.run(t, "status")
	assert.Equal(t, 3, rc, out)
	assert.Contains(t, out, "stopped")

	out, rc = e.run(t, "start")
	require.Equal(t, 0, rc, "start: %s\nlog:\n%s", out, readFile(e.log))
	pid := e.daemonPid()
	require.NotZero(t, pid, "pidfile written")
	assert.Contains(t, out, fmt.Sprintf("OK (pid %d)", pid))
	assert.True(t, isOurs(int32(pid), e.conf), "pid %d is the daemon", pid)
	assert.FileExists(t, e.lockfile)
	waitProgram(t, e, pid)
	first := tree(int32(pid))

	out, rc = e.run(t, "start")
	assert.Equal(t, 0, rc, out)
	assert.Contains(t, out, fmt.Sprintf("already running (pid %d)", pid))
	assert.Equal(t, pid, e.daemonPid())

	out, rc = e.run(t, "status")
	assert.Equal(t, 0, rc, out)
	assert.Contains(t, out, fmt.Sprintf("(pid %d) is running", pid))

	out, rc = e.run(t, "reload")
	assert.Equal(t, 0, rc, out)
	assert.True(t, testenv.Poll(10*time.Second, func() bool { return strings.Contains(readFile(e.log), "received SIGHUP") }),
		"the daemon got HUP; log:\n%s", readFile(e.log))
	// The real supervisord removes its pidfile while it restarts on HUP, then writes it again.
	assert.True(t, testenv.Poll(10*time.Second, func() bool { return e.daemonPid() == pid }), "reload keeps the daemon")
	waitProgram(t, e, pid)

	out, rc = e.run(t, "restart")
	require.Equal(t, 0, rc, out)
	pid2 := e.daemonPid()
	assert.NotEqual(t, pid, pid2)
	waitProgram(t, e, pid2)
	for _, p := range first {
		assert.False(t, isAlive(p), "pid %d of the first daemon's tree survived restart", p.Pid)
	}

	out, rc = e.run(t, "condrestart")
	require.Equal(t, 0, rc, out)
	pid3 := e.daemonPid()
	assert.NotEqual(t, pid2, pid3, "condrestart restarts a running daemon")
	waitProgram(t, e, pid3)
	last := tree(int32(pid3))

	out, rc = e.run(t, "stop")
	assert.Equal(t, 0, rc, out)
	assert.Contains(t, out, "OK")
	for _, p := range last {
		assert.False(t, isAlive(p), "pid %d survived stop", p.Pid)
	}
	assert.Empty(t, running(t, e.conf))
	assert.NoFileExists(t, e.pidfile)
	assert.NoFileExists(t, e.lockfile)

	out, rc = e.run(t, "stop")
	assert.Equal(t, 0, rc, "stop when stopped succeeds: %s", out)
	out, rc = e.run(t, "condrestart")
	assert.Equal(t, 0, rc, out)
	assert.Zero(t, e.daemonPid(), "condrestart does not start a stopped daemon")
	out, rc = e.run(t, "reload")
	assert.Equal(t, 7, rc, out)
	out, rc = e.run(t, "status")
	assert.Equal(t, 3, rc, out)
}

// waitProgram waits until the daemon pid runs its program, exec'd. (The real supervisord loses a
// SIGTERM that arrives between its fork and the child's exec, and then waits stopwaitsecs.)
func waitProgram(t *testing.T, e *env, pid int) {
	t.Helper()
	ok := testenv.Poll(15*time.Second, func() bool {
		for _, p := range tree(int32(pid))[1:] {
			if cl, err := p.Cmdline(); err == nil && cl == "/bin/sleep 600" {
				return true
			}
		}
		return false
	})
	require.True(t, ok, "daemon %d does not run its program; log:\n%s", pid, readFile(e.log))
}

// isAlive reports whether p (pid and start time) still runs and is not a zombie.
func isAlive(p *process.Process) bool {
	created, err := p.CreateTime()
	if err != nil {
		return false
	}
	q, err := process.NewProcess(p.Pid)
	if err != nil {
		return false
	}
	c2, err := q.CreateTime()
	if err != nil || c2 != created {
		return false
	}
	st, err := q.Status()
	return err != nil || len(st) == 0 || st[0] != process.Zombie
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestFailures checks the LSB exit codes and messages of the error cases, and that a stale or
// foreign pid in the pidfile is never signalled.
func TestFailures(t *testing.T) {
	for name, daemon := range daemons(t) {
		t.Run(name, func(t *testing.T) { failures(t, daemon) })
	}
}

func failures(t *testing.T, sd string) {
	self := strconv.Itoa(os.Getpid())
	cases := []struct {
		name    string
		daemon  string
		conf    string // replaces the config file when not empty
		pidfile string // written before the action when not empty
		lock    bool   // lock file present
		action  string
		rc      int
		want    []string
	}{
		{name: "not installed", daemon: "/nonexistent/supervisord-lite", action: "start", rc: 5, want: []string{"/nonexistent/supervisord-lite not found"}},
		{name: "not configured", daemon: sd, conf: "-", action: "start", rc: 6, want: []string{"not found"}},
		{name: "broken config", daemon: sd, conf: "[supervisord]\nnodaemon = maybe\n", action: "start", rc: 1,
			want: []string{"FAILED", "exited with status", "maybe"}},
		{name: "usage", daemon: sd, action: "frobnicate", rc: 2, want: []string{"Usage:"}},
		{name: "no action", daemon: sd, action: "", rc: 2, want: []string{"Usage:"}},
		{name: "stale pidfile status", daemon: sd, pidfile: "999999999", action: "status", rc: 1, want: []string{"dead but pid file exists"}},
		{name: "foreign pid status", daemon: sd, pidfile: self, action: "status", rc: 1, want: []string{"dead but pid file exists"}},
		{name: "foreign pid stop", daemon: sd, pidfile: self, action: "stop", rc: 0, want: []string{"not running"}},
		{name: "foreign pid reload", daemon: sd, pidfile: self, action: "reload", rc: 7, want: []string{"not running"}},
		{name: "garbage pidfile", daemon: sd, pidfile: "-1 or so\x00", action: "status", rc: 1, want: []string{"dead but pid file exists"}},
		{name: "lock without pid", daemon: sd, lock: true, action: "status", rc: 2, want: []string{"subsys locked"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "/bin/sh", tc.daemon, "")
			switch tc.conf {
			case "":
			case "-":
				require.NoError(t, os.Remove(e.conf))
			default:
				require.NoError(t, os.WriteFile(e.conf, []byte(tc.conf), 0o644))
			}
			if tc.pidfile != "" {
				require.NoError(t, os.WriteFile(e.pidfile, []byte(tc.pidfile+"\n"), 0o644))
			}
			if tc.lock {
				require.NoError(t, os.WriteFile(e.lockfile, nil, 0o644))
			}
			out, rc := e.run(t, tc.action)
			assert.Equal(t, tc.rc, rc, out)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
			assert.Empty(t, running(t, e.conf), "nothing left running")
		})
	}
	// The test process, named in a pidfile above, was never signalled: it is still here.
	assert.NoError(t, syscall.Kill(os.Getpid(), 0))
}

// TestStopTimeout checks that stop gives up after STOP_TIMEOUT with exit 1 and leaves the daemon
// alone (no SIGKILL, which would orphan its programs), and that a later stop succeeds.
func TestStopTimeout(t *testing.T) {
	testenv.Short(t)
	for name, daemon := range daemons(t) {
		name, daemon := name, daemon
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stopTimeout(t, daemon)
		})
	}
}

func stopTimeout(t *testing.T, sd string) {
	e := newEnv(t, "/bin/sh", sd, "")
	// A program that ignores SIGTERM: supervisord waits stopwaitsecs (4 s) before SIGKILL.
	conf := readFile(e.conf) + `
[program:stubborn]
command = /bin/sh -c 'trap "" TERM; exec /bin/sleep 600'
startsecs = 0
stopwaitsecs = 4
`
	require.NoError(t, os.WriteFile(e.conf, []byte(conf), 0o644))
	out, rc := e.run(t, "start")
	require.Equal(t, 0, rc, out)
	pid := e.daemonPid()
	waitProgram(t, e, pid)
	require.True(t, testenv.Poll(15*time.Second, func() bool { return len(tree(int32(pid))) >= 3 }), "both programs run")

	out, rc = e.run(t, "stop", "STOP_TIMEOUT=1")
	assert.Equal(t, 1, rc, out)
	assert.Contains(t, out, fmt.Sprintf("FAILED (pid %d still running after 1s)", pid))
	assert.True(t, isOurs(int32(pid), e.conf), "the daemon is not killed")

	out, rc = e.run(t, "stop")
	assert.Equal(t, 0, rc, out)
	assert.Empty(t, running(t, e.conf))
	assert.Contains(t, readFile(e.log), "killing 'stubborn'")
}
