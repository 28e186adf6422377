// Package linux2632 makes the current process see a Linux 2.6.32 kernel (CentOS 6), as far as
// static Go code is concerned: a seccomp filter makes every system call newer than 2.6.32 fail
// with ENOSYS, and the newer options of older calls fail as 2.6.32 fails them (prctl options
// from 35 on, PR_SET_CHILD_SUBREAPER among them, the pipe-size fcntls, CLONE_PIDFD, waitid
// P_PIDFD, newer madvise advice, SO_REUSEPORT and newer socket options).
//
// The filter applies only to system calls made from below 4 GiB, which is where the code of a
// static non-PIE Go binary lives (its text starts at 4 MiB); Debian's own programs (python,
// sh, gunicorn) are position-independent, run from above 4 GiB, need Linux 3.2 themselves and
// are left alone. So a test run under the filter checks our Go code against 2.6.32 while the
// tools it drives keep working.
//
// It is a test profile, not a sandbox: it only ever makes calls fail, it is inherited by every
// child (seccomp filters survive fork and exec), and it cannot be removed. cmd/linux2632-exec
// installs it and execs a program, for `go test -exec` and to run the daemon. It exists for
// linux/amd64 only (Install fails elsewhere).
//
// Where this profile is stricter than 2.6.32: that kernel ignored the unused clone flag that
// later became CLONE_PIDFD (the pidfd was simply never written); the profile fails it with
// EINVAL, so a use of it is seen instead of silently misbehaving.
package linux2632
