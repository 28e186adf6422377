package supervise

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/linux2632"
	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// escapedChild runs the "escape" helper as name and returns the identity of the grandchild it
// started in its own session.
func escapedChild(t *testing.T, h *realHarness, name string) proctree.ID {
	t.Helper()
	p := helperProg(t, name, "escape")
	p.StartSecs = -1
	p.Stdout.Events = true
	h.add(p)
	var out strings.Builder
	h.until(name, func(e Event) bool {
		out.Write(e.Data)
		return strings.HasSuffix(out.String(), "\n")
	})
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	require.NoError(t, err, "helper output %q", out.String())
	id, err := proctree.Identify(pid)
	require.NoError(t, err)
	require.True(t, id.Alive())
	return id
}

// A grandchild that left its program's process group (setsid) is ended when its program is
// stopped, with or without a child subreaper: the token in its environment names it.
func TestRealEscapedChildEndedAtStop(t *testing.T) {
	h := newReal(t)
	id := escapedChild(t, h, "escaper")
	res, err := h.sv.Stop(context.Background(), "escaper", true)
	require.NoError(t, err)
	require.NoError(t, res[0].Err)
	deadline := time.Now().Add(20 * time.Second)
	for id.Alive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.False(t, id.Alive(), "the escaped grandchild %d outlived its program's stop", id.Pid)
	require.Eventually(t, func() bool {
		return containsPrefix(h.log.lines(), "INFO cleaned up: escaper's 1 processes outside its process group")
	}, 20*time.Second, 10*time.Millisecond)
	assert.True(t, containsPrefix(h.log.lines(), "WARN stopped: escaper left 1 processes outside its process group: "+
		strconv.Itoa(id.Pid)+"; ending them with SIGTERM"), "log:\n%s", strings.Join(h.log.lines(), "\n"))
}

// Stopping many programs at once, their look-ups for escaped processes share /proc scans
// (markedShared): each program still finds and ends its own grandchild, and no other, before
// the waiting StopAll returns.
func TestRealEscapedChildrenOfManyEndedAtStopAll(t *testing.T) {
	h := newReal(t)
	const n = 12
	ids := make([]proctree.ID, n)
	for i := range ids {
		ids[i] = escapedChild(t, h, fmt.Sprintf("escaper%02d", i))
	}
	for _, r := range h.sv.StopAll(context.Background(), true) {
		require.NoError(t, r.Err, r.Name)
	}
	lines := h.log.lines()
	for i, id := range ids {
		assert.False(t, id.Alive(), "the escaped grandchild %d of escaper%02d outlived StopAll", id.Pid, i)
		assert.True(t, containsPrefix(lines, fmt.Sprintf("WARN stopped: escaper%02d left 1 processes outside its process group: %d; ending them with SIGTERM", i, id.Pid)),
			"escaper%02d; log:\n%s", i, strings.Join(lines, "\n"))
	}
}

// A grandchild that escaped from a program still running at shutdown is ended before Serve
// returns.
func TestRealEscapedChildEndedAtShutdown(t *testing.T) {
	h := newReal(t)
	id := escapedChild(t, h, "escaper")
	h.stop()
	assert.False(t, id.Alive(), "the escaped grandchild %d outlived Serve", id.Pid)
}

// Each Supervisor has its own token, and only children of the real Spawner carry one.
func TestTokenPerSupervisor(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	assert.Len(t, a.token, 32)
	assert.NotEqual(t, a.token, b.token)
	assert.Empty(t, New(Options{Spawner: &fakeSpawner{}}).token)
}

// The probe agrees with the profile the tests run under: under linux2632-exec the subreaper
// and the pipe sizes are missing, and Serve says so once each at WARN; on this kernel without
// the profile nothing is missing.
func TestKernelFeatures(t *testing.T) {
	all := KernelFeatures()
	require.Len(t, all, 2)
	h := newReal(t)
	missing := h.sv.MissingKernelFeatures()
	if !linux2632.Expected() {
		assert.Empty(t, missing, "a kernel older than 3.4 runs these tests without the profile?")
		assert.False(t, containsPrefix(h.log.lines(), "WARN kernel:"))
		return
	}
	require.Len(t, missing, 2)
	assert.Equal(t, "PR_SET_CHILD_SUBREAPER", missing[0].Name)
	assert.Equal(t, "F_SETPIPE_SZ", missing[1].Name)
	lines := h.log.lines()
	for _, f := range missing {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "WARN kernel: "+f.Name+" (Linux "+f.Since+") missing: ") {
				n++
			}
		}
		assert.Equal(t, 1, n, "one WARN for %s; log:\n%s", f.Name, strings.Join(lines, "\n"))
	}
}
