package supervise

import (
	"syscall"
	"testing"

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
