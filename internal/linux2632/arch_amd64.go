package linux2632

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const supported = true

func uintptrOf(p *unix.SockFprog) uintptr { return uintptr(unsafe.Pointer(p)) }

// prGetChildSubreaper is prctl(PR_GET_CHILD_SUBREAPER) as a raw call from this binary's code
// (below 4 GiB, so the filter sees it).
func prGetChildSubreaper(v *int32) syscall.Errno {
	_, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(v)), 0)
	return e
}
