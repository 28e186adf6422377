package proctree

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startMarked starts the test binary as a sleeping leaf with extra environment entries, in a
// new session when setsid (as a daemonizing grandchild would be), and ends it at cleanup.
func startMarked(t *testing.T, setsid bool, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "PROCTREE_HELPER=leaf"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// FindByEnv finds the processes whose environment holds the exact entry, in any session, with
// the values asked for; an entry that only starts the same is not a match; an ended process is
// not found.
func TestFindByEnv(t *testing.T) {
	token := "T" + strconv.FormatInt(time.Now().UnixNano(), 36)
	a := startMarked(t, true, "MARK="+token, "NAME=a", "NAME=a2")
	b := startMarked(t, false, "MARK="+token)
	startMarked(t, false, "MARK="+token+"x")
	startMarked(t, false, "OTHER=1")
	var found []Marked
	require.Eventually(t, func() bool { // the children's environ is theirs once they exec'd
		var err error
		found, err = FindByEnv("MARK="+token, "NAME")
		require.NoError(t, err)
		return len(found) == 2
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, a.Process.Pid, found[0].Pid)
	assert.Equal(t, a.Process.Pid, found[0].Pgid, "a session leader leads its group")
	assert.Equal(t, "a2", found[0].Env["NAME"], "the last entry wins")
	assert.True(t, found[0].Alive())
	assert.Equal(t, b.Process.Pid, found[1].Pid)
	assert.Equal(t, syscall.Getpgrp(), found[1].Pgid)
	assert.Equal(t, "", found[1].Env["NAME"])

	a.Process.Kill()
	a.Wait()
	assert.False(t, found[0].Alive())
	found, err := FindByEnv("MARK=" + token)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, b.Process.Pid, found[0].Pid)
}

func TestBootID(t *testing.T) {
	id, err := BootID()
	require.NoError(t, err)
	assert.Len(t, id, 36)
	assert.Equal(t, 4, strings.Count(id, "-"))
}
