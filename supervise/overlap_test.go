package supervise

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// alive reports whether pid is a process that is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func TestRealDeployOverlap(t *testing.T) {
	h := newReal(t)
	addr := testenv.FreeAddr(t)
	h.add(heldProg(t, "web", Socket{Network: "tcp", Address: addr}))
	old := h.untilState("web", Running).Pid

	res, err := h.sv.Deploy(context.Background(), "web")
	require.NoError(t, err)
	assert.Equal(t, DeployResult{Name: "web", OldPid: old, NewPid: pidOf(t, h.sv, "web"), Overlap: true}, res)
	assert.NotEqual(t, old, res.NewPid)
	assert.False(t, alive(old), "the old process has exited when Deploy returns")
	assert.True(t, strings.HasPrefix(ask(t, "tcp", addr), "pid "+strconv.Itoa(res.NewPid)+" "))

	// The old one was stopped only after the new one was RUNNING.
	lines := h.log.lines()
	spawned := indexOf(lines, "INFO spawned: 'web' with pid "+strconv.Itoa(res.NewPid), 0)
	require.GreaterOrEqual(t, spawned, 0, strings.Join(lines, "\n"))
	running := indexOf(lines, "INFO success: web entered RUNNING", spawned)
	stopping := indexOf(lines, "INFO overlap: stopping 'web' pid "+strconv.Itoa(old), 0)
	require.GreaterOrEqual(t, running, 0, strings.Join(lines, "\n"))
	assert.Less(t, running, stopping, strings.Join(lines, "\n"))

	// Restart with RestartOverlap does the same.
	p := heldProg(t, "web2", Socket{Network: "tcp", Address: testenv.FreeAddr(t)})
	p.RestartMode = RestartOverlap
	h.add(p)
	old = h.untilState("web2", Running).Pid
	rs, err := h.sv.Restart(context.Background(), "web2")
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.NoError(t, rs[0].Err)
	assert.Contains(t, strings.Join(h.log.lines(), "\n"), "overlap: stopping 'web2' pid "+strconv.Itoa(old))
	assert.False(t, alive(old))
}

func TestRealDeployFallbackAndFailure(t *testing.T) {
	h := newReal(t)
	// Without held sockets: stop-then-start.
	plain := helperProg(t, "plain", "sleep")
	h.add(plain)
	old := h.untilState("plain", Running).Pid
	res, err := h.sv.Deploy(context.Background(), "plain")
	require.NoError(t, err)
	assert.False(t, res.Overlap)
	assert.Equal(t, old, res.OldPid)
	assert.NotEqual(t, old, res.NewPid)
	assert.NotZero(t, res.NewPid)

	// The new process fails: the old one is stopped all the same, and the error says why.
	flag := filepath.Join(t.TempDir(), "fail")
	p := heldProg(t, "web", Socket{Network: "tcp", Address: testenv.FreeAddr(t)})
	p.Env = append(p.Env, "HELPER_FAIL_IF="+flag)
	p.StartRetries = -1
	p.StartSecs = 3 * time.Second // the failing start exits well within it, even on a loaded machine
	h.add(p)
	old = h.untilState("web", Running).Pid
	require.NoError(t, os.WriteFile(flag, nil, 0o644))
	res, err = h.sv.Deploy(context.Background(), "web")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrSpawn)
	assert.Contains(t, err.Error(), "Exited too quickly")
	assert.True(t, res.Overlap)
	assert.Zero(t, res.NewPid)
	assert.False(t, alive(old))

	_, err = h.sv.Deploy(context.Background(), "nosuch")
	assert.ErrorIs(t, err, ErrNotFound)
}

// TestRealUpdateOverlap: UpdateGroup of a changed program with RestartOverlap starts the new
// process before it stops the old one, on the same socket, which stays open throughout.
func TestRealUpdateOverlap(t *testing.T) {
	h := newReal(t)
	addr := testenv.FreeAddr(t)
	p := heldProg(t, "web", Socket{Network: "tcp", Address: addr})
	p.RestartMode = RestartOverlap
	h.add(p)
	old := h.untilState("web", Running).Pid
	file := heldFile(h.sv, "tcp://"+addr)

	p.Env = append(p.Env, "HELPER_VERSION=2") // a change that needs a new process
	ch, err := h.sv.UpdateGroup(context.Background(), Group{Name: "web", Programs: []Program{p}})
	require.NoError(t, err)
	assert.Equal(t, []string{"web"}, ch.Changed)
	next := pidOf(t, h.sv, "web")
	assert.NotEqual(t, old, next)
	assert.False(t, alive(old), "the old process has exited when UpdateGroup returns")
	assert.True(t, strings.HasPrefix(ask(t, "tcp", addr), "pid "+strconv.Itoa(next)+" "))
	assert.Same(t, file, heldFile(h.sv, "tcp://"+addr), "the socket stayed open")

	lines := h.log.lines()
	spawned := indexOf(lines, "INFO spawned: 'web' with pid "+strconv.Itoa(next), 0)
	require.GreaterOrEqual(t, spawned, 0, strings.Join(lines, "\n"))
	running := indexOf(lines, "INFO success: web entered RUNNING", spawned)
	stopped := indexOf(lines, "WARN stopped: web (terminated by SIGTERM)", spawned)
	require.GreaterOrEqual(t, running, 0, strings.Join(lines, "\n"))
	assert.Less(t, running, stopped, strings.Join(lines, "\n"))
	assert.Less(t, indexOf(lines, "INFO overlap: 'web' pid "+strconv.Itoa(old)+" keeps serving", 0), spawned)
}
