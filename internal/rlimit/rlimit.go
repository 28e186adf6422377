// Package rlimit reads and raises process resource limits with the getrlimit and setrlimit
// system calls, which every Linux has. Go's syscall.Getrlimit and Setrlimit use prlimit64
// (Linux 2.6.36) in newer releases, which fails on Linux 2.6.32 (CentOS 6): a daemon relying on
// them would silently run without its minfds and minprocs there.
//
// Limits are process-wide and inherited by children. Raising RLIMIT_NOFILE here also stops Go's
// os.StartProcess and syscall.ForkExec from putting back, in each child, the soft limit the
// process started with (Go raises its own soft limit at start-up and restores the original in
// children unless the program sets RLIMIT_NOFILE itself), so children get the raised limit,
// as supervisord's do.
package rlimit

import (
	"errors"
	"fmt"
	"syscall"
)

// Infinity is RLIM_INFINITY: no limit.
const Infinity = ^uint64(0)

// Resources this package names in errors (Linux's numbers).
const (
	NOFILE = syscall.RLIMIT_NOFILE // open file descriptors
	NPROC  = 6                     // processes of the real user id (RLIMIT_NPROC)
)

// Limit is a soft (Cur) and hard (Max) limit; Infinity = none.
type Limit struct {
	Cur, Max uint64
}

// ErrHardLimit is wrapped by Raise when the hard limit is below the minimum and the process
// may not raise it (not root, no CAP_SYS_RESOURCE).
var ErrHardLimit = errors.New("rlimit: the hard limit is lower and may not be raised")

// Get returns the limit of resource (getrlimit(2)).
func Get(resource int) (Limit, error) {
	l, err := get(resource)
	if err != nil {
		return Limit{}, fmt.Errorf("rlimit: getrlimit(%s): %w", name(resource), err)
	}
	return l, nil
}

// Set sets the limit of resource (setrlimit(2)); see the package doc for RLIMIT_NOFILE.
func Set(resource int, l Limit) error {
	if err := set(resource, l); err != nil {
		return fmt.Errorf("rlimit: setrlimit(%s, %d/%d): %w", name(resource), l.Cur, l.Max, err)
	}
	if resource == NOFILE {
		// Only to clear Go's saved soft limit (it clears it whether or not its call works;
		// on Go 1.23 for amd64 it is the same setrlimit again).
		r := syscall.Rlimit{Cur: l.Cur, Max: l.Max}
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r)
	}
	return nil
}

// Raise makes the soft limit of resource at least min, raising the hard limit to min too when
// it is lower (which needs root). It returns the limit found before; raised is false when the
// soft limit was already at least min (or unlimited). A hard limit that cannot be raised gives
// an error wrapping ErrHardLimit.
func Raise(resource int, min uint64) (before Limit, raised bool, err error) {
	before, err = Get(resource)
	if err != nil {
		return before, false, err
	}
	if before.Cur == Infinity || before.Cur >= min {
		return before, false, nil
	}
	next := Limit{Cur: min, Max: before.Max}
	if before.Max != Infinity && before.Max < min {
		next.Max = min
	}
	if err := Set(resource, next); err != nil {
		if errors.Is(err, syscall.EPERM) {
			err = fmt.Errorf("%w: %w", ErrHardLimit, err)
		}
		return before, false, err
	}
	return before, true, nil
}

func name(resource int) string {
	switch resource {
	case NOFILE:
		return "RLIMIT_NOFILE"
	case NPROC:
		return "RLIMIT_NPROC"
	}
	return fmt.Sprintf("resource %d", resource)
}
