package supervise

import (
	"context"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func exitAtOnce(code int) func(int, *fakeChild) {
	return func(_ int, c *fakeChild) { c.exit(Exit(code)) }
}

func gaps(ts []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(ts); i++ {
		out = append(out, ts[i].Sub(ts[i-1]))
	}
	return out
}

// Trace 2(a): exit 1 at once, startsecs=1, startretries=3: 4 spawns 1 s, 2 s, 3 s apart, then
// FATAL "too many start retries too quickly", with supervisord's log lines.
func TestTraceA_ExitAtOnceGivesUpAfterFourSpawns(t *testing.T) {
	h := newHarness(t)
	h.sp.behave = exitAtOnce(1)
	h.add(quiet("exit1"))
	evs := h.expect(Starting, Backoff)
	assert.Equal(t, 1, evs[1].Tries)
	assert.False(t, evs[1].Expected)
	info := h.status("exit1")
	assert.Equal(t, "Exited too quickly (process log may have details)", info.SpawnErr)
	assert.Equal(t, "Exited too quickly (process log may have details)", info.Description())
	assert.Equal(t, 0, info.ExitStatus)
	for n := 1; n <= 3; n++ {
		h.clock.Advance(time.Duration(n)*time.Second - time.Nanosecond)
		assert.Equal(t, n, h.sp.count(), "no retry before %d s", n)
		h.clock.Advance(time.Nanosecond)
		if n < 3 {
			h.expect(Starting, Backoff)
		} else {
			h.expect(Starting, Backoff, Fatal)
		}
	}
	assert.Equal(t, 4, h.sp.count())
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, gaps(h.sp.times()))
	info = h.status("exit1")
	assert.Equal(t, Fatal, info.State)
	assert.Equal(t, "Exited too quickly (process log may have details)", info.Description())
	assert.Equal(t, 0, h.clock.pending(), "no timer left once FATAL")
	want := []string{
		"INFO spawned: 'exit1' with pid 1001",
		"WARN exited: exit1 (exit status 1; not expected)",
		"INFO spawned: 'exit1' with pid 1002",
		"WARN exited: exit1 (exit status 1; not expected)",
		"INFO spawned: 'exit1' with pid 1003",
		"WARN exited: exit1 (exit status 1; not expected)",
		"INFO spawned: 'exit1' with pid 1004",
		"WARN exited: exit1 (exit status 1; not expected)",
		"INFO gave up: exit1 entered FATAL state, too many start retries too quickly",
	}
	assert.Equal(t, want, h.log.lines())
}

// Trace 2(b): runs 2 s then exits 1 with autorestart=unexpected: RUNNING -> EXITED and an
// immediate restart, forever, the backoff count reset each time.
func TestTraceB_UnexpectedExitAfterRunningRestartsAtOnce(t *testing.T) {
	h := newHarness(t)
	h.add(quiet("run2"))
	for i := 1; i <= 3; i++ {
		h.expect(Starting)
		h.clock.Advance(time.Second + time.Nanosecond)
		h.expect(Running)
		h.clock.Advance(time.Second)
		h.sp.kid(i).exit(Exit(1))
		evs := h.expect(Exited)
		assert.False(t, evs[0].Expected)
	}
	h.expect(Starting)
	ts := h.sp.times()
	require.Len(t, ts, 4)
	for _, g := range gaps(ts) {
		assert.Equal(t, 2*time.Second+time.Nanosecond, g, "respawned at the instant of the exit")
	}
	assert.Contains(t, h.log.lines(), "INFO success: run2 entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)")
	assert.Contains(t, h.log.lines(), "WARN exited: run2 (exit status 1; not expected)")
}

// Trace 2(c): exit 0 after RUNNING: EXITED, expected, not restarted.
func TestTraceC_ExpectedExitIsNotRestarted(t *testing.T) {
	h := newHarness(t)
	h.add(quiet("run2"))
	h.expect(Starting)
	h.clock.Advance(2 * time.Second)
	h.expect(Running)
	h.sp.kid(1).exit(Exit(0))
	evs := h.expect(Exited)
	assert.True(t, evs[0].Expected)
	info := h.status("run2")
	assert.Equal(t, Exited, info.State)
	assert.Equal(t, 0, info.ExitStatus)
	assert.Equal(t, "", info.SpawnErr)
	assert.Equal(t, 1, h.sp.count())
	assert.Equal(t, 0, h.clock.pending())
	assert.Contains(t, h.log.lines(), "INFO exited: run2 (exit status 0; expected)")
}

// Trace 2(d): a TERM-ignoring child with stopwaitsecs=2 gets SIGKILL at exactly 2 s, and
// again every 2 s while it survives.
func TestTraceD_SigkillAfterStopWait(t *testing.T) {
	h := newHarness(t)
	p := quiet("noterm")
	p.StopWait = 2 * time.Second
	h.add(p)
	h.expect(Starting)
	h.clock.Advance(2 * time.Second)
	h.expect(Running)
	kid := h.sp.kid(1)
	var survive atomic.Bool
	survive.Store(true)
	kid.mu.Lock()
	kid.onSignal = func(c *fakeChild, sig syscall.Signal) {
		if sig == syscall.SIGKILL && !survive.Load() {
			c.exit(Killed(sig))
		}
	}
	kid.mu.Unlock()
	t0 := h.clock.Now()
	_, err := h.sv.Stop(context.Background(), "noterm", false)
	require.NoError(t, err)
	h.expect(Stopping)
	h.clock.Advance(2*time.Second - time.Nanosecond)
	assert.Len(t, kid.sigs(), 1, "only SIGTERM before 2 s")
	h.clock.Advance(time.Nanosecond)
	testenv.WaitFor(t, "len(kid.sigs()) == 2", func() bool { return len(kid.sigs()) == 2 })
	h.clock.Advance(2 * time.Second) // re-sent every stopwaitsecs
	testenv.WaitFor(t, "len(kid.sigs()) == 3", func() bool { return len(kid.sigs()) == 3 })
	survive.Store(false)
	h.clock.Advance(2 * time.Second)
	h.expect(Stopped)
	sigs := kid.sigs()
	require.Len(t, sigs, 4)
	assert.Equal(t, syscall.SIGTERM, sigs[0].sig)
	assert.Equal(t, t0, sigs[0].at)
	for i, at := range []time.Duration{2, 4, 6} {
		assert.Equal(t, syscall.SIGKILL, sigs[i+1].sig)
		assert.Equal(t, at*time.Second, sigs[i+1].at.Sub(t0))
		assert.False(t, sigs[i+1].group)
	}
	info := h.status("noterm")
	assert.Equal(t, Stopped, info.State)
	assert.Equal(t, -1, info.ExitStatus)
	lines := h.log.lines()
	assert.Contains(t, lines, "DEBG killing noterm (pid 1001) with signal SIGTERM")
	assert.Contains(t, lines, "WARN killing 'noterm' (1001) with SIGKILL")
	assert.Contains(t, lines, "DEBG killing noterm (pid 1001) with signal SIGKILL")
	assert.Equal(t, "WARN stopped: noterm (terminated by SIGKILL)", lines[len(lines)-1])
}

// Trace 2(e): stopasgroup signals the process group (-pid); without it only the pid. (The
// real-process test checks that no descendant survives.)
func TestTraceE_StopAsGroupSignalsTheGroup(t *testing.T) {
	for _, group := range []bool{false, true} {
		h := newHarness(t)
		p := quiet("forker")
		p.StopAsGroup = group
		h.add(p)
		h.expect(Starting)
		_, err := h.sv.Stop(context.Background(), "forker", true)
		require.NoError(t, err)
		sigs := h.sp.kid(1).sigs()
		require.Len(t, sigs, 1)
		assert.Equal(t, group, sigs[0].group)
		if group {
			assert.Contains(t, h.log.lines(), "DEBG killing forker (pid 1001) process group with signal SIGTERM")
		}
		assert.Contains(t, h.log.lines(), "WARN stopped: forker (terminated by SIGTERM)")
		h.cancel()
	}
}
