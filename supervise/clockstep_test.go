package supervise

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Step moves the wall clock by d (back when negative) without firing anything: the armed
// timers keep the time they had left, as Go's timers (monotonic) do when the system clock is
// set.
func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		t.at = t.at.Add(d)
	}
}

// The wall clock set back and forward by an hour while a process is STARTING, in BACKOFF,
// RUNNING and FATAL with a retry pending: each wait still ends after its own length (the
// timers are monotonic; the process's deadlines move back with the clock), never an hour
// later or at once; the uptime is never negative, and "retry in" never exceeds FatalRetry.
func TestClockStep(t *testing.T) {
	for _, step := range []time.Duration{-time.Hour, time.Hour} {
		t.Run(step.String(), func(t *testing.T) {
			t.Run("starting", func(t *testing.T) {
				h := newHarness(t)
				p := quiet("s")
				p.StartSecs = 10 * time.Second
				h.add(p)
				h.expect(Starting)
				h.clock.Advance(3 * time.Second)
				h.clock.Step(step)
				h.clock.Advance(7*time.Second - time.Millisecond)
				assert.Equal(t, Starting, h.status("s").State)
				h.clock.Advance(2 * time.Millisecond) // strictly longer than startsecs
				h.expect(Running)
				if step < 0 {
					// Forward, a Clock without monotonic readings (this fake) cannot tell the
					// step from time passing; the real clock's uptime is monotonic
					// (ProcessInfo.Description).
					assert.Regexp(t, `^pid \d+, uptime 0:00:\d\d$`, h.status("s").Description())
				}
			})
			t.Run("backoff", func(t *testing.T) {
				h := newHarness(t)
				h.sp.behave = exitAtOnce(1)
				p := quiet("b")
				p.StartRetries = 5
				h.add(p)
				h.expect(Starting, Backoff)
				h.clock.Advance(time.Second)
				h.expect(Starting, Backoff) // the next backoff is 2 s
				h.clock.Step(step)
				h.clock.Advance(time.Second)
				assert.Equal(t, 2, h.sp.count())
				h.clock.Advance(time.Second)
				h.expect(Starting, Backoff)
				assert.Equal(t, 3, h.sp.count(), "the backoff ended after its 2 s")
			})
			t.Run("running", func(t *testing.T) {
				h := newHarness(t)
				h.add(quiet("r"))
				h.expect(Starting)
				h.clock.Advance(2 * time.Second)
				h.expect(Running)
				h.clock.Advance(time.Minute)
				h.clock.Step(step)
				assert.Regexp(t, `^pid \d+, uptime \d+:\d\d:\d\d$`, h.status("r").Description(), "never negative")
			})
			t.Run("fatal", func(t *testing.T) {
				h := newHarness(t)
				h.sp.behave = exitAtOnce(1)
				p := quiet("f")
				p.StartRetries = -1
				p.FatalRetry = 5 * time.Minute
				h.add(p)
				h.expect(Starting, Backoff, Fatal)
				h.clock.Advance(time.Minute)
				h.clock.Step(step)
				d := h.status("f").Description()
				i := strings.Index(d, "retry in ")
				require.GreaterOrEqual(t, i, 0, d)
				left, err := time.ParseDuration(d[i+len("retry in "):])
				require.NoError(t, err)
				assert.LessOrEqual(t, left, 5*time.Minute, d)
				h.clock.Advance(4*time.Minute - time.Millisecond)
				assert.Equal(t, 1, h.sp.count(), "no retry before FatalRetry")
				h.clock.Advance(time.Millisecond)
				h.expect(Starting, Backoff, Fatal)
				assert.Equal(t, 2, h.sp.count(), "the retry came after FatalRetry")
				d = h.status("f").Description()
				assert.True(t, strings.HasSuffix(d, "retry in 5m0s"), d)
			})
		})
	}
}

// Uptime counts whole seconds as supervisord does (int(now) - int(start)), from the time
// elapsed: equal to the wall difference when both times come from the wall clock.
func TestUptimeWholeSeconds(t *testing.T) {
	start := time.Date(2026, 11, 25, 23, 0, 0, 900e6, time.UTC)
	for _, c := range []struct {
		after time.Duration
		want  string
	}{{200 * time.Millisecond, "0:00:01"}, {50 * time.Millisecond, "0:00:00"}, {time.Hour + 100*time.Millisecond, "1:00:01"}, {-time.Hour, "0:00:00"}} {
		i := ProcessInfo{State: Running, Pid: 7, Start: start, Now: start.Add(c.after)}
		assert.Equal(t, "pid 7, uptime "+c.want, i.Description(), "%s", c.after)
	}
}
