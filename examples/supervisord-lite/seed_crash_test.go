package main

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v3/process"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSeedKillDaemon: kill -9 of supervisord-lite itself, then a new start, 10 times. Its
// children outlive it (nothing can prevent that); the new daemon finds them through the state
// file next to the pidfile (pid and start time), ends them, and only then starts gunicorn: the
// app serves again from exactly one master, and nothing of the old tree is left. The times are
// logged (median), not asserted: machines are noisy.
func TestSeedKillDaemon(t *testing.T) {
	s := newSeedStack(t, nil)
	s.start(t)
	c := s.client(t)
	h := s.waitHealthy(t, c, 30*time.Second, 0)
	s.waitRunning(t)
	var times []time.Duration
	for i := 0; i < 10; i++ {
		s.recordTree()
		old := map[int32]int64{}
		for pid, created := range s.seen {
			old[pid] = created
		}
		require.NoError(t, s.cmd.Process.Kill()) // SIGKILL: no chance to stop its children
		<-s.done
		s.done = nil
		killed := time.Now()
		s.start(t)
		next := s.waitHealthy(t, c, 30*time.Second, h.Ppid)
		times = append(times, time.Since(killed))
		h = next
		s.waitRunning(t)

		// Nothing of the old tree is left: same pid with the same start time, not a zombie.
		ok := seedPoll(10*time.Second, 50*time.Millisecond, func() bool { return len(liveOf(old)) == 0 })
		assert.True(t, ok, "round %d: processes of the killed daemon's tree still run: %v\nlog:\n%s", i, liveOf(old), s.log())
		// Exactly one gunicorn master serves: the new daemon's child.
		masters := gunicornMasters(t, s)
		assert.Equal(t, []int32{int32(h.Ppid)}, masters, "round %d: gunicorn masters", i)
	}
	sorted := append([]time.Duration(nil), times...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	t.Logf("kill -9 of supervisord-lite, restart -> serving again: median %v, min %v, max %v, all %v", sorted[len(sorted)/2], sorted[0], sorted[len(sorted)-1], times)
	assert.Contains(t, s.log(), "left running by a previous supervisor")
}

// liveOf lists the processes of set (pid -> start time) that still run.
func liveOf(set map[int32]int64) map[int32]string {
	out := map[int32]string{}
	for pid, created := range set {
		p, err := process.NewProcess(pid)
		if err != nil {
			continue
		}
		if c, err := p.CreateTime(); err != nil || c != created {
			continue
		}
		if st, err := p.Status(); err == nil && len(st) > 0 && st[0] == process.Zombie {
			continue
		}
		cl, _ := p.Cmdline()
		out[pid] = cl
	}
	return out
}

// gunicornMasters lists the running gunicorn processes of this demo whose parent is not one:
// the masters.
func gunicornMasters(t *testing.T, s *seedStack) []int32 {
	t.Helper()
	procs, err := process.Processes()
	require.NoError(t, err)
	isOurs := func(p *process.Process) bool {
		cl, err := p.Cmdline()
		if err != nil || !strings.Contains(cl, s.demo) || !strings.Contains(cl, "gunicorn") {
			return false
		}
		st, err := p.Status()
		return err == nil && !(len(st) > 0 && st[0] == process.Zombie)
	}
	var masters []int32
	for _, p := range procs {
		if !isOurs(p) {
			continue
		}
		if pp, err := p.Parent(); err == nil && isOurs(pp) {
			continue
		}
		masters = append(masters, p.Pid)
	}
	return masters
}
