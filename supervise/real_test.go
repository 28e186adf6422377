package supervise

import (
	"context"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	psprocess "github.com/shirou/gopsutil/v3/process"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// realHarness runs a Supervisor with the real clock and fork spawner; children are this test
// binary running a helper behaviour.
type realHarness struct {
	t      *testing.T
	sv     *Supervisor
	events <-chan Event
	log    *logBuffer
	dir    string
	stop   func()
}

func newReal(t *testing.T) *realHarness {
	t.Helper()
	return newRealOpts(t, Options{})
}

// newRealOpts is newReal with options (ChildLogDir, Identifier and Logger are the harness's).
func newRealOpts(t *testing.T, opts Options) *realHarness {
	t.Helper()
	h := &realHarness{t: t, log: &logBuffer{}, dir: t.TempDir()}
	opts.ChildLogDir, opts.Identifier, opts.Logger = h.dir, "test", logTo(h.log)
	h.sv = New(opts)
	var cancelSub func()
	h.events, cancelSub = h.sv.Subscribe(100000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.sv.Serve(ctx) }()
	testenv.WaitFor(t, "the supervisor to serve", h.sv.isServing)
	stopped := false
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("Serve did not return")
		}
		cancelSub()
	}
	t.Cleanup(h.stop)
	return h
}

// helperProg is a Program running this test binary as helper name with args.
func helperProg(t *testing.T, name, helper string, args ...string) Program {
	exe, err := os.Executable()
	require.NoError(t, err)
	return Program{Name: name, Command: exe, Args: args, Env: []string{helperEnv + "=" + helper},
		StartSecs: 100 * time.Millisecond}
}

func (h *realHarness) add(p Program) {
	h.t.Helper()
	require.NoError(h.t, h.sv.Add(context.Background(), Group{Name: p.Name, Programs: []Program{p}}))
}

// until reads events until one for name satisfies pred (20 s safety net).
func (h *realHarness) until(name string, pred func(Event) bool) Event {
	h.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case e := <-h.events:
			if e.Name == name && pred(e) {
				return e
			}
		case <-timeout:
			h.t.Fatalf("no matching event for %s; log:\n%s", name, strings.Join(h.log.lines(), "\n"))
		}
	}
}

func (h *realHarness) untilState(name string, s State) Event {
	h.t.Helper()
	return h.until(name, func(e Event) bool { return e.Kind == EventState && e.To == s })
}

func (h *realHarness) untilOutput(name, text string) {
	h.t.Helper()
	var seen strings.Builder
	h.until(name, func(e Event) bool {
		if e.Kind == EventLog {
			seen.Write(e.Data)
		}
		return strings.Contains(seen.String(), text)
	})
}

func TestRealKill9IsRespawnedAtOnce(t *testing.T) {
	h := newReal(t)
	h.add(helperProg(t, "sleeper", "sleep"))
	first := h.untilState("sleeper", Running)
	require.NotZero(t, first.Pid)
	require.NoError(t, syscall.Kill(first.Pid, syscall.SIGKILL))
	ex := h.untilState("sleeper", Exited)
	assert.False(t, ex.Expected)
	h.untilState("sleeper", Starting)
	second := h.untilState("sleeper", Running)
	assert.NotEqual(t, first.Pid, second.Pid)
	assert.Contains(t, h.log.lines(), "WARN exited: sleeper (terminated by SIGKILL; not expected)")
	info, err := h.sv.Status("sleeper")
	require.NoError(t, err)
	assert.Equal(t, second.Pid, info[0].Pid)
}

func TestRealSigkillAfterStopWait(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "noterm", "ignoreterm")
	p.StopWait = 300 * time.Millisecond
	p.Stdout.Events = true
	h.add(p)
	h.untilOutput("noterm", "ready")
	_, err := h.sv.Stop(context.Background(), "noterm", true)
	require.NoError(t, err)
	info, err := h.sv.Status("noterm")
	require.NoError(t, err)
	assert.Equal(t, Stopped, info[0].State)
	assert.Equal(t, -1, info[0].ExitStatus)
	lines := h.log.lines()
	assert.Contains(t, lines, "WARN stopped: noterm (terminated by SIGKILL)")
	assert.True(t, containsPrefix(lines, "WARN killing 'noterm' ("), "SIGKILL logged: %v", lines)
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// stopasgroup leaves no descendant alive; without it the grandchildren survive (supervisord's
// trace 2(e)), checked over the real process tree.
func TestRealStopAsGroupLeavesNoDescendant(t *testing.T) {
	for _, group := range []bool{true, false} {
		h := newReal(t)
		p := helperProg(t, "forker", "fork", "2")
		p.StopAsGroup = group
		p.Stdout.Events = true
		h.add(p)
		h.untilOutput("forker", "ready")
		st, err := h.sv.Status("forker")
		require.NoError(t, err)
		pid := st[0].Pid
		require.NotZero(t, pid)
		desc, err := proctree.Descendants(pid)
		require.NoError(t, err)
		require.Len(t, desc, 2)
		var ids []proctree.ID
		for _, d := range desc {
			id, err := proctree.Identify(d)
			require.NoError(t, err)
			ids = append(ids, id)
		}
		_, err = h.sv.Stop(context.Background(), "forker", true)
		require.NoError(t, err)
		alive := 0
		for _, id := range ids {
			// A grandchild killed with the group is reaped by our subreaper loop.
			for i := 0; i < 200 && id.Alive() && group; i++ {
				time.Sleep(5 * time.Millisecond)
			}
			if id.Alive() {
				alive++
			}
		}
		if group {
			assert.Equal(t, 0, alive, "stopasgroup: no descendant survives")
		} else {
			assert.Equal(t, 2, alive, "without stopasgroup the grandchildren survive, as in supervisord")
			require.NoError(t, proctree.KillGroup(pid, syscall.SIGKILL))
		}
		h.stop()
	}
}

func TestRealSpawnFailures(t *testing.T) {
	h := newReal(t)
	p := Program{Name: "nofile", Command: "/x", StartRetries: 1}
	h.add(p)
	h.untilState("nofile", Backoff)
	h.untilState("nofile", Backoff)
	h.untilState("nofile", Fatal)
	info, err := h.sv.Status("nofile")
	require.NoError(t, err)
	assert.Equal(t, "can't find command '/x'", info[0].SpawnErr)

	// A child-side failure (chdir) is supervisord's exit 127 with the reason in the stderr log.
	nodir := helperProg(t, "nodir", "sleep")
	nodir.Dir = "/nonexistent/dir"
	nodir.StartRetries = -1
	h.add(nodir)
	h.untilState("nodir", Fatal)
	info, err = h.sv.Status("nodir")
	require.NoError(t, err)
	assert.Equal(t, "Exited too quickly (process log may have details)", info[0].SpawnErr)
	data, err := os.ReadFile(info[0].StderrLogfile)
	require.NoError(t, err)
	assert.Equal(t, "supervisor: couldn't chdir to /nonexistent/dir: ENOENT\nsupervisor: child process was not spawned\n", string(data))
	assert.Contains(t, h.log.lines(), "WARN exited: nodir (exit status 127; not expected)")
}

// Output goes to AUTO files named as supervisord names them; RedirectStderr merges; NONE is
// still drained; the last bytes are kept.
func TestRealOutputCapture(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "printer", "print", "1000")
	p.AutoRestart = RestartNever
	p.StartSecs = -1
	h.add(p)
	h.untilState("printer", Exited)
	info, err := h.sv.Status("printer")
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^printer-stdout---test-[a-z0-9_]{8}\.log$`), filepath.Base(info[0].StdoutLogfile))
	assert.Regexp(t, regexp.MustCompile(`^printer-stderr---test-[a-z0-9_]{8}\.log$`), filepath.Base(info[0].StderrLogfile))
	out, err := os.ReadFile(info[0].StdoutLogfile)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, 1000)
	assert.Equal(t, "out 999", lines[999])
	errOut, err := os.ReadFile(info[0].StderrLogfile)
	require.NoError(t, err)
	assert.Equal(t, "err 1000\n", string(errOut))
	last, lastErr, err := h.sv.LastOutput("printer")
	require.NoError(t, err)
	assert.Len(t, last, TailBytes)
	assert.True(t, strings.HasSuffix(string(last), "out 998\nout 999\n"))
	assert.Equal(t, "err 1000\n", string(lastErr))

	merged := helperProg(t, "merged", "print", "3")
	merged.RedirectStderr = true
	merged.AutoRestart = RestartNever
	merged.StartSecs = -1
	h.add(merged)
	h.untilState("merged", Exited)
	info, err = h.sv.Status("merged")
	require.NoError(t, err)
	assert.Equal(t, "", info[0].StderrLogfile)
	out, err = os.ReadFile(info[0].StdoutLogfile)
	require.NoError(t, err)
	assert.Equal(t, "out 0\nout 1\nout 2\nerr 3\n", string(out))

	// 8 MiB into NONE: the child never blocks on a full pipe and exits.
	none := helperProg(t, "none", "blast", "8388608")
	none.Stdout.Path, none.Stderr.Path = LogNone, LogNone
	none.AutoRestart = RestartNever
	none.StartSecs = -1
	h.add(none)
	ex := h.untilState("none", Exited)
	assert.True(t, ex.Expected)
}

func TestRealEnvStdinAndRotation(t *testing.T) {
	h := newReal(t)
	h.sv.opts.ServerURL = "unix:///run/sv.sock"
	env := helperProg(t, "envy", "env")
	env.Env = append(env.Env, "HELPER_X=1")
	env.AutoRestart = RestartNever
	env.StartSecs = -1
	h.add(env)
	h.untilState("envy", Exited)
	info, err := h.sv.Status("envy")
	require.NoError(t, err)
	out, err := os.ReadFile(info[0].StdoutLogfile)
	require.NoError(t, err)
	for _, want := range []string{"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=envy", "SUPERVISOR_GROUP_NAME=envy",
		"SUPERVISOR_SERVER_URL=unix:///run/sv.sock", "HELPER_X=1"} {
		assert.Contains(t, string(out), want+"\n")
	}

	echo := helperProg(t, "echo", "echo")
	echo.Stdout.Events = true
	echo.Stdout.Path = filepath.Join(h.dir, "echo.log")
	echo.Stdout.MaxBytes = 10
	echo.Stdout.Backups = 2
	h.add(echo)
	h.untilState("echo", Running)
	require.NoError(t, h.sv.WriteStdin("echo", []byte("hello stdin\n")))
	h.untilOutput("echo", "hello stdin")
	require.NoError(t, h.sv.WriteStdin("echo", []byte("second\n")))
	h.untilOutput("echo", "second")
	b1, err := os.ReadFile(echo.Stdout.Path + ".1")
	require.NoError(t, err)
	assert.Equal(t, "hello stdin\n", string(b1), "rotated after the write that reached MaxBytes")
	cur, err := os.ReadFile(echo.Stdout.Path)
	require.NoError(t, err)
	assert.Equal(t, "second\n", string(cur))
	require.NoError(t, h.sv.ReopenLogs())
	res, err := h.sv.ClearLogs("echo")
	require.NoError(t, err)
	require.Len(t, res, 1)
	require.NoError(t, res[0].Err)
	// supervisord's removelogs: the current file starts empty, the backups stay.
	cur, err = os.ReadFile(echo.Stdout.Path)
	require.NoError(t, err)
	assert.Empty(t, cur)
	b1, err = os.ReadFile(echo.Stdout.Path + ".1")
	require.NoError(t, err)
	assert.Equal(t, "hello stdin\n", string(b1))
	require.NoError(t, h.sv.WriteStdin("echo", []byte("third\n")))
	h.untilOutput("echo", "third")
	testenv.WaitFor(t, "the log after clear", func() bool {
		b, _ := os.ReadFile(echo.Stdout.Path)
		return string(b) == "third\n"
	})
	_, err = h.sv.Stop(context.Background(), "echo", true)
	require.NoError(t, err)
	assert.ErrorIs(t, h.sv.WriteStdin("echo", []byte("x")), ErrNotRunning)
	// Deliberately unlike supervisord (its issue #804: clearProcessLogs does nothing once the
	// process is stopped), a stopped process's log is cleared too.
	res, err = h.sv.ClearLogs("echo")
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	cur, err = os.ReadFile(echo.Stdout.Path)
	require.NoError(t, err)
	assert.Empty(t, cur)
}

// Serve returns only when every child is gone.
func TestRealServeEndsWithEveryChildGone(t *testing.T) {
	h := newReal(t)
	var pids []int
	for _, n := range []string{"a", "b", "c"} {
		p := helperProg(t, n, "ignoreterm")
		p.StopWait = 200 * time.Millisecond
		h.add(p)
		pids = append(pids, h.untilState(n, Running).Pid)
	}
	h.stop()
	for _, pid := range pids {
		ok, err := psprocess.PidExists(int32(pid))
		require.NoError(t, err)
		assert.False(t, ok, "pid %d outlived Serve", pid)
	}
}

// User switches uid, gid and groups and sets HOME, USER and LOGNAME; Umask applies in the child.
func TestRealUserAndUmask(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch user")
	}
	h := newReal(t)
	mask := os.FileMode(0o027)
	p := Program{Name: "who", CommandLine: `/bin/sh -c 'id -un; id -u; echo "$HOME $USER $LOGNAME"; umask'`,
		User: "nobody", Umask: &mask, StartSecs: -1, AutoRestart: RestartNever}
	h.add(p)
	h.untilState("who", Exited)
	info, err := h.sv.Status("who")
	require.NoError(t, err)
	out, err := os.ReadFile(info[0].StdoutLogfile)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 4, "output: %q", out)
	assert.Equal(t, "nobody", lines[0])
	assert.NotEqual(t, "0", lines[1])
	assert.Equal(t, "/nonexistent nobody nobody", lines[2])
	assert.Equal(t, "0027", lines[3])

	bad := Program{Name: "baduser", Command: "/bin/true", User: "no-such-user-xyz", StartRetries: -1}
	h.add(bad)
	h.untilState("baduser", Fatal)
	info, err = h.sv.Status("baduser")
	require.NoError(t, err)
	assert.Equal(t, "can't find user 'no-such-user-xyz'", info[0].SpawnErr)
}

// A child that closed its stdin: the write fails with EPIPE, wrapped with ErrNotRunning (the
// RPC layer turns EPIPE into supervisord's NO_FILE), and the child is left alone.
func TestRealWriteStdinClosed(t *testing.T) {
	h := newReal(t)
	h.add(Program{Name: "deaf", Command: "/bin/sh", Args: []string{"-c", "exec 0<&-; exec sleep 1000"}, StartSecs: -1,
		Stdout: Log{Path: LogNone}, Stderr: Log{Path: LogNone}})
	h.untilState("deaf", Running)
	var err error
	for i := 0; i < 100; i++ { // until the shell has closed its stdin
		if err = h.sv.WriteStdin("deaf", []byte("x\n")); err != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.ErrorIs(t, err, syscall.EPIPE)
	assert.ErrorIs(t, err, ErrNotRunning)
	info, serr := h.sv.Status("deaf")
	require.NoError(t, serr)
	assert.Equal(t, Running, info[0].State)
}

// When the shared poller refuses a pipe, the stream gets its own goroutine: the output is still
// captured whole, and the exit waits for it.
func TestRealOutputWithoutPoller(t *testing.T) {
	old := pollAdd
	pollAdd = func(int, io.Writer, *forkChild) (*pipeStream, error) { return nil, syscall.ENOSPC }
	defer func() { pollAdd = old }()
	h := newReal(t)
	out, errLog := filepath.Join(h.dir, "out.log"), filepath.Join(h.dir, "err.log")
	h.add(Program{Name: "talk", Command: "/bin/sh", Args: []string{"-c", "echo out; echo err >&2; printf partial"},
		StartSecs: -1, AutoRestart: RestartNever, Stdout: Log{Path: out}, Stderr: Log{Path: errLog}})
	h.untilState("talk", Exited)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "out\npartial", string(b))
	b, err = os.ReadFile(errLog)
	require.NoError(t, err)
	assert.Equal(t, "err\n", string(b))
}
