package proctree

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv("PROCTREE_HELPER") == "tree" {
		// Child: start two grandchildren in our own process group, print nothing, wait.
		for i := 0; i < 2; i++ {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "PROCTREE_HELPER=leaf")
			if err := cmd.Start(); err != nil {
				os.Exit(2)
			}
		}
		time.Sleep(time.Hour)
	}
	if os.Getenv("PROCTREE_HELPER") == "leaf" {
		time.Sleep(time.Hour)
	}
	goleak.VerifyTestMain(m)
}

// A real tree: the test binary starts a child (its own process group) that starts two
// grandchildren; Descendants and GroupMembers see them, KillGroup ends them all.
func TestTreeDescendantsGroupAndKill(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROCTREE_HELPER=tree")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	defer KillGroup(pid, syscall.SIGKILL)
	var desc []int
	deadline := time.Now().Add(10 * time.Second)
	for len(desc) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		var err error
		desc, err = Descendants(pid)
		require.NoError(t, err)
	}
	require.Len(t, desc, 2, "two grandchildren")
	// The tree's RSS is more than the child's own; TreesRSS reads the same trees at once and
	// leaves out a pid that is not there.
	one, err := TreeRSS(pid)
	require.NoError(t, err)
	leaf, err := TreeRSS(desc[0])
	require.NoError(t, err)
	assert.Greater(t, one, leaf, "the child and its two children")
	all, err := TreesRSS([]int{pid, desc[0], 1 << 30})
	require.NoError(t, err)
	assert.Len(t, all, 2)
	assert.Greater(t, all[pid], all[desc[0]])
	assert.Greater(t, all[desc[0]], int64(0))
	members, err := GroupMembers(pid)
	require.NoError(t, err)
	assert.ElementsMatch(t, append([]int{pid}, desc...), members)
	ids := []ID{}
	for _, p := range members {
		id, err := Identify(p)
		require.NoError(t, err)
		assert.True(t, id.Alive())
		ids = append(ids, id)
	}
	forged := ids[0]
	forged.StartTicks--
	assert.False(t, forged.Alive(), "another start time is another process")
	forged = ids[0]
	forged.BootID = "00000000-0000-0000-0000-000000000000"
	assert.False(t, forged.Alive(), "a process of another boot is another process")

	require.NoError(t, KillGroup(pid, syscall.SIGKILL))
	_ = cmd.Wait()
	for _, id := range ids[1:] {
		for i := 0; i < 500 && id.Alive(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		assert.False(t, id.Alive(), "pid %d survived", id.Pid)
	}
	assert.Error(t, KillGroup(1, syscall.SIGTERM), "never signals group 1")
	_, err = Identify(1 << 30)
	assert.Error(t, err)
	assert.False(t, ID{Pid: 1 << 30}.Alive())
	assert.NoError(t, KillTree(1<<22+int(time.Now().UnixNano()%1000), syscall.Signal(0)))
}

// A child in its own group that we did not declare is "adopted"; a declared one is not; a
// zombie is neither adopted nor a group member.
func TestAdoptedAndZombies(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROCTREE_HELPER=leaf")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	got, err := Adopted(nil)
	require.NoError(t, err)
	assert.Contains(t, got, pid)
	got, err = Adopted(map[int]bool{pid: true})
	require.NoError(t, err)
	assert.NotContains(t, got, pid)
	members, err := GroupMembers(pid)
	require.NoError(t, err)
	assert.Equal(t, []int{pid}, members)

	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	for i := 0; i < 500 && !zombie(pid); i++ { // dead but not yet waited for: a zombie
		time.Sleep(5 * time.Millisecond)
	}
	require.True(t, zombie(pid))
	members, err = GroupMembers(pid)
	require.NoError(t, err)
	assert.Empty(t, members)
	got, err = Adopted(nil)
	require.NoError(t, err)
	assert.NotContains(t, got, pid)
	_ = cmd.Wait()
}

// The cost of one look at a process group (done on every unexpected exit of a supervised
// process), with whatever runs on this machine.
func BenchmarkGroupMembers(b *testing.B) {
	pgid := syscall.Getpgrp()
	for i := 0; i < b.N; i++ {
		if _, err := GroupMembers(pgid); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGroupMembersEmpty(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if m, err := GroupMembers(1 << 22); err != nil || len(m) != 0 {
			b.Fatal(m, err)
		}
	}
}
