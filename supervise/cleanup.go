package supervise

import (
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// groupChild is a Child whose process group can still be listed and signalled after the
// leader exited (the real fork spawner's children; fakes in tests).
type groupChild interface {
	Child
	// groupMembers returns the live (not zombie) members of the child's process group.
	groupMembers() ([]int, error)
	// signalGroup sends sig to the child's process group.
	signalGroup(sig syscall.Signal) error
}

var _ groupChild = (*forkChild)(nil)

func (c *forkChild) groupMembers() ([]int, error) { return proctree.GroupMembers(c.pid) }

func (c *forkChild) signalGroup(sig syscall.Signal) error {
	return proctree.KillGroup(c.pid, sig)
}

// cleanupResult is what the cleanup of a process group reports to the process goroutine.
type cleanupResult struct {
	pgid    int
	killed  bool // SIGKILL was needed
	outside bool // the processes that left the group after a stop (endEscapees), not the group
	ended   int  // with outside: how many were found and ended
}

// cleanupPoll bounds the wait between two looks at processes being ended that are not our
// children (a process group's members, processes left by a previous supervisor, escapees):
// the first look comes after cleanupPollMin, then the interval doubles up to cleanupPollMax.
// No kernel event says when a process group becomes empty or when a process that is not our
// child exits (pidfd, Linux 5.3, covers one process, and CentOS 6 has none), so these looks
// are the one place the engine polls; the SIGKILL deadline is kept on the supervisor's Clock.
const (
	cleanupPollMin = 2 * time.Millisecond
	cleanupPollMax = 50 * time.Millisecond
)

// untilGone waits until gone reports true, looking after cleanupPollMin, then at doubling
// intervals up to cleanupPollMax. Each time deadline has passed on the supervisor's clock
// (taken by the caller before it sent the first signal), overdue runs (it sends SIGKILL) and
// the deadline moves by again.
func (sv *Supervisor) untilGone(deadline time.Time, again time.Duration, gone func() bool, overdue func()) {
	for poll := cleanupPollMin; !gone(); poll = min(2*poll, cleanupPollMax) {
		if now := sv.clock.Now(); !now.Before(deadline) {
			overdue()
			deadline = now.Add(again)
		}
		time.Sleep(poll)
	}
}

// afterExit runs when the main process exited: an exit that was not a requested stop ends the
// rest of the group (CleanupGroup) or names what is left in it (WARN).
func (p *process) afterExit(requested bool) {
	st := &p.st
	gc, ok := st.child.(groupChild)
	if !ok || st.pid <= 0 {
		return
	}
	if requested {
		p.endEscapees(st.pid)
		return
	}
	members, err := gc.groupMembers()
	if err != nil {
		p.log(slog.LevelWarn, "exited: %s: cannot list its process group %d: %v", p.prog.Name, st.pid, err)
		return
	}
	if len(members) == 0 {
		return
	}
	list := pidList(members)
	if !p.prog.CleanupGroup {
		p.log(slog.LevelWarn, "exited: %s left %d processes in its process group: %s", p.prog.Name, len(members), list)
		return
	}
	p.log(slog.LevelWarn, "exited: %s left %d processes in its process group: %s; ending them with %s",
		p.prog.Name, len(members), list, SignalName(p.prog.StopSignal))
	ch := make(chan cleanupResult, 1) // the goroutine never blocks, even if the process quit
	st.cleaned = ch
	sv, pgid, sig, wait, name := p.sv, st.pid, p.prog.StopSignal, p.prog.StopWait, p.prog.Name
	sv.wg.Add(1)
	go func() {
		defer sv.wg.Done()
		ch <- cleanGroup(sv, gc, pgid, name, sig, wait)
	}()
}

// cleanGroup sends sig to the group, then SIGKILL once wait has passed on the supervisor's
// clock (again every wait, at least every second), until the group is empty.
func cleanGroup(sv *Supervisor, gc groupChild, pgid int, name string, sig syscall.Signal, wait time.Duration) cleanupResult {
	r := cleanupResult{pgid: pgid}
	deadline := sv.clock.Now().Add(wait)
	if err := gc.signalGroup(sig); err != nil {
		sv.log(slog.LevelWarn, "cleanup: %s: %v", name, err)
	}
	var members []int
	time.Sleep(cleanupPollMin) // the first look, after the signal had a moment
	sv.untilGone(deadline, max(wait, time.Second), func() bool {
		m, err := gc.groupMembers()
		members = m
		return err == nil && len(m) == 0
	}, func() {
		sv.log(slog.LevelWarn, "cleanup: killing what is left of %s's process group %d with SIGKILL: %s",
			name, pgid, pidList(members))
		if err := gc.signalGroup(syscall.SIGKILL); err != nil {
			sv.log(slog.LevelWarn, "cleanup: %s: %v", name, err)
		}
		r.killed = true
	})
	return r
}

// cleanupDone runs in the process goroutine when the group is empty; the next transition may
// then restart the process.
func (p *process) cleanupDone(r cleanupResult) {
	how := ""
	if r.killed {
		how = " (SIGKILL was needed)"
	}
	if r.outside {
		if r.ended > 0 {
			p.log(slog.LevelInfo, "cleaned up: %s's %d processes outside its process group %d are gone%s", p.prog.Name, r.ended, r.pgid, how)
		}
		return
	}
	p.log(slog.LevelInfo, "cleaned up: %s's process group %d is empty%s", p.prog.Name, r.pgid, how)
}

func pidList(pids []int) string {
	s := make([]string, len(pids))
	for i, pid := range pids {
		s[i] = fmt.Sprint(pid)
	}
	return strings.Join(s, ", ")
}
