package linux2632

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrUnsupported is returned by Install on an architecture the filter does not describe.
var ErrUnsupported = errors.New("linux2632: the 2.6.32 profile exists for linux/amd64 only")

// The first x86-64 system call number Linux 2.6.32 does not have (recvmmsg, 2.6.33): every
// number from it on is newer.
const firstNewSyscall = 299

// Error numbers the filter returns.
const (
	enosys      = uint32(unix.ENOSYS)
	einval      = uint32(unix.EINVAL)
	enoprotoopt = uint32(unix.ENOPROTOOPT)
)

// Newer options, with the kernel that added them.
const (
	firstNewPrctl  = 35         // PR_SET_MM (3.3); PR_SET_CHILD_SUBREAPER is 36 (3.4)
	fSetPipeSz     = 1031       // F_SETPIPE_SZ (2.6.35); everything from here on is newer
	fOFDGetlk      = 36         // F_OFD_GETLK (3.15), up to F_OFD_SETLKW 38
	fLeaseBase     = 1024       // F_SETLEASE: 1024..1030 exist in 2.6.32
	clonePidfd     = 0x1000     // CLONE_PIDFD (5.2)
	cloneNewCgroup = 0x02000000 // CLONE_NEWCGROUP (4.6)
	pPidfd         = 3          // waitid P_PIDFD (5.4)
	soReuseport    = 15         // SO_REUSEPORT (3.9)
	soFirstNew     = 40         // SO_RXQ_OVFL (2.6.33) and later SOL_SOCKET options
	tcpFirstNew    = 15         // TCP_COOKIE_TRANSACTIONS (2.6.33) and later TCP options
)

// madvise advice Linux 2.6.32 knows: NORMAL..DONTNEED (0-4), REMOVE, DONTFORK, DOFORK,
// MERGEABLE, UNMERGEABLE (9-13) and HWPOISON (100). MADV_FREE (8, 4.5), MADV_HUGEPAGE (14,
// 2.6.38) and the rest fail with EINVAL.
var oldAdvice = []uint32{0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 100}

// Offsets in struct seccomp_data (little-endian: the low word of a 64-bit value comes first).
const (
	offNr   = 0
	offArch = 4
	offIPHi = 12 // high word of instruction_pointer
)

func offArg(i int) uint32 { return 16 + 8*uint32(i) } // low word of args[i]

// Filter returns the BPF program: syscalls from above 4 GiB or of another architecture are
// allowed; the others are judged as Linux 2.6.32 would.
func Filter() []unix.SockFilter {
	var a asm
	ret := func(errno uint32) { a.ret(unix.SECCOMP_RET_ERRNO | errno) }

	a.load(offArch)
	a.jeq(unix.AUDIT_ARCH_X86_64, "", "allow")
	a.load(offIPHi)
	a.jeq(0, "", "allow")
	a.load(offNr)
	a.jge(firstNewSyscall, "enosys", "") // also x32 numbers (bit 30)
	a.jeq(unix.SYS_PRCTL, "prctl", "")
	a.jeq(unix.SYS_FCNTL, "fcntl", "")
	a.jeq(unix.SYS_CLONE, "clone", "")
	a.jeq(unix.SYS_WAITID, "waitid", "")
	a.jeq(unix.SYS_MADVISE, "madvise", "")
	a.jeq(unix.SYS_SETSOCKOPT, "sockopt", "")
	a.jeq(unix.SYS_GETSOCKOPT, "sockopt", "")
	a.jmp("allow")

	a.label("prctl") // option is args[0]
	a.load(offArg(0))
	a.jge(firstNewPrctl, "einval", "allow")

	a.label("fcntl") // cmd is args[1]
	a.load(offArg(1))
	a.jge(fSetPipeSz, "einval", "")
	a.jge(fLeaseBase, "allow", "")
	a.jge(fOFDGetlk, "einval", "allow")

	a.label("clone") // flags are args[0]
	a.load(offArg(0))
	a.jset(clonePidfd|cloneNewCgroup, "einval", "allow")

	a.label("waitid") // idtype is args[0]
	a.load(offArg(0))
	a.jeq(pPidfd, "einval", "allow")

	a.label("madvise") // advice is args[2]
	a.load(offArg(2))
	for _, v := range oldAdvice {
		a.jeq(v, "allow", "")
	}
	a.jmp("einval")

	a.label("sockopt") // level args[1], optname args[2]
	a.load(offArg(1))
	a.jeq(unix.SOL_SOCKET, "", "tcp")
	a.load(offArg(2))
	a.jeq(soReuseport, "enoprotoopt", "")
	a.jge(soFirstNew, "enoprotoopt", "allow")
	a.label("tcp")
	a.jeq(unix.IPPROTO_TCP, "", "allow")
	a.load(offArg(2))
	a.jge(tcpFirstNew, "enoprotoopt", "allow")

	// The verdicts come last: BPF jumps only forwards.
	a.label("allow")
	a.ret(unix.SECCOMP_RET_ALLOW)
	a.label("enosys")
	ret(enosys)
	a.label("einval")
	ret(einval)
	a.label("enoprotoopt")
	ret(enoprotoopt)
	return a.assemble()
}

// Install applies the filter to the calling process and everything it starts from now on
// (PR_SET_NO_NEW_PRIVS, then prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER), which Linux 3.5 and
// later have). Call it from a process that then execs: Go's other threads do not get the
// filter (no TSYNC), the program exec'd does. Under the profile already (Active), it does
// nothing: the filter was inherited, and it would refuse PR_SET_NO_NEW_PRIVS (option 38).
func Install() error {
	if !supported {
		return ErrUnsupported
	}
	if Active() {
		return nil
	}
	prog := Filter()
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("linux2632: prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptrOf(&fprog), 0, 0); err != nil {
		return fmt.Errorf("linux2632: prctl(PR_SET_SECCOMP): %w", err)
	}
	return nil
}

// Active reports whether the calling thread runs under the 2.6.32 profile: a seccomp filter is
// installed (/proc/self/status says "Seccomp: 2") and prctl(PR_GET_CHILD_SUBREAPER), which
// Linux 3.4 and later answer, fails with EINVAL.
func Active() bool {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		b, _ = os.ReadFile("/proc/self/status")
	}
	if !strings.Contains(string(b), "\nSeccomp:\t2\n") {
		return false
	}
	var v int32
	return prGetChildSubreaper(&v) == unix.EINVAL
}

// ProfileEnv is the environment variable linux2632-exec sets to "1" for the program it runs,
// so tests know the profile was asked for (and a self-check can prove it is active).
const ProfileEnv = "LINUX2632_PROFILE"

// Expected reports whether ProfileEnv asks for the profile.
func Expected() bool { return os.Getenv(ProfileEnv) == "1" }
