package supervise

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var bg = context.Background()

// Row: STARTING -> RUNNING only once up strictly longer than startsecs.
func TestRowStartingToRunningStrictlyAfterStartSecs(t *testing.T) {
	h := newHarness(t)
	p := quiet("web")
	p.StartSecs = 3 * time.Second
	h.add(p)
	h.expect(Starting)
	assert.Equal(t, 1001, h.seen[len(h.seen)-1].Pid, "the STARTING event names the new pid")
	h.clock.Advance(3 * time.Second)
	assert.Equal(t, Starting, h.status("web").State, "at exactly startsecs still STARTING")
	h.clock.Advance(time.Nanosecond)
	evs := h.expect(Running)
	assert.Equal(t, 1001, evs[0].Pid)
	info := h.status("web")
	assert.Equal(t, "pid 1001, uptime 0:00:03", info.Description())
	assert.Contains(t, h.log.lines(), "INFO success: web entered RUNNING state, process has stayed up for > than 3 seconds (startsecs)")
}

// Row: an early exit goes to BACKOFF and is "not expected" even with an expected code; a
// signal death too.
func TestRowEarlyExitIsBackoffWhateverTheCode(t *testing.T) {
	for _, es := range []ExitStatus{Exit(0), Exit(1), Killed(syscall.SIGSEGV)} {
		h := newHarness(t)
		h.sp.behave = func(_ int, c *fakeChild) { c.exit(es) }
		h.add(quiet("early"))
		evs := h.expect(Starting, Backoff)
		assert.False(t, evs[1].Expected)
		assert.Equal(t, 0, h.status("early").ExitStatus)
		assert.Contains(t, h.log.lines(), "WARN exited: early ("+es.String()+"; not expected)")
		h.cancel()
	}
}

// Row: an exit at exactly startsecs (before the STARTING -> RUNNING step) is
// STARTING -> RUNNING -> EXITED, as supervisord's finish() does.
func TestRowExitAtStartSecsIsRunningThenExited(t *testing.T) {
	h := newHarness(t)
	h.add(quiet("edge"))
	h.expect(Starting)
	h.clock.Advance(time.Second)
	h.sp.kid(1).exit(Exit(0))
	evs := h.expect(Running, Exited)
	assert.True(t, evs[1].Expected)
	assert.Equal(t, 1, h.sp.count())
}

// startsecs=0 disables crash protection: an immediate exit is RUNNING -> EXITED and restarted
// at once, never BACKOFF or FATAL.
func TestRowStartSecsZeroRestartsForever(t *testing.T) {
	h := newHarness(t)
	h.sp.behave = func(n int, c *fakeChild) {
		if n <= 5 {
			c.exit(Exit(1))
		}
	}
	p := quiet("ss0")
	p.StartSecs = -1
	h.add(p)
	for i := 0; i < 5; i++ {
		h.expect(Starting, Running, Exited)
	}
	h.expect(Starting, Running)
	assert.Equal(t, 6, h.sp.count())
	assert.Contains(t, h.log.lines(), "INFO success: ss0 entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)")
}

// Rows: RUNNING -> EXITED, and EXITED -> STARTING only as autorestart says.
func TestRowAutoRestart(t *testing.T) {
	tests := []struct {
		name     string
		auto     AutoRestart
		codes    []int
		exit     ExitStatus
		expected bool
		restart  bool
		spawnErr string
	}{
		{"unexpected-code", RestartUnexpected, nil, Exit(1), false, true, "Bad exit code 1"},
		{"expected-code", RestartUnexpected, []int{0, 2}, Exit(2), true, false, ""},
		{"signal-never-expected", RestartUnexpected, nil, Killed(syscall.SIGKILL), false, true, "Bad exit code -1"},
		{"always-after-0", RestartAlways, nil, Exit(0), true, true, ""},
		{"never-after-1", RestartNever, nil, Exit(1), false, false, "Bad exit code 1"},
		{"empty-exitcodes", RestartUnexpected, []int{}, Exit(0), false, true, "Bad exit code 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			p := quiet("x")
			p.AutoRestart, p.ExitCodes = tt.auto, tt.codes
			h.add(p)
			h.expect(Starting)
			h.clock.Advance(2 * time.Second)
			h.expect(Running)
			h.sp.kid(1).exit(tt.exit)
			evs := h.expect(Exited)
			assert.Equal(t, tt.expected, evs[0].Expected)
			if tt.restart {
				h.expect(Starting)
				assert.Equal(t, 2, h.sp.count())
			} else {
				info := h.status("x")
				assert.Equal(t, Exited, info.State)
				assert.Equal(t, tt.spawnErr, info.SpawnErr)
				assert.Equal(t, tt.exit.Code, info.ExitStatus)
				assert.Equal(t, 1, h.sp.count())
			}
		})
	}
}

// Row: STOPPED -> STARTING by autostart only for a never-started process.
func TestRowAutostartOnlyWhenNeverStarted(t *testing.T) {
	h := newHarness(t)
	off := quiet("manual")
	off.AutoStart = Off
	h.add(off)
	assert.Equal(t, 0, h.sp.count())
	assert.Equal(t, "Not started", h.status("manual").Description())
	_, err := h.sv.Start(bg, "manual", false)
	require.NoError(t, err)
	h.expect(Starting)
	_, err = h.sv.Stop(bg, "manual", true)
	require.NoError(t, err)
	h.expect(Stopping, Stopped)
	h.add(quiet("other")) // a later Add autostarts its own programs only
	h.expect(Starting)
	assert.Equal(t, 2, h.sp.count())
	assert.Equal(t, Stopped, h.status("manual").State)
}

// Rows: STARTING -> BACKOFF for every spawn failure before exec, with supervisord's spawnerr,
// then FATAL; a manual Start reports the NO_FILE / NOT_EXECUTABLE / SPAWN_ERROR class.
func TestRowSpawnFailures(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(plain, []byte("x"), 0o644))
	tests := []struct {
		name     string
		prog     Program
		spawnErr string
		startErr error
		spawner  error
	}{
		{"missing", Program{Command: "/x"}, "can't find command '/x'", ErrNoFile, nil},
		{"missing-in-path", Program{Command: "no-such-cmd-xyz"}, "can't find command 'no-such-cmd-xyz'", ErrNoFile, nil},
		{"directory", Program{Command: dir}, "command at '" + dir + "' is a directory", ErrNotExecutable, nil},
		{"not-executable", Program{Command: plain}, "command at '" + plain + "' is not executable", ErrNotExecutable, nil},
		{"unparsable", Program{CommandLine: `sh -c "echo`}, `can't parse command 'sh -c "echo': No closing quotation`, ErrNotExecutable, nil},
		{"empty", Program{CommandLine: "   "}, "command is empty", ErrNotExecutable, nil},
		{"command-error", Program{CommandError: errors.New("pyenv: version `3.9.99' is not installed (set by /app/.python-version)")},
			"pyenv: version `3.9.99' is not installed (set by /app/.python-version)", ErrNotExecutable, nil},
		{"fork-failed", Program{Command: "/bin/sh"}, "Too many processes in process table to spawn '/bin/sh'", ErrSpawn,
			errors.New("Too many processes in process table to spawn '/bin/sh'")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sp.err = tt.spawner
			p := tt.prog
			p.Name = "bad"
			p.StartRetries = -1 // one attempt
			p.Stdout.Path, p.Stderr.Path = LogNone, LogNone
			h.add(p)
			h.expect(Starting, Backoff, Fatal)
			info := h.status("bad")
			assert.Equal(t, tt.spawnErr, info.SpawnErr)
			assert.Equal(t, tt.spawnErr, info.Description())
			assert.Contains(t, h.log.lines(), "INFO spawnerr: "+tt.spawnErr)
			assert.Contains(t, h.log.lines(), "INFO gave up: bad entered FATAL state, too many start retries too quickly")
			res, err := h.sv.Start(bg, "bad", true)
			require.ErrorIs(t, err, tt.startErr)
			var pe *ProcessError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "bad", pe.Name)
			require.Len(t, res, 1)
			assert.Equal(t, err, res[0].Err)
		})
	}
}

// Rows: BACKOFF -> STOPPED on stop without a signal; the backoff count is not reset, so the
// next manual start continues it; spawn clears spawnerr.
func TestRowStopInBackoffAndCountKept(t *testing.T) {
	h := newHarness(t)
	h.sp.behave = exitAtOnce(1)
	p := quiet("flap")
	p.AutoStart = Off
	h.add(p)
	_, err := h.sv.Start(bg, "flap", false)
	require.NoError(t, err)
	evs := h.expect(Starting, Backoff)
	assert.Equal(t, 1, evs[1].Tries)
	_, err = h.sv.Stop(bg, "flap", false)
	require.NoError(t, err)
	h.expect(Stopped)
	assert.Empty(t, h.sp.kid(1).sigs())
	assert.Contains(t, h.log.lines(), "DEBG Attempted to kill flap, which is in BACKOFF state.")
	assert.Equal(t, 0, h.clock.pending(), "no retry timer once STOPPED")
	_, err = h.sv.Start(bg, "flap", false)
	require.NoError(t, err)
	evs = h.expect(Starting, Backoff)
	assert.Equal(t, 2, evs[1].Tries, "backoff continues after a manual start")
	h.clock.Advance(2 * time.Second)
	h.expect(Starting, Backoff)
	h.clock.Advance(3 * time.Second)
	h.expect(Starting, Backoff, Fatal)
	assert.Equal(t, 4, h.sp.count())
}

// Row: STOPPING -> STOPPED with INFO when the exit status is expected, WARN otherwise.
func TestRowStoppedLogLevel(t *testing.T) {
	h := newHarness(t)
	h.add(quiet("polite"))
	h.expect(Starting)
	kid := h.sp.kid(1)
	kid.mu.Lock()
	kid.onSignal = func(c *fakeChild, sig syscall.Signal) { c.exit(Exit(0)) }
	kid.mu.Unlock()
	_, err := h.sv.Stop(bg, "polite", true)
	require.NoError(t, err)
	h.expect(Stopping, Stopped)
	assert.Contains(t, h.log.lines(), "INFO stopped: polite (exit status 0)")
	assert.Equal(t, 0, h.status("polite").ExitStatus)
}

// Row: any -> UNKNOWN when signalling fails with something other than ESRCH; a start of an
// UNKNOWN process is refused with ErrFailed.
func TestRowUnknownOnKillFailure(t *testing.T) {
	h := newHarness(t)
	h.add(quiet("stuck"))
	h.expect(Starting)
	kid := h.sp.kid(1)
	kid.mu.Lock()
	kid.sigErr = syscall.EPERM
	kid.mu.Unlock()
	_, err := h.sv.Stop(bg, "stuck", false)
	require.ErrorIs(t, err, ErrFailed)
	h.expect(Stopping, Unknown)
	_, err = h.sv.Start(bg, "stuck", false)
	require.ErrorIs(t, err, ErrFailed)
	kid.exit(Killed(syscall.SIGKILL)) // let Serve end
}

// What start, stop and signal refuse, per state (supervisord's RPC checks).
func TestRefusals(t *testing.T) {
	h := newHarness(t)
	p := quiet("p")
	p.AutoStart = Off
	h.add(p)
	_, err := h.sv.Stop(bg, "p", false)
	assert.ErrorIs(t, err, ErrNotRunning)
	_, err = h.sv.Signal(bg, "p", syscall.SIGHUP)
	assert.ErrorIs(t, err, ErrNotRunning)
	_, err = h.sv.Start(bg, "p", false)
	require.NoError(t, err)
	_, err = h.sv.Start(bg, "p", false)
	assert.ErrorIs(t, err, ErrAlreadyStarted)
	_, err = h.sv.Signal(bg, "p", syscall.SIGHUP)
	require.NoError(t, err)
	_, err = h.sv.Signal(bg, "p", syscall.Signal(99))
	assert.ErrorIs(t, err, ErrBadSignal)
	_, err = h.sv.Start(bg, "nosuch", false)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = h.sv.Start(bg, "p:nosuch", false)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, h.sv.WriteStdin("nosuch", nil), ErrNotFound)
}

// Start with wait: RUNNING gives success; a quick exit gives ErrSpawn.
func TestStartWait(t *testing.T) {
	h := newHarness(t)
	ok := quiet("ok")
	ok.AutoStart = Off
	h.add(ok)
	done := make(chan error, 1)
	go func() {
		_, err := h.sv.Start(bg, "ok", true)
		done <- err
	}()
	h.expect(Starting)
	h.clock.Advance(time.Second + time.Nanosecond)
	require.NoError(t, <-done)

	h.sp.behave = exitAtOnce(3)
	bad := quiet("bad")
	bad.AutoStart = Off
	h.add(bad)
	_, err := h.sv.Start(bg, "bad", true)
	require.ErrorIs(t, err, ErrSpawn)
	var pe *ProcessError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "Exited too quickly (process log may have details)", pe.Detail)

	ctx, cancel := context.WithCancel(bg)
	cancel()
	h.sp.behave = nil
	slow := quiet("slow")
	slow.AutoStart = Off
	h.add(slow)
	_, err = h.sv.Start(ctx, "slow", true)
	assert.ErrorIs(t, err, context.Canceled)
}

// The child's environment: the supervisor's, SUPERVISOR_*, then the program's Env (later wins).
func TestChildEnvironment(t *testing.T) {
	h := newHarness(t)
	h.sv.opts.ServerURL = "unix:///tmp/sv.sock"
	p := quiet("envy")
	p.Env = []string{"PATH=/opt/bin", "A=1", "A=2"}
	p.Dir = "/tmp"
	require.NoError(t, h.sv.Add(bg, Group{Name: "grp", Programs: []Program{p}}))
	h.expect(Starting)
	cmd := h.sp.kid(1).cmd
	assert.Equal(t, []string{"PATH=/opt/bin", "SUPERVISOR_ENABLED=1", "SUPERVISOR_SERVER_URL=unix:///tmp/sv.sock",
		"SUPERVISOR_PROCESS_NAME=envy", "SUPERVISOR_GROUP_NAME=grp", "A=2"}, cmd.Env)
	assert.Equal(t, "/tmp", cmd.Dir)
	assert.Equal(t, []string{"/bin/sh"}, cmd.Args)
}

// Specs: group:*, group:, all, group:name; group operations filter as supervisord's.
func TestSpecsAndGroupFilters(t *testing.T) {
	h := newHarness(t)
	a, b, c := quiet("a"), quiet("b"), quiet("c")
	c.AutoStart = Off
	a.Priority, b.Priority = 2, 1
	require.NoError(t, h.sv.Add(bg, Group{Name: "g", Programs: []Program{a, b, c}}))
	h.expect(Starting, Starting)
	res, err := h.sv.Start(bg, "g:*", false)
	require.NoError(t, err)
	require.Len(t, res, 1, "only the process not running is started")
	assert.Equal(t, "c", res[0].Name)
	h.expect(Starting)
	res, err = h.sv.Stop(bg, "g:", true)
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "b", "a"}, names(res), "ascending priority (c has 0)")
	res, err = h.sv.Stop(bg, "all", false)
	require.NoError(t, err)
	assert.Empty(t, res)
	infos, err := h.sv.Status("")
	require.NoError(t, err)
	require.Len(t, infos, 3)
	assert.Equal(t, "g:a", infos[0].Namespec())
	_, err = h.sv.Status("g:b")
	require.NoError(t, err)
	_, err = h.sv.Status("zz:*")
	assert.ErrorIs(t, err, ErrNotFound)
}

func names(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

// Remove refuses a running group; Update adds, changes and removes like supervisorctl update.
func TestRemoveAndUpdate(t *testing.T) {
	h := newHarness(t)
	h.add(quiet("keep"))
	h.add(quiet("gone"))
	h.add(quiet("chg"))
	h.expect(Starting, Starting, Starting)
	err := h.sv.Remove(bg, "gone")
	assert.ErrorIs(t, err, ErrStillRunning)
	assert.ErrorIs(t, h.sv.Remove(bg, "nosuch"), ErrNotFound)
	chg := quiet("chg")
	chg.StartSecs = 5 * time.Second
	added, changed, removed, err := h.sv.Update(bg, []Group{
		{Name: "keep", Programs: []Program{quiet("keep")}},
		{Name: "chg", Programs: []Program{chg}},
		{Name: "new", Programs: []Program{quiet("new")}},
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"new"}, added)
	assert.Equal(t, []string{"chg"}, changed)
	assert.Equal(t, []string{"gone"}, removed)
	var gs []string
	for _, g := range h.sv.Groups() {
		gs = append(gs, g.Name)
	}
	assert.Equal(t, []string{"keep", "chg", "new"}, gs)
	assert.Equal(t, 5*time.Second, h.sv.Groups()[1].Programs[0].StartSecs)
	assert.Equal(t, 5, h.sp.count(), "chg restarted, new started, keep untouched")

	// A Remove with an ended ctx still ends the group's goroutines (Serve's end checks it).
	_, err = h.sv.Stop(bg, "keep", true)
	require.NoError(t, err)
	done, cancel := context.WithCancel(bg)
	cancel()
	require.NoError(t, h.sv.Remove(done, "keep"))
	h.cancel()
}

// Shutdown stops groups in descending priority, one priority at a time; BACKOFF goes to FATAL.
func TestShutdownOrder(t *testing.T) {
	h := newHarness(t)
	for _, g := range []struct {
		name string
		prio int
	}{{"low", 100}, {"high", 300}, {"mid", 200}, {"mid2", 200}} {
		require.NoError(t, h.sv.Add(bg, Group{Name: g.name, Priority: g.prio, Programs: []Program{quiet(g.name)}}))
	}
	h.expect(Starting, Starting, Starting, Starting)
	h.sp.behave = exitAtOnce(1)
	flap := quiet("flap")
	require.NoError(t, h.sv.Add(bg, Group{Name: "flap", Priority: 50, Programs: []Program{flap}}))
	h.expect(Starting, Backoff)
	h.cancel()
	var order []string
	for {
		select {
		case e, ok := <-h.events:
			if !ok {
				goto done
			}
			if e.Kind == EventState && (e.To == Stopping || e.To == Fatal) {
				order = append(order, e.Name)
			}
		case <-time.After(time.Second):
			goto done
		}
	}
done:
	require.Len(t, order, 5)
	assert.Equal(t, "high", order[0])
	assert.ElementsMatch(t, []string{"mid", "mid2"}, order[1:3])
	assert.Equal(t, []string{"low", "flap"}, order[3:])
	assert.Equal(t, SupervisorShutdown, h.sv.State())
	_, err := h.sv.Start(bg, "low", false)
	assert.ErrorIs(t, err, ErrShutdown)
}

// An idle supervisor makes no clock calls and holds no timer: nothing wakes while nothing
// changes.
func TestIdleMakesNoWakeups(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 20; i++ {
		h.add(quiet("idle" + strings.Repeat("x", i)))
	}
	for i := 0; i < 20; i++ {
		h.expect(Starting)
	}
	h.clock.Advance(2 * time.Second)
	for i := 0; i < 20; i++ {
		h.expect(Running)
	}
	before := h.clock.callCount()
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, before, h.clock.callCount(), "no clock calls while idle")
	assert.Equal(t, 0, h.clock.pending(), "no timer armed while idle")
}

// A slow subscriber loses events without blocking the engine and is told how many.
func TestSlowSubscriberIsToldWhatItLost(t *testing.T) {
	h := newHarness(t)
	slow, cancel := h.sv.Subscribe(1)
	defer cancel()
	h.sp.behave = exitAtOnce(1)
	h.add(quiet("busy"))
	h.expect(Starting, Backoff)
	h.clock.Advance(time.Second)
	h.expect(Starting, Backoff)
	// A round trip through the process goroutine: its earlier events are published to every
	// subscriber (h.events may have been served before slow).
	_, err := h.sv.Signal(bg, "busy", syscall.SIGUSR1)
	require.ErrorIs(t, err, ErrNotRunning)
	first := <-slow
	assert.Equal(t, EventGroupAdded, first.Kind)
	assert.Equal(t, 0, first.Dropped)
	h.clock.Advance(2 * time.Second)
	h.expect(Starting, Backoff)
	second := <-slow
	assert.Equal(t, Starting, second.To)
	assert.Equal(t, 4, second.Dropped, "Starting, Backoff, Starting, Backoff were lost")
}

// Row: FATAL -> STARTING by a manual start; give_up reset the count, spawn clears spawnerr.
func TestRowStartFromFatal(t *testing.T) {
	h := newHarness(t)
	h.sp.behave = exitAtOnce(1)
	p := quiet("phoenix")
	p.StartRetries = -1
	h.add(p)
	h.expect(Starting, Backoff, Fatal)
	assert.NotEmpty(t, h.status("phoenix").SpawnErr)
	h.sp.mu.Lock()
	h.sp.behave = nil
	h.sp.mu.Unlock()
	_, err := h.sv.Start(bg, "phoenix", false)
	require.NoError(t, err)
	evs := h.expect(Starting)
	assert.Equal(t, Fatal, evs[0].From)
	assert.Equal(t, 0, evs[0].Tries, "give_up reset the backoff count")
	assert.Equal(t, "", h.status("phoenix").SpawnErr)
	h.clock.Advance(time.Second + time.Nanosecond)
	h.expect(Running)
}
