package supervise

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FatalRetry on the fake clock: FATAL for exactly FatalRetry, then a new round of
// StartRetries+1 attempts; the description counts down; a stop cancels the pending retry.
func TestFatalRetryFreshRound(t *testing.T) {
	h := newHarness(t)
	h.sp.behave = exitAtOnce(1)
	p := quiet("r")
	p.StartRetries = 1
	p.FatalRetry = 5 * time.Minute
	h.add(p)
	round := func() time.Time {
		h.expect(Starting, Backoff)
		h.clock.Advance(time.Second)
		h.expect(Starting, Backoff, Fatal)
		return h.clock.Now()
	}
	fatalAt := round()
	require.Equal(t, 2, h.sp.count())
	info := h.status("r")
	assert.Equal(t, fatalAt.Add(5*time.Minute), info.RetryAt)
	assert.Equal(t, "Exited too quickly (process log may have details); retry in 5m0s", info.Description())
	h.clock.Advance(time.Second)
	assert.Equal(t, "Exited too quickly (process log may have details); retry in 4m59s", h.status("r").Description())
	h.clock.Advance(5*time.Minute - 2*time.Second)
	assert.Equal(t, 2, h.sp.count(), "still FATAL one second before the retry")
	assert.Equal(t, "Exited too quickly (process log may have details); retry in 1s", h.status("r").Description())
	h.clock.Advance(time.Second)
	again := round()
	require.Equal(t, 4, h.sp.count(), "a new round of StartRetries+1 = 2 attempts")
	assert.Equal(t, fatalAt.Add(5*time.Minute), h.sp.times()[2], "the retry comes exactly FatalRetry after FATAL")
	assert.Contains(t, h.log.lines(), "INFO retrying: r left FATAL after 5m0s, new round of 2 start attempts")
	assert.Equal(t, again.Add(5*time.Minute), h.status("r").RetryAt, "and again after the next FATAL")

	// A manual stop cancels the pending retry (the stop itself answers NOT_RUNNING, as supervisord).
	_, err := h.sv.Stop(bg, "r", false)
	assert.ErrorIs(t, err, ErrNotRunning)
	info = h.status("r")
	assert.True(t, info.RetryAt.IsZero())
	assert.Equal(t, "Exited too quickly (process log may have details)", info.Description())
	assert.Equal(t, 0, h.clock.pending(), "no timer left")
	h.clock.Advance(time.Hour)
	assert.Equal(t, 4, h.sp.count())
	assert.Contains(t, h.log.lines(), "INFO stopped: r will stay FATAL (retry cancelled)")
}

// Without FatalRetry (supervisord), FATAL arms no timer and stays FATAL; a manual start from
// a FATAL with a pending retry cancels that retry.
func TestFatalRetryOffAndManualStart(t *testing.T) {
	h := newHarness(t)
	h.sp.behave = exitAtOnce(1)
	off := quiet("off")
	off.StartRetries = -1
	h.add(off)
	h.expect(Starting, Backoff, Fatal)
	assert.Equal(t, 0, h.clock.pending())
	assert.True(t, h.status("off").RetryAt.IsZero())

	on := quiet("on")
	on.StartRetries = -1
	on.FatalRetry = time.Minute
	h.add(on)
	h.expect(Starting, Backoff, Fatal)
	require.False(t, h.status("on").RetryAt.IsZero())
	h.sp.behave = nil
	_, err := h.sv.Start(bg, "on", false)
	require.NoError(t, err)
	h.expect(Starting)
	assert.True(t, h.status("on").RetryAt.IsZero())
	h.clock.Advance(2 * time.Second)
	h.expect(Running)
	h.clock.Advance(time.Minute)
	assert.Equal(t, 3, h.sp.count(), "no retry spawn after the manual start")
}

// With a real program that always fails: FATAL, then after FatalRetry a new round.
func TestRealFatalRetry(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "quick", "exit", "1")
	p.StartRetries = -1
	p.FatalRetry = 200 * time.Millisecond
	// The child exits at once; a start counts as failed only if that happens within startsecs,
	// so startsecs must outlast a loaded machine's exec of the (race-built) test binary.
	p.StartSecs = 3 * time.Second
	h.add(p)
	first := h.untilState("quick", Fatal)
	h.untilState("quick", Starting)
	second := h.untilState("quick", Fatal)
	assert.GreaterOrEqual(t, second.Time.Sub(first.Time), 200*time.Millisecond)
	_, err := h.sv.Stop(bg, "quick", false)
	assert.ErrorIs(t, err, ErrNotRunning)
	lines := strings.Join(h.log.lines(), "\n")
	assert.Contains(t, lines, "INFO retrying: quick left FATAL after 200ms, new round of 1 start attempts")
}
