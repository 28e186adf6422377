package rlimit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

const helperEnv = "RLIMIT_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "raise" {
		os.Exit(raiseHelper())
	}
	goleak.VerifyTestMain(m)
}

// raiseHelper runs with a resource (RLIMIT_TEST_RESOURCE: "n" NOFILE, "u" NPROC) at 256: it
// raises it to 512 and prints the limit it then has, the one a child shell sees, or the error.
func raiseHelper() int {
	res, flag := NOFILE, "-n"
	if os.Getenv("RLIMIT_TEST_RESOURCE") == "u" {
		res, flag = NPROC, "-u"
	}
	before, raised, err := Raise(res, 512)
	if err != nil {
		fmt.Printf("error hard=%v %v\n", errors.Is(err, ErrHardLimit), err)
		return 0
	}
	now, err := Get(res)
	if err != nil {
		fmt.Println("error", err)
		return 0
	}
	out, err := exec.Command("/bin/bash", "-c", "ulimit "+flag).Output()
	if err != nil {
		fmt.Println("error", err)
		return 0
	}
	fmt.Printf("before=%d/%d raised=%v now=%d/%d child=%s\n", before.Cur, before.Max, raised, now.Cur, now.Max, strings.TrimSpace(string(out)))
	return 0
}

func runRaise(t *testing.T, ulimit, resource string) string {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command("/bin/bash", "-c", "ulimit "+ulimit+" 256 && exec \"$0\"", exe)
	cmd.Env = append(os.Environ(), helperEnv+"=raise", "RLIMIT_TEST_RESOURCE="+resource)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.TrimSpace(string(out))
}

// A process started with `ulimit -n 256` (soft and hard) raises its limit to 512, the hard
// limit too, when it may (CAP_SYS_RESOURCE), and its children inherit it (Go does not put
// back the starting limit); without the capability the hard limit stops it with ErrHardLimit.
func TestRaiseNofileReachesChildren(t *testing.T) {
	got := runRaise(t, "-n", "n")
	if !testenv.CanRaiseHardLimits(t) {
		assert.True(t, strings.HasPrefix(got, "error hard=true "), got)
		return
	}
	assert.Equal(t, "before=256/256 raised=true now=512/512 child=512", got)
}

// A soft limit below the minimum and a higher hard limit: raised without privileges (RLIMIT_NPROC,
// which Go leaves alone at start-up), children inherit it.
func TestRaiseSoftNproc(t *testing.T) {
	var hard syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(NPROC, &hard))
	if hard.Max != Infinity && hard.Max < 512 {
		t.Skipf("RLIMIT_NPROC hard limit %d is below 512", hard.Max)
	}
	max := "unlimited"
	if hard.Max != Infinity {
		max = fmt.Sprint(hard.Max)
	}
	assert.Equal(t, fmt.Sprintf("before=256/%d raised=true now=512/%d child=512", hard.Max, hard.Max), runRaise(t, "-S -u", "u"), "hard %s", max)
}

// A limit already high enough is left as it is.
func TestRaiseNoop(t *testing.T) {
	l, err := Get(NOFILE)
	require.NoError(t, err)
	require.NotZero(t, l.Cur)
	before, raised, err := Raise(NOFILE, 1)
	require.NoError(t, err)
	assert.False(t, raised)
	assert.Equal(t, l, before)
	var r syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r))
	assert.Equal(t, Limit{Cur: uint64(r.Cur), Max: uint64(r.Max)}, l, "the same answer as the syscall package")
}

func TestBadResource(t *testing.T) {
	_, err := Get(1 << 20)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "getrlimit(resource 1048576)")
	assert.ErrorIs(t, err, syscall.EINVAL)
}
