//go:build !amd64

package linux2632

import (
	"syscall"

	"golang.org/x/sys/unix"
)

const supported = false

func uintptrOf(*unix.SockFprog) uintptr { return 0 }

func prGetChildSubreaper(*int32) syscall.Errno { return syscall.ENOSYS }
