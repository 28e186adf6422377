package supervise

import (
	"context"
	"fmt"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// identities returns the IDs of the live members of process group pgid other than pgid.
func identities(t *testing.T, pgid int) []proctree.ID {
	t.Helper()
	members, err := proctree.GroupMembers(pgid)
	require.NoError(t, err)
	var ids []proctree.ID
	for _, m := range members {
		if m == pgid {
			continue
		}
		id, err := proctree.Identify(m)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

func indexOf(lines []string, prefix string, from int) int {
	for i := from; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], prefix) {
			return i
		}
	}
	return -1
}

// The gunicorn failure mode: a master holding a port with workers in its group dies by
// SIGKILL. With CleanupGroup the workers are ended before the restart, so the new master
// binds the same port at once (it exits 3 if it cannot); without it they keep the port, the
// restart fails, and the WARN names them.
func TestRealCleanupGroupFreesPortBeforeRestart(t *testing.T) {
	for _, cleanup := range []bool{true, false} {
		t.Run(fmt.Sprint("cleanup=", cleanup), func(t *testing.T) {
			h := newReal(t)
			p := helperProg(t, "web", "forkport", strconv.Itoa(testenv.FreePort(t)), "3")
			p.CleanupGroup = cleanup
			p.StopWait = 5 * time.Second
			// A master that cannot bind exits 3 at once: that is a failed start only within
			// startsecs, which must outlast a loaded machine's exec of the test binary.
			p.StartSecs = 3 * time.Second
			p.Stdout.Events = true
			h.add(p)
			h.untilOutput("web", "ready")
			testenv.WaitFor(t, "web RUNNING", func() bool { return h.status("web").State == Running })
			first := h.status("web")
			workers := identities(t, first.Pid)
			require.Len(t, workers, 3)
			var pids []string
			for _, w := range workers {
				pids = append(pids, fmt.Sprint(w.Pid))
			}

			require.NoError(t, syscall.Kill(first.Pid, syscall.SIGKILL))
			h.untilState("web", Exited)
			if cleanup {
				second := h.untilState("web", Running) // it bound the port (else: exit 3 at once)
				assert.NotEqual(t, first.Pid, second.Pid)
				for _, w := range workers {
					assert.False(t, w.Alive(), "old worker %d survived the restart", w.Pid)
				}
				lines := h.log.lines()
				warn := indexOf(lines, "WARN exited: web left 3 processes in its process group: "+strings.Join(pids, ", "), 0)
				done := indexOf(lines, "INFO cleaned up: web's process group", 0)
				respawn := indexOf(lines, "INFO spawned: 'web' with pid "+fmt.Sprint(second.Pid), 0)
				require.True(t, warn >= 0 && done > warn && respawn > done, "order of WARN, cleanup, respawn in:\n%s", strings.Join(lines, "\n"))
				assert.Equal(t, 2, countPrefix(lines, "INFO spawned: 'web'"), "the first restart succeeds")
			} else {
				h.untilState("web", Backoff) // the new master cannot bind: the old workers hold the port
				assert.Contains(t, h.log.lines(), "WARN exited: web left 3 processes in its process group: "+strings.Join(pids, ", "))
				for _, w := range workers {
					assert.True(t, w.Alive(), "without CleanupGroup the workers are left alone, as in supervisord")
				}
				require.NoError(t, proctree.KillGroup(first.Pid, syscall.SIGKILL))
			}
			h.stop()
			for _, w := range workers {
				assert.False(t, w.Alive())
			}
		})
	}
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func (h *realHarness) status(name string) ProcessInfo {
	h.t.Helper()
	infos, err := h.sv.Status(name)
	require.NoError(h.t, err)
	require.Len(h.t, infos, 1)
	return infos[0]
}

// A grandchild that left the group and was orphaned comes to us (subreaper) and is ended
// when Serve returns.
func TestRealAdoptedOrphanDoesNotOutliveServe(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "orphaner", "orphan")
	p.AutoRestart = RestartNever
	p.StartSecs = -1
	p.Stdout.Events = true
	h.add(p)
	var out strings.Builder
	h.until("orphaner", func(e Event) bool {
		out.Write(e.Data)
		return e.Kind == EventState && e.To == Exited
	})
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	require.NoError(t, err, "helper output %q", out.String())
	id, err := proctree.Identify(pid)
	require.NoError(t, err)
	require.True(t, id.Alive())
	h.stop()
	assert.False(t, id.Alive(), "the orphan %d outlived Serve", pid)
}

// fakeGroupChild is a fake child with a process group whose members the test controls.
type fakeGroupChild struct {
	*fakeChild
	mu      sync.Mutex
	members []int
	onGroup func(c *fakeGroupChild, sig syscall.Signal)
	group   []sigRec
}

func (c *fakeGroupChild) groupMembers() ([]int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.members...), nil
}

func (c *fakeGroupChild) signalGroup(sig syscall.Signal) error {
	c.mu.Lock()
	c.group = append(c.group, sigRec{sig: sig, group: true, at: c.clock.Now()})
	on := c.onGroup
	c.mu.Unlock()
	if on != nil {
		on(c, sig)
	}
	return nil
}

func (c *fakeGroupChild) setMembers(m ...int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.members = m
}

func (c *fakeGroupChild) groupSigs() []sigRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sigRec(nil), c.group...)
}

type groupSpawner struct {
	*fakeSpawner
	mu   sync.Mutex
	kids []*fakeGroupChild
	make func(n int, c *fakeGroupChild)
}

func (s *groupSpawner) Spawn(cmd *Cmd) (Child, error) {
	c, err := s.fakeSpawner.Spawn(cmd)
	if err != nil {
		return nil, err
	}
	gc := &fakeGroupChild{fakeChild: c.(*fakeChild)}
	s.mu.Lock()
	s.kids = append(s.kids, gc)
	n := len(s.kids)
	s.mu.Unlock()
	if s.make != nil {
		s.make(n, gc)
	}
	return gc, nil
}

func (s *groupSpawner) kid(n int) *fakeGroupChild {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kids[n-1]
}

func newGroupHarness(t *testing.T, mk func(n int, c *fakeGroupChild)) (*harness, *groupSpawner) {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), log: &logBuffer{}, done: make(chan error, 1)}
	h.sp = &fakeSpawner{clock: h.clock}
	gs := &groupSpawner{fakeSpawner: h.sp, make: mk}
	h.sv = New(Options{Clock: h.clock, Spawner: gs, Env: []string{"PATH=/bin:/usr/bin"},
		ChildLogDir: t.TempDir(), Logger: logTo(h.log)})
	var cancelSub func()
	h.events, cancelSub = h.sv.Subscribe(10000)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- h.sv.Serve(ctx) }()
	testenv.WaitFor(t, "the supervisor to serve", h.sv.isServing)
	stopped := false
	h.cancel = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-h.done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return")
		}
		cancelSub()
	}
	t.Cleanup(h.cancel)
	return h, gs
}

// On the fake clock: members that ignore the stop signal get SIGKILL exactly StopWait after
// the exit, and the restart comes only once the group is empty.
func TestCleanupGroupKillsAfterStopWaitThenRestarts(t *testing.T) {
	h, gs := newGroupHarness(t, func(n int, c *fakeGroupChild) {
		c.setMembers(c.pid, 2000+10*n, 2001+10*n)
		c.onGroup = func(c *fakeGroupChild, sig syscall.Signal) {
			if sig == syscall.SIGKILL {
				c.setMembers()
			}
		}
	})
	p := quiet("m")
	p.CleanupGroup = true
	p.StopWait = 7 * time.Second
	h.add(p)
	h.expect(Starting)
	h.clock.Advance(2 * time.Second)
	h.expect(Running)
	k := gs.kid(1)
	k.setMembers(2010, 2011) // the leader died; its workers live on
	exitAt := h.clock.Now()
	k.exit(Killed(syscall.SIGKILL))
	h.expect(Exited)
	testenv.WaitFor(t, "len(k.groupSigs()) == 1", func() bool { return len(k.groupSigs()) == 1 })
	assert.Equal(t, []sigRec{{sig: syscall.SIGTERM, group: true, at: exitAt}}, k.groupSigs())
	h.clock.Advance(6 * time.Second)
	assert.Equal(t, 1, h.sp.count(), "no restart while the group lives")
	assert.Equal(t, Exited, h.status("m").State)
	h.clock.Advance(time.Second)
	testenv.WaitFor(t, "len(k.groupSigs()) == 2", func() bool { return len(k.groupSigs()) == 2 })
	assert.Equal(t, sigRec{sig: syscall.SIGKILL, group: true, at: exitAt.Add(7 * time.Second)}, k.groupSigs()[1])
	h.expect(Starting)
	require.Equal(t, 2, h.sp.count())
	assert.Equal(t, exitAt.Add(7*time.Second), h.sp.times()[1])
	lines := h.log.lines()
	assert.Contains(t, lines, "WARN exited: m left 2 processes in its process group: 2010, 2011; ending them with SIGTERM")
	assert.Contains(t, lines, "WARN cleanup: killing what is left of m's process group 1001 with SIGKILL: 2010, 2011")
	assert.Contains(t, lines, "INFO cleaned up: m's process group 1001 is empty (SIGKILL was needed)")
}

// A requested stop never triggers the cleanup, and an exit that leaves nothing logs nothing.
func TestCleanupGroupOnlyForUnrequestedExits(t *testing.T) {
	h, gs := newGroupHarness(t, func(n int, c *fakeGroupChild) { c.setMembers(c.pid, 3000) })
	p := quiet("s")
	p.StopWait = 7 * time.Second
	h.add(p)
	h.expect(Starting)
	h.clock.Advance(2 * time.Second)
	h.expect(Running)
	_, err := h.sv.Stop(context.Background(), "s", true)
	require.NoError(t, err)
	assert.Empty(t, gs.kid(1).groupSigs())
	for _, l := range h.log.lines() {
		assert.NotContains(t, l, "process group")
	}
}

// A manual start during a cleanup waits for the group to be empty before it spawns.
func TestCleanupGroupManualStartWaits(t *testing.T) {
	h, gs := newGroupHarness(t, func(n int, c *fakeGroupChild) {
		c.setMembers(c.pid, 4000)
		c.onGroup = func(c *fakeGroupChild, sig syscall.Signal) {
			if sig == syscall.SIGKILL {
				c.setMembers()
			}
		}
	})
	p := quiet("w")
	p.CleanupGroup = true
	p.AutoRestart = RestartNever
	p.StopWait = 3 * time.Second
	h.add(p)
	h.expect(Starting)
	h.clock.Advance(2 * time.Second)
	h.expect(Running)
	k := gs.kid(1)
	k.setMembers(4000)
	exitAt := h.clock.Now()
	k.exit(Exit(1))
	h.expect(Exited)
	started := make(chan error, 1)
	go func() {
		_, err := h.sv.Start(bg, "w", false)
		started <- err
	}()
	testenv.WaitFor(t, "len(k.groupSigs()) == 1", func() bool { return len(k.groupSigs()) == 1 })
	assert.Equal(t, 1, h.sp.count())
	h.clock.Advance(3 * time.Second)
	require.NoError(t, <-started)
	require.Equal(t, 2, h.sp.count())
	assert.Equal(t, exitAt.Add(3*time.Second), h.sp.times()[1], "spawned once the group was empty")
}
