package supervise

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two Supervisors serving in one process share the one reaper; each gets its own children's
// exits, and the reaper stops once both are done.
func TestRealTwoSupervisorsShareTheReaper(t *testing.T) {
	a, b := newReal(t), newReal(t)
	a.add(helperProg(t, "one", "sleep"))
	b.add(helperProg(t, "two", "sleep"))
	pa := a.untilState("one", Running).Pid
	pb := b.untilState("two", Running).Pid
	require.NoError(t, syscall.Kill(pb, syscall.SIGKILL))
	require.NoError(t, syscall.Kill(pa, syscall.SIGKILL))
	ea := a.untilState("one", Exited)
	eb := b.untilState("two", Exited)
	assert.Equal(t, pa, ea.Pid)
	assert.Equal(t, pb, eb.Pid)
	a.untilState("one", Running)
	b.untilState("two", Running)
	a.stop()
	theReaper.life.Lock()
	assert.Equal(t, 1, theReaper.refs, "still held by the other Serve")
	theReaper.life.Unlock()
	b.stop()
	theReaper.life.Lock()
	assert.Equal(t, 0, theReaper.refs)
	theReaper.life.Unlock()
	theReaper.mu.Lock()
	assert.Empty(t, theReaper.owners, "no child left registered")
	theReaper.mu.Unlock()
}

// An exit reaped before its fork registered the pid (forks run in parallel, so the reaper may
// get there first) is kept and delivered, not dropped as an unknown pid's.
func TestReaperKeepsAnExitReapedBeforeRegistration(t *testing.T) {
	release := theReaper.acquire()
	defer release()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	c := &forkChild{stdin: w, done: make(chan ExitStatus, 1)}
	c.pending.Store(1)
	_, err = theReaper.fork(c, func() (int, error) {
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 7"}, &syscall.ProcAttr{})
		if err != nil {
			return 0, err
		}
		// Hold the registration back until the reaper has taken the exit.
		for i := 0; i < 2000; i++ {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		return pid, nil
	})
	require.NoError(t, err)
	select {
	case es := <-c.Done():
		assert.Equal(t, Exit(7), es)
	case <-time.After(5 * time.Second):
		t.Fatal("the early exit was lost")
	}
	theReaper.mu.Lock()
	assert.Empty(t, theReaper.early, "nothing kept once no fork is in progress")
	theReaper.mu.Unlock()
}
