package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// The daemon tests run the built binary (and, where it can run the same scenario, the real
// supervisord 4.2.5) as a daemon in a temporary directory with a unix socket: command line,
// daemonizing, signals, reread/update through the real supervisorctl. Every process a daemon
// started is checked gone at the end.

// dtSleeper is a long-running child that ignores nothing: TERM stops it at once.
const dtSleeper = "/bin/sleep 1000"

// dtConfig is a supervisord.conf for dir with the given program sections appended.
func dtConfig(dir, body string) string {
	return fmt.Sprintf(`[unix_http_server]
file=%[1]s/s.sock

[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s/logs
loglevel=info

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://%[1]s/s.sock
`, dir) + body
}

// dtDaemon is one daemon (ours or the real supervisord) in its own directory.
type dtDaemon struct {
	name string // "lite" or "real"
	bin  string
	dir  string
	conf string
	cmd  *exec.Cmd
	out  testenv.Buffer
	done chan struct{}
	rc   int // exit status once done is closed
	pids map[int32]bool
}

// newDT prepares a daemon of kind "lite" or "real" with the config body; it is not started.
func newDT(t *testing.T, kind, bin, body string) *dtDaemon {
	dir := filepath.Join(t.TempDir(), kind)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "logs"), 0o755))
	d := &dtDaemon{name: kind, bin: bin, dir: dir, conf: filepath.Join(dir, "supervisord.conf"), pids: map[int32]bool{}}
	d.write(t, body)
	return d
}

func (d *dtDaemon) write(t *testing.T, body string) {
	require.NoError(t, os.WriteFile(d.conf, []byte(dtConfig(d.dir, body)), 0o644))
}

// start runs the daemon in the foreground (-n) with extra options; Cleanup stops it.
func (d *dtDaemon) start(t *testing.T, extra ...string) {
	d.startArgs(t, append([]string{"-n", "-c", d.conf}, extra...))
}

// startArgs runs d.bin with args; Cleanup stops it.
func (d *dtDaemon) startArgs(t *testing.T, args []string) {
	for try := 1; ; try++ {
		d.cmd = exec.Command(d.bin, args...)
		d.cmd.Dir = d.dir
		d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
		err := d.cmd.Start()
		// A script this test just wrote (a wrapper) is busy while a child forked meanwhile by
		// a parallel test still holds the write descriptor, until that child's exec closes it.
		if errors.Is(err, syscall.ETXTBSY) && try < 100 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		require.NoError(t, err)
		break
	}
	d.done = make(chan struct{})
	go func() {
		err := d.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			d.rc = ee.ExitCode()
		}
		close(d.done)
	}()
	t.Cleanup(func() { d.finish(t) })
}

// client dials the daemon's socket.
func (d *dtDaemon) client(t *testing.T) *rpc.Client {
	c, err := rpc.Dial("unix://"+filepath.Join(d.dir, "s.sock"), "", "")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// states returns namespec -> state, recording every pid seen.
func (d *dtDaemon) states(c *rpc.Client) (map[string]procState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	infos, err := c.GetAllProcessInfo(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]procState{}
	for _, r := range infos {
		p := procState{name: r.Namespec(), state: r.StateName, pid: int32(r.Pid)}
		out[p.name] = p
		if p.pid > 0 {
			d.pids[p.pid] = true
		}
	}
	return out, nil
}

// waitFor polls the daemon's process table until cond holds (at most 20 s).
func (d *dtDaemon) waitFor(t *testing.T, c *rpc.Client, what string, cond func(map[string]procState) bool) map[string]procState {
	t.Helper()
	var last map[string]procState
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if last, err = d.states(c); err == nil && cond(last) {
			return last
		}
	}
	require.FailNowf(t, "timeout", "%s: %s not reached in 20 s: %v %v\n%s", d.name, what, last, err, d.log())
	return nil
}

// allRunning is true when the named processes (namespecs) are all RUNNING.
func allRunning(names ...string) func(map[string]procState) bool {
	return func(st map[string]procState) bool {
		for _, n := range names {
			if st[n].state != "RUNNING" {
				return false
			}
		}
		return true
	}
}

func (d *dtDaemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "supervisord.log"))
	return string(b)
}

// waitLog waits until the main log contains s (at most 10 s).
func (d *dtDaemon) waitLog(t *testing.T, s string) {
	t.Helper()
	ok := seedPoll(10*time.Second, 20*time.Millisecond, func() bool { return strings.Contains(d.log(), s) })
	require.Truef(t, ok, "%s: log never said %q:\n%s", d.name, s, d.log())
}

// waitExit waits for the daemon to exit (at most 15 s) and returns its status.
func (d *dtDaemon) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-d.done:
		return d.rc
	case <-time.After(15 * time.Second):
		require.FailNowf(t, "timeout", "%s did not exit in 15 s\n%s", d.name, d.log())
	}
	return -1
}

// finish stops the daemon if it still runs and checks that none of its children survived.
func (d *dtDaemon) finish(t *testing.T) {
	if d.cmd == nil {
		return
	}
	select {
	case <-d.done:
	default:
		if c, err := rpc.Dial("unix://"+filepath.Join(d.dir, "s.sock"), "", ""); err == nil {
			_, _ = d.states(c)
			c.Close()
		}
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(15 * time.Second):
			t.Errorf("%s: no exit 15 s after SIGTERM; killing its process group\n%s", d.name, d.log())
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.done
		}
	}
	dtCheckGone(t, d.name, d.pids)
}

// dtCheckGone checks with gopsutil that none of pids is a live process (5 s grace), and
// kills any survivor.
func dtCheckGone(t *testing.T, who string, pids map[int32]bool) {
	deadline := time.Now().Add(5 * time.Second)
	for pid := range pids {
		for dtLive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if dtLive(pid) {
			t.Errorf("%s: process %d outlived its daemon", who, pid)
			_ = syscall.Kill(int(pid), syscall.SIGKILL)
		}
	}
}

// dtLive reports through gopsutil whether pid is a live, non-zombie process.
func dtLive(pid int32) bool {
	p, err := process.NewProcess(pid)
	if err != nil {
		return false
	}
	st, err := p.Status()
	if err != nil {
		return false
	}
	return len(st) == 0 || st[0] != process.Zombie
}

// dtRun runs argv (bounded to 20 s) and returns stdout, stderr and the exit status.
func dtRun(t *testing.T, dir string, argv ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	rc := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		rc = ee.ExitCode()
	} else {
		require.NoError(t, err, "%q", argv)
	}
	return stdout.String(), stderr.String(), rc
}

// ctl runs the real supervisorctl against this daemon; output is stdout+stderr with the
// directory replaced by $DIR.
func (d *dtDaemon) ctl(t *testing.T, supervisorctl string, args ...string) (string, int) {
	t.Helper()
	o, e, rc := dtRun(t, d.dir, append([]string{supervisorctl, "-c", d.conf}, args...)...)
	return strings.ReplaceAll(o+e, d.dir, "$DIR"), rc
}

// dtPair returns our daemon and, when supervisord is installed, the real one, with the same
// config body. real is nil when supervisord is missing (plain go test) .
func dtPair(t *testing.T, body string) (lite, real *dtDaemon) {
	lite = newDT(t, "lite", slBin, body)
	if _, err := exec.LookPath("supervisord"); err != nil && !testenv.E2E() {
		return lite, nil // ours alone; the comparison needs Debian's supervisor
	}
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	return lite, newDT(t, "real", bin, body)
}

// dtEach runs fn for each daemon that is not nil, concurrently in subtests named after them,
// and returns when all have finished.
func dtEach(t *testing.T, fn func(t *testing.T, d *dtDaemon), ds ...*dtDaemon) {
	t.Run("each", func(t *testing.T) {
		for _, d := range ds {
			if d == nil {
				continue
			}
			d := d
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				fn(t, d)
			})
		}
	})
}

func TestDaemonCommandLine(t *testing.T) {
	t.Parallel()
	supervisord := testenv.LookPath(t, "supervisord", "supervisor")
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "logs"), 0o755))
	good := filepath.Join(dir, "good.conf")
	require.NoError(t, os.WriteFile(good, []byte(dtConfig(dir, "")), 0o644))
	broken := filepath.Join(dir, "broken.conf")
	require.NoError(t, os.WriteFile(broken, []byte(dtConfig(dir, `
[program:x]
command=/bin/true
startsecs=abc

[program:y]
command=/bin/true
stopsignal=FOO
`)), 0o644))
	syntax := filepath.Join(dir, "syntax.conf")
	require.NoError(t, os.WriteFile(syntax, []byte("[supervisord]\nthis line has no equals sign\n"), 0o644))

	tests := []struct {
		name string
		args []string
		rc   int
		// extra is what our stderr has beyond supervisord's: lines after the first error line
		extra []string
	}{
		{name: "unknown short", args: []string{"-x"}, rc: 2},
		{name: "unknown in a group", args: []string{"-nx"}, rc: 2},
		{name: "unknown long", args: []string{"--bogus"}, rc: 2},
		{name: "ambiguous long", args: []string{"--logfile_"}, rc: 2},
		{name: "missing value", args: []string{"-c"}, rc: 2},
		{name: "version", args: []string{"-v"}, rc: 0},
		{name: "version long", args: []string{"--version"}, rc: 0},
		{name: "missing config", args: []string{"-c", filepath.Join(dir, "nosuch.conf")}, rc: 2},
		{name: "broken -c FILE", args: []string{"-c", "broken.conf"}, rc: 2,
			extra: []string{"'abc' in section 'program:x' (file: 'broken.conf') at line 18", "'FOO' is not a valid signal name in section 'program:y' (file: 'broken.conf') at line 22"}},
		{name: "broken -cFILE", args: []string{"-cbroken.conf"}, rc: 2, extra: []string{"at line 18"}},
		{name: "broken --configuration=FILE", args: []string{"--configuration=" + broken}, rc: 2, extra: []string{"(file: '" + broken + "') at line 18"}},
		{name: "broken --conf FILE", args: []string{"--conf", broken}, rc: 2, extra: []string{"at line 22"}},
		{name: "syntax error", args: []string{"-c", syntax}, rc: 2},
		{name: "bad loglevel override", args: []string{"-c", good, "-e", "loud"}, rc: 2},
		{name: "bad umask override", args: []string{"-c", good, "-m", "99"}, rc: 2},
		{name: "bad minfds override", args: []string{"-c", good, "-a", "many"}, rc: 2},
		{name: "positional arguments", args: []string{"-c", good, "extra", "it's"}, rc: 2},
		{name: "repeated flag", args: []string{"-n", "-n", "-v"}, rc: 2},
		{name: "repeated -c", args: []string{"-c", good, "--configuration=" + broken}, rc: 2},
		{name: "repeated long and short", args: []string{"-e", "debug", "--logl", "info", "-v"}, rc: 2},
		{name: "-v before a repeat", args: []string{"-v", "-n", "-n"}, rc: 0},
		{name: "bad byte size", args: []string{"-c", good, "-y", "10XB"}, rc: 2},
		{name: "bad byte size with suffix", args: []string{"-c", good, "-yabcmb"}, rc: 2},
		{name: "bad backups", args: []string{"-c", good, "-z", "x"}, rc: 2},
		{name: "bad --minprocs", args: []string{"-c", good, "--minprocs", "x"}, rc: 2},
		{name: "missing -d directory", args: []string{"-c", good, "-d", "/nonexistent"}, rc: 2},
		{name: "missing -q directory", args: []string{"-c", good, "-q", "/nonexistent"}, rc: 2},
		{name: "missing -l directory", args: []string{"-c", good, "-l", "/nonexistent/x.log"}, rc: 2},
		{name: "missing -j directory", args: []string{"-c", good, "-nj", "/nonexistent/x.pid"}, rc: 2},
		{name: "python int forms", args: []string{"-z", " 5", "-a", "1_024", "-m", "0o22", "-e", "TRACE", "-v"}, rc: 0},
	}
	for _, tc := range tests {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lo, le, lrc := dtRun(t, dir, append([]string{slBin}, tc.args...)...)
			ro, re, rrc := dtRun(t, dir, append([]string{supervisord}, tc.args...)...)
			le = strings.ReplaceAll(le, slBin, "$0")
			re = strings.ReplaceAll(re, supervisord, "$0")
			assert.Equal(t, tc.rc, rrc, "real supervisord's status")
			assert.Equal(t, rrc, lrc, "status")
			assert.Equal(t, ro, lo, "stdout")
			if tc.rc == 0 {
				assert.Equal(t, "4.2.5\n", lo)
				assert.Empty(t, le)
				return
			}
			// ours: supervisord's first line, then (for config files) every problem with
			// its line, then supervisord's help hint
			rl := strings.Split(strings.TrimSuffix(re, "\n"), "\n")
			ll := strings.Split(strings.TrimSuffix(le, "\n"), "\n")
			require.NotEmpty(t, rl)
			assert.Equal(t, rl[0], ll[0], "first stderr line")
			assert.Equal(t, rl[len(rl)-1], ll[len(ll)-1], "last stderr line")
			assert.Equal(t, "For help, use $0 -h", ll[len(ll)-1])
			if len(tc.extra) == 0 && !strings.Contains(tc.name, "syntax") {
				assert.Equal(t, re, le, "stderr")
			}
			for _, x := range tc.extra {
				assert.Contains(t, le, x)
			}
		})
	}

	t.Run("help", func(t *testing.T) {
		t.Parallel()
		for _, h := range []string{"-h", "--help", "-?"} {
			lo, le, lrc := dtRun(t, dir, slBin, h)
			ro, _, rrc := dtRun(t, dir, supervisord, h)
			assert.Equal(t, 0, lrc, h)
			assert.Equal(t, rrc, lrc, h)
			assert.Empty(t, le, h)
			assert.Contains(t, lo, "Usage: "+slBin+" [options]", h)
			// every option supervisord documents is documented by ours
			for _, line := range strings.Split(ro, "\n") {
				if m := regexp.MustCompile(`^(-[a-z]/--[a-z_]+|--minprocs)`).FindString(line); m != "" {
					assert.Contains(t, lo, m, h)
				}
			}
		}
	})
}

// TestDaemonOverrides runs both daemons with -l -j -e -q -i -s -n given on the command line and
// checks that each took effect over the config file's values.
func TestDaemonOverrides(t *testing.T) {
	t.Parallel()
	lite, real := dtPair(t, "\n[program:talker]\ncommand=/bin/sh -c 'echo hello; exec sleep 1000'\nstartsecs=0\n")
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		require.NoError(t, os.MkdirAll(filepath.Join(d.dir, "clogs"), 0o755))
		d.start(t, "-l", filepath.Join(d.dir, "other.log"), "-j", filepath.Join(d.dir, "other.pid"),
			"-e", "debug", "-q", filepath.Join(d.dir, "clogs"), "-i", "myident", "-s")
		c := d.client(t)
		st := d.waitFor(t, c, "talker RUNNING", allRunning("talker"))

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		id, err := c.Call(ctx, "supervisor.getIdentification")
		require.NoError(t, err)
		assert.Equal(t, "myident", id, "-i")

		pid, err := os.ReadFile(filepath.Join(d.dir, "other.pid"))
		require.NoError(t, err, "-j")
		assert.Equal(t, strconv.Itoa(d.cmd.Process.Pid), strings.TrimSpace(string(pid)), "-j")
		assert.NoFileExists(t, filepath.Join(d.dir, "supervisord.pid"), "-j")

		assert.NoFileExists(t, filepath.Join(d.dir, "supervisord.log"), "-l")
		ok := seedPoll(10*time.Second, 20*time.Millisecond, func() bool {
			b, _ := os.ReadFile(filepath.Join(d.dir, "other.log"))
			return strings.Contains(string(b), "success: talker entered RUNNING state") &&
				strings.Contains(string(b), "DEBG") // talker's output is logged at debug level
		})
		b, _ := os.ReadFile(filepath.Join(d.dir, "other.log"))
		require.True(t, ok, "-l: %s", b)
		assert.Contains(t, string(b), "DEBG", "-e debug")

		logs, err := filepath.Glob(filepath.Join(d.dir, "clogs", "talker-stdout---myident-*.log"))
		require.NoError(t, err)
		assert.Len(t, logs, 1, "-q and -i name the automatic child log")
		assert.Empty(t, mustGlob(t, filepath.Join(d.dir, "logs", "*")), "-q")
		assert.Greater(t, st["talker"].pid, int32(0))
		assert.NotContains(t, d.out.String(), "supervisord started with pid", "-s: no log on stdout")
	}, lite, real)
}

// procSid is the session id of pid, from /proc/PID/stat (state, ppid, pgrp, session after the
// command name).
func procSid(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 4 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, data)
	}
	return strconv.Atoi(f[3])
}

func mustGlob(t *testing.T, pattern string) []string {
	m, err := filepath.Glob(pattern)
	require.NoError(t, err)
	return m
}

// TestDaemonDaemonize starts both daemons without -n: the command returns at once and the
// daemon lives in its own session with stdio on /dev/null; a second start is refused while it
// lives; TERM stops it and removes the pidfile.
func TestDaemonDaemonize(t *testing.T) {
	t.Parallel()
	lite, real := dtPair(t, "\n[program:s]\ncommand="+dtSleeper+"\nstartsecs=0\n")
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		pidfile := filepath.Join(d.dir, "supervisord.pid")
		work := filepath.Join(d.dir, "work")
		require.NoError(t, os.Mkdir(work, 0o755))
		// -d and -m apply only when daemonizing
		_, errOut, rc := dtRun(t, d.dir, d.bin, "-c", d.conf, "-d", work, "-m", "027")
		require.Equal(t, 0, rc, errOut)
		assert.Empty(t, errOut)

		var pid int
		ok := seedPoll(10*time.Second, 20*time.Millisecond, func() bool {
			b, err := os.ReadFile(pidfile)
			if err != nil {
				return false
			}
			pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
			return err == nil
		})
		require.True(t, ok, "no pidfile\n%s", d.log())
		pids := map[int32]bool{int32(pid): true}
		t.Cleanup(func() {
			if dtLive(int32(pid)) {
				_ = syscall.Kill(pid, syscall.SIGTERM)
			}
			dtCheckGone(t, d.name+" daemonized", pids)
		})
		require.True(t, dtLive(int32(pid)), "the pidfile names a live process")

		sid, err := procSid(pid)
		require.NoError(t, err)
		assert.Equal(t, pid, sid, "the daemon leads its own session")
		for fd := 0; fd <= 2; fd++ {
			target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
			require.NoError(t, err)
			assert.Equal(t, os.DevNull, target, "fd %d", fd)
		}
		cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		require.NoError(t, err)
		assert.Equal(t, work, cwd, "-d")
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		require.NoError(t, err)
		assert.Contains(t, string(status), "Umask:\t0027", "-m")
		c := d.client(t)
		st := d.waitFor(t, c, "s RUNNING", allRunning("s"))
		pids[st["s"].pid] = true
		csid, err := procSid(int(st["s"].pid))
		require.NoError(t, err)
		assert.Equal(t, pid, csid, "the child is in the daemon's session")

		// a second start with the same config is refused while the first lives
		for _, args := range [][]string{{"-c", d.conf}, {"-n", "-c", d.conf}} {
			_, e, rc := dtRun(t, d.dir, append([]string{d.bin}, args...)...)
			assert.Equal(t, 2, rc, "%q", args)
			if d.name == "lite" {
				assert.Contains(t, e, fmt.Sprintf("already running with pid %d", pid), "%q", args)
			} else {
				// supervisord finds its socket in use
				assert.Contains(t, e, "Another program is already listening", "%q", args)
			}
		}
		assert.True(t, dtLive(int32(pid)))
		b, err := os.ReadFile(pidfile)
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(pid), strings.TrimSpace(string(b)), "the refused start left the pidfile alone")

		require.NoError(t, syscall.Kill(pid, syscall.SIGTERM))
		ok = seedPoll(15*time.Second, 20*time.Millisecond, func() bool { return !dtLive(int32(pid)) })
		require.True(t, ok, "daemon alive 15 s after TERM")
		assert.NoFileExists(t, pidfile)
		dtCheckGone(t, d.name+" daemonized", pids)
		assert.Contains(t, d.log(), "received SIGTERM indicating exit request")
	}, lite, real)
}

// stoppedOrder returns the program names of the log's "stopped: NAME" lines in order.
func stoppedOrder(log string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)stopped: (\S+) \(`).FindAllStringSubmatch(log, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestDaemonSignalTerm(t *testing.T) {
	t.Parallel()
	body := ""
	for _, p := range []struct {
		name string
		prio int
	}{{"mid", 200}, {"low", 100}, {"high", 300}} {
		body += fmt.Sprintf("\n[program:%s]\ncommand=%s\nstartsecs=0\npriority=%d\n", p.name, dtSleeper, p.prio)
	}
	lite, real := dtPair(t, body)
	var mu sync.Mutex
	orders := map[string][]string{}
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		d.start(t)
		c := d.client(t)
		d.waitFor(t, c, "all RUNNING", allRunning("low", "mid", "high"))
		require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, 0, d.waitExit(t), "exit status")
		dtCheckGone(t, d.name, d.pids)
		log := d.log()
		assert.Contains(t, log, "received SIGTERM indicating exit request")
		mu.Lock()
		orders[d.name] = stoppedOrder(log)
		mu.Unlock()
	}, lite, real)
	assert.Equal(t, []string{"high", "mid", "low"}, orders["lite"], "descending priority")
	if real != nil {
		assert.Equal(t, orders["real"], orders["lite"])
	}
}

func TestDaemonSignalHupGood(t *testing.T) {
	t.Parallel()
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	body := "\n[program:a]\ncommand=" + dtSleeper + "\nstartsecs=0\n\n[program:b]\ncommand=" + dtSleeper + "\nstartsecs=0\n"
	edited := body + "\n[program:c]\ncommand=" + dtSleeper + "\nstartsecs=0\n"
	lite, real := dtPair(t, body)
	var mu sync.Mutex
	avail := map[string]string{}
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		d.start(t)
		c := d.client(t)
		before := d.waitFor(t, c, "a, b RUNNING", allRunning("a", "b"))
		d.write(t, edited)
		require.NoError(t, d.cmd.Process.Signal(syscall.SIGHUP))
		after := d.waitFor(t, c, "a, b, c RUNNING with new pids", func(st map[string]procState) bool {
			return allRunning("a", "b", "c")(st) && st["a"].pid != before["a"].pid && st["b"].pid != before["b"].pid
		})
		select {
		case <-d.done:
			t.Fatalf("the daemon exited on HUP: %d", d.rc)
		default: // same daemon process
		}
		for _, n := range []string{"a", "b"} {
			assert.False(t, dtLive(before[n].pid), "old %s gone", n)
		}
		assert.Greater(t, after["c"].pid, int32(0))
		assert.Contains(t, d.log(), "received SIGHUP indicating restart request")
		out, rc := d.ctl(t, supervisorctl, "avail")
		assert.Equal(t, 0, rc)
		mu.Lock()
		avail[d.name] = out
		mu.Unlock()
	}, lite, real)
	assert.Contains(t, avail["lite"], "c                                in use    auto      999:999")
	if real != nil {
		assert.Equal(t, avail["real"], avail["lite"])
	}
}

func TestDaemonSignalHupBroken(t *testing.T) {
	t.Parallel()
	body := "\n[program:a]\ncommand=" + dtSleeper + "\nstartsecs=0\n"
	brokenBody := body + "\n[program:bad]\ncommand=" + dtSleeper + "\nstartsecs=soon\n"
	lite, real := dtPair(t, body)

	// ours: logs the errors with file and line and keeps the old programs
	lite.start(t)
	c := lite.client(t)
	before := lite.waitFor(t, c, "a RUNNING", allRunning("a"))
	lite.write(t, brokenBody)
	require.NoError(t, lite.cmd.Process.Signal(syscall.SIGHUP))
	lite.waitLog(t, "reload refused")
	log := lite.log()
	assert.Contains(t, log, "invalid literal for int() with base 10: 'soon' in section 'program:bad' (file: '"+lite.conf+"') at line 22")
	after, err := lite.states(c)
	require.NoError(t, err)
	assert.Equal(t, before, after, "same programs, same pids")
	assert.True(t, dtLive(before["a"].pid))
	// and a later HUP with a fixed config still works
	lite.write(t, body)
	require.NoError(t, lite.cmd.Process.Signal(syscall.SIGHUP))
	lite.waitFor(t, c, "a restarted", func(st map[string]procState) bool {
		return allRunning("a")(st) && st["a"].pid != before["a"].pid
	})

	// supervisord: stops every child and exits 2 (the difference this test documents)
	if real == nil {
		return
	}
	real.start(t)
	rc := real.client(t)
	rbefore := real.waitFor(t, rc, "a RUNNING", allRunning("a"))
	real.write(t, brokenBody)
	require.NoError(t, real.cmd.Process.Signal(syscall.SIGHUP))
	assert.Equal(t, 2, real.waitExit(t), "real supervisord's status after HUP with a broken config")
	dtCheckGone(t, "real", map[int32]bool{rbefore["a"].pid: true})
	assert.Contains(t, real.out.String(), "Error: invalid literal for int() with base 10: 'soon'")
}

func TestDaemonSignalUsr1(t *testing.T) {
	t.Parallel()
	d := newDT(t, "lite", slBin, "\n[program:a]\ncommand="+dtSleeper+"\nstartsecs=0\n")
	d.start(t)
	c := d.client(t)
	before := d.waitFor(t, c, "a RUNNING", allRunning("a"))
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGUSR1))
	d.waitLog(t, "received SIGUSR1")
	after, err := d.states(c)
	require.NoError(t, err, "the daemon still answers")
	assert.Equal(t, before, after)
	select {
	case <-d.done:
		t.Fatalf("daemon exited on SIGUSR1: %d", d.rc)
	default:
	}
}

// TestDaemonSignalUsr2Logrotate moves the main and a child log away with logrotate(8) in
// create mode, whose postrotate sends USR2: later lines go to the new files and no line of
// the child's numbered output is lost or doubled.
func TestDaemonSignalUsr2Logrotate(t *testing.T) {
	t.Parallel()
	logrotate := testenv.LookPath(t, "logrotate", "logrotate")
	d := newDT(t, "lite", slBin, "")
	wlog := filepath.Join(d.dir, "w.log")
	d.write(t, fmt.Sprintf(`
[program:w]
command=/bin/sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo line $i; sleep 0.01; done'
startsecs=0
autorestart=false
stdout_logfile=%s
stdout_logfile_maxbytes=0
`, wlog))
	d.start(t)
	c := d.client(t)
	d.waitFor(t, c, "w RUNNING", allRunning("w"))
	ok := seedPoll(10*time.Second, 20*time.Millisecond, func() bool {
		b, _ := os.ReadFile(wlog)
		return bytes.Count(b, []byte("\n")) >= 20
	})
	require.True(t, ok)

	mainLog := filepath.Join(d.dir, "supervisord.log")
	lrConf := filepath.Join(d.dir, "logrotate.conf")
	require.NoError(t, os.WriteFile(lrConf, []byte(fmt.Sprintf(`%s %s {
    rotate 3
    create 0644
    nocompress
    missingok
    sharedscripts
    postrotate
        kill -USR2 %d
    endscript
}
`, mainLog, wlog, d.cmd.Process.Pid)), 0o644))
	o, e, rc := dtRun(t, d.dir, logrotate, "-f", "-s", filepath.Join(d.dir, "logrotate.state"), lrConf)
	require.Equal(t, 0, rc, "logrotate: %s%s", o, e)
	require.FileExists(t, wlog+".1")
	require.FileExists(t, mainLog+".1")

	// new lines reach the new child log
	ok = seedPoll(10*time.Second, 20*time.Millisecond, func() bool {
		b, _ := os.ReadFile(wlog)
		return bytes.Count(b, []byte("\n")) >= 20
	})
	require.True(t, ok, "the new w.log got no lines\n%s", d.log())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Call(ctx, "supervisor.stopProcess", "w", true)
	require.NoError(t, err)

	old, err := os.ReadFile(wlog + ".1")
	require.NoError(t, err)
	cur, err := os.ReadFile(wlog)
	require.NoError(t, err)
	all := strings.Split(strings.TrimSuffix(string(old)+string(cur), "\n"), "\n")
	require.GreaterOrEqual(t, len(all), 40) // at least 20 lines before the rotation and 20 after
	for i, line := range all {
		require.Equal(t, fmt.Sprintf("line %d", i+1), line, "no child output lost or doubled across the reopen")
	}
	assert.True(t, strings.HasPrefix(string(cur), "line "), "the new file starts with a whole line")

	oldMain, err := os.ReadFile(mainLog + ".1")
	require.NoError(t, err)
	assert.Contains(t, string(oldMain), "success: w entered RUNNING state")
	newMain, err := os.ReadFile(mainLog)
	require.NoError(t, err)
	assert.Contains(t, string(oldMain)+string(newMain), "received SIGUSR2 indicating log reopen request")
	assert.Contains(t, string(newMain), "stopped: w", "main log lines after the reopen go to the new file")
	assert.NotContains(t, string(oldMain), "stopped: w")
}

// TestDaemonRereadUpdate edits the same config of both daemons (add a program, remove one,
// change one, change one member of a [group:x]) and compares the real supervisorctl's reread
// and update output; it records which pids of the group changed in each daemon.
func TestDaemonRereadUpdate(t *testing.T) {
	t.Parallel()
	supervisorctl := testenv.LookPath(t, "supervisorctl", "supervisor")
	prog := func(name, cmd string) string {
		return fmt.Sprintf("\n[program:%s]\ncommand=%s\nstartsecs=0\n", name, cmd)
	}
	group := "\n[group:x]\nprograms=gm1,gm2\n"
	body := prog("keep", dtSleeper) + prog("gone", dtSleeper) + prog("chg", dtSleeper) + group +
		prog("gm1", dtSleeper) + prog("gm2", dtSleeper)
	edited := prog("keep", dtSleeper) + prog("chg", "/bin/sleep 1001") + group +
		prog("gm1", dtSleeper) + prog("gm2", "/bin/sleep 1002") + prog("new", dtSleeper)
	all := []string{"keep", "gone", "chg", "x:gm1", "x:gm2"}

	lite, real := dtPair(t, body)
	type result struct {
		reread, update, reread2, status string
		changed                         []string // namespecs whose pid changed
	}
	var mu sync.Mutex
	res := map[string]*result{}
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		d.start(t)
		c := d.client(t)
		before := d.waitFor(t, c, "all RUNNING", allRunning(all...))
		r := &result{}
		mu.Lock()
		res[d.name] = r
		mu.Unlock()
		d.write(t, edited)
		var rc int
		r.reread, rc = d.ctl(t, supervisorctl, "reread")
		assert.Equal(t, 0, rc, d.name)
		r.update, rc = d.ctl(t, supervisorctl, "update")
		assert.Equal(t, 0, rc, d.name)
		after := d.waitFor(t, c, "edited set RUNNING", allRunning("keep", "chg", "x:gm1", "x:gm2", "new"))
		for _, n := range []string{"keep", "chg", "x:gm1", "x:gm2"} {
			if after[n].pid != before[n].pid {
				r.changed = append(r.changed, n)
			}
		}
		_, stillThere := after["gone"]
		assert.False(t, stillThere, "%s: gone removed", d.name)
		assert.False(t, dtLive(before["gone"].pid), "%s: gone's process stopped", d.name)
		r.reread2, _ = d.ctl(t, supervisorctl, "reread")
		r.status, _ = d.ctl(t, supervisorctl, "status")
		r.status = reUptime.ReplaceAllLiteralString(r.status, "pid $PID, uptime $UPTIME")
		t.Logf("%s: pids changed by update: %v", d.name, r.changed)
	}, lite, real)
	l := res["lite"]
	assert.Equal(t, "chg: changed\ngone: disappeared\nnew: available\nx: changed\n", l.reread)
	assert.Equal(t, "No config updates to processes\n", l.reread2)
	assert.Contains(t, l.update, "gone: removed process group")
	assert.Contains(t, l.update, "new: added process group")
	assert.Contains(t, l.changed, "chg")
	assert.Contains(t, l.changed, "x:gm2")
	assert.NotContains(t, l.changed, "keep")
	if r := res["real"]; r != nil {
		assert.Equal(t, r.reread, l.reread, "reread")
		assert.Equal(t, r.update, l.update, "update")
		assert.Equal(t, r.reread2, l.reread2, "second reread")
		assert.Equal(t, r.status, l.status, "status after update")
		// supervisord restarts the whole group on a change of one member
		assert.Equal(t, []string{"chg", "x:gm1", "x:gm2"}, r.changed)
		sort.Strings(l.changed)
		if len(l.changed) == 2 {
			t.Logf("lite restarted only the changed member of x (improvement of issue 5 item 4)")
		}
	}
}

// sendProcessStdin to a program that closed its stdin: the write fails with EPIPE, which
// supervisord reports as NO_FILE (not NOT_RUNNING: the process is running).
func TestDaemonStdinClosedDifferential(t *testing.T) {
	t.Parallel()
	lite, real := dtPair(t, "\n[program:deaf]\ncommand=/bin/sh -c 'exec 0<&-; exec "+dtSleeper+"'\nstartsecs=0\n")
	var mu sync.Mutex
	faults := map[string]string{}
	dtEach(t, func(t *testing.T, d *dtDaemon) {
		d.start(t)
		c := d.client(t)
		d.waitFor(t, c, "deaf RUNNING", allRunning("deaf"))
		var err error
		for i := 0; i < 200 && err == nil; i++ { // until the shell has closed its stdin
			if _, err = c.Call(context.Background(), "supervisor.sendProcessStdin", "deaf", "hello\n"); err == nil {
				time.Sleep(10 * time.Millisecond)
			}
		}
		var f *rpc.Fault
		require.ErrorAs(t, err, &f)
		mu.Lock()
		faults[d.name] = f.String
		mu.Unlock()
		st, err := d.states(c)
		require.NoError(t, err)
		assert.Equal(t, "RUNNING", st["deaf"].state, "the failed write leaves the program alone")
	}, lite, real)
	assert.Equal(t, "NO_FILE: deaf", faults["lite"])
	if real != nil {
		assert.Equal(t, faults["real"], faults["lite"])
	}
}
