package linux2632

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// probeEnv makes the test binary a probe: it installs the filter, re-execs itself (so every
// thread runs filtered), tries each call of probes and prints "name errno" lines.
const probeEnv = "LINUX2632_TEST_PROBE"

func TestMain(m *testing.M) {
	switch os.Getenv(probeEnv) {
	case "install":
		if err := Install(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(126)
		}
		os.Setenv(probeEnv, "run")
		exe, _ := os.Executable()
		syscall.Exec(exe, []string{exe}, os.Environ())
		os.Exit(127)
	case "run":
		runProbes()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// probe is one call and the errno Linux 2.6.32 gives it (0 = success).
type probe struct {
	name string
	want syscall.Errno
	call func() syscall.Errno
}

func raw(nr uintptr, a ...uintptr) syscall.Errno {
	a = append(a, 0, 0, 0, 0, 0, 0)
	_, _, e := syscall.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return e
}

func probes() []probe {
	var p [2]int
	syscall.Pipe(p[:])
	sock, _ := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	one := int32(1)
	sockopt := func(level, name uintptr) syscall.Errno {
		return raw(syscall.SYS_SETSOCKOPT, uintptr(sock), level, name, uintptr(unsafe.Pointer(&one)), 4)
	}
	var rl syscall.Rlimit
	rlp := uintptr(unsafe.Pointer(&rl))
	mem, _ := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	madv := func(advice uintptr) syscall.Errno {
		return raw(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&mem[0])), 4096, advice)
	}
	var sub int32
	return []probe{
		{"prlimit64", syscall.ENOSYS, func() syscall.Errno { return raw(unix.SYS_PRLIMIT64, 0, 7, 0, rlp) }},
		{"getrlimit", 0, func() syscall.Errno { return raw(syscall.SYS_GETRLIMIT, 7, rlp) }},
		{"recvmmsg", syscall.ENOSYS, func() syscall.Errno { return raw(unix.SYS_RECVMMSG, uintptr(sock), 0, 0, 0, 0) }},
		{"pidfd_open", syscall.ENOSYS, func() syscall.Errno { return raw(unix.SYS_PIDFD_OPEN, uintptr(os.Getpid()), 0) }},
		{"x32 getpid", syscall.ENOSYS, func() syscall.Errno { return raw(0x40000000 | syscall.SYS_GETPID) }},
		{"PR_SET_CHILD_SUBREAPER", syscall.EINVAL, func() syscall.Errno { return raw(syscall.SYS_PRCTL, unix.PR_SET_CHILD_SUBREAPER, 1) }},
		{"PR_GET_CHILD_SUBREAPER", syscall.EINVAL, func() syscall.Errno {
			return raw(syscall.SYS_PRCTL, unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&sub)))
		}},
		{"PR_SET_MM", syscall.EINVAL, func() syscall.Errno { return raw(syscall.SYS_PRCTL, unix.PR_SET_MM, 0) }},
		{"PR_GET_DUMPABLE", 0, func() syscall.Errno { return raw(syscall.SYS_PRCTL, unix.PR_GET_DUMPABLE) }},
		{"F_SETPIPE_SZ", syscall.EINVAL, func() syscall.Errno { return raw(syscall.SYS_FCNTL, uintptr(p[0]), unix.F_SETPIPE_SZ, 1<<20) }},
		{"F_GETPIPE_SZ", syscall.EINVAL, func() syscall.Errno { return raw(syscall.SYS_FCNTL, uintptr(p[0]), unix.F_GETPIPE_SZ) }},
		{"F_GETFD", 0, func() syscall.Errno { return raw(syscall.SYS_FCNTL, uintptr(p[0]), syscall.F_GETFD) }},
		{"F_OFD_GETLK", syscall.EINVAL, func() syscall.Errno { return raw(syscall.SYS_FCNTL, uintptr(p[0]), unix.F_OFD_GETLK, 0) }},
		{"clone CLONE_PIDFD", syscall.EINVAL, func() syscall.Errno {
			return raw(syscall.SYS_CLONE, unix.CLONE_PIDFD|uintptr(syscall.SIGCHLD), 0, 0, 0, 0)
		}},
		{"waitid P_PIDFD", syscall.EINVAL, func() syscall.Errno { return raw(syscall.SYS_WAITID, unix.P_PIDFD, 0, 0, syscall.WEXITED) }},
		{"MADV_FREE", syscall.EINVAL, func() syscall.Errno { return madv(unix.MADV_FREE) }},
		{"MADV_HUGEPAGE", syscall.EINVAL, func() syscall.Errno { return madv(unix.MADV_HUGEPAGE) }},
		{"MADV_DONTNEED", 0, func() syscall.Errno { return madv(unix.MADV_DONTNEED) }},
		{"SO_REUSEPORT", syscall.ENOPROTOOPT, func() syscall.Errno { return sockopt(syscall.SOL_SOCKET, unix.SO_REUSEPORT) }},
		{"SO_REUSEADDR", 0, func() syscall.Errno { return sockopt(syscall.SOL_SOCKET, syscall.SO_REUSEADDR) }},
		{"TCP_USER_TIMEOUT", syscall.ENOPROTOOPT, func() syscall.Errno { return sockopt(syscall.IPPROTO_TCP, unix.TCP_USER_TIMEOUT) }},
		{"TCP_NODELAY", 0, func() syscall.Errno { return sockopt(syscall.IPPROTO_TCP, syscall.TCP_NODELAY) }},
	}
}

func runProbes() {
	for _, p := range probes() {
		os.Stdout.WriteString(p.name + "\t" + strings.ReplaceAll(errnoText(p.call()), "\t", " ") + "\n")
	}
}

func errnoText(e syscall.Errno) string {
	if e == 0 {
		return "ok"
	}
	return unix.ErrnoName(e)
}

// Every probe fails (or works) under the filter as on Linux 2.6.32, in a process that
// installed it and exec'd, as linux2632-exec does.
func TestFilterMakesCallsFailAs2632(t *testing.T) {
	if !supported {
		t.Skip(ErrUnsupported)
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), probeEnv+"=install")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "probe: %s", stderr.String())
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, errno, _ := strings.Cut(l, "\t")
		got[name] = errno
	}
	for _, p := range probes() {
		assert.Equal(t, errnoText(p.want), got[p.name], p.name)
	}
}

// Without the filter the same calls that it refuses work on this (newer) kernel, so the
// probes above measure the filter, not the machine.
func TestUnfilteredCallsWork(t *testing.T) {
	if Active() {
		t.Skip("this test binary runs under the 2.6.32 profile")
	}
	var sub int32
	assert.Equal(t, syscall.Errno(0), prGetChildSubreaper(&sub))
	var p [2]int
	require.NoError(t, syscall.Pipe(p[:]))
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	_, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETPIPE_SZ, 0)
	assert.NoError(t, err)
}

// The self-check: under `make test-2632` (the wrapper sets LINUX2632_PROFILE=1) the profile
// must be active, or every other result of that run means nothing.
func TestSelfCheck(t *testing.T) {
	if !Expected() {
		assert.False(t, Active(), "the filter is active although the profile was not asked for")
		return
	}
	require.True(t, Active(), "LINUX2632_PROFILE=1 but no 2.6.32 filter is installed")
	_, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_SET_CHILD_SUBREAPER, 1, 0)
	assert.Equal(t, syscall.EINVAL, e, "PR_SET_CHILD_SUBREAPER under the profile")
	// Go's own network code works under it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln.Close()
}

func TestFilterFitsBPF(t *testing.T) {
	prog := Filter()
	assert.Less(t, len(prog), 4096, "BPF_MAXINSNS")
	last := prog[len(prog)-1]
	assert.Equal(t, uint16(unix.BPF_RET|unix.BPF_K), last.Code, "a program ends with a return")
}
