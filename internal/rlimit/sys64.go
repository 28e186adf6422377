//go:build linux && (amd64 || arm64)

package rlimit

import (
	"syscall"
	"unsafe"
)

// On 64-bit Linux struct rlimit is two unsigned longs, as syscall.Rlimit.

func get(resource int) (Limit, error) {
	var r syscall.Rlimit
	_, _, e := syscall.RawSyscall(syscall.SYS_GETRLIMIT, uintptr(resource), uintptr(unsafe.Pointer(&r)), 0)
	if e != 0 {
		return Limit{}, e
	}
	return Limit{Cur: r.Cur, Max: r.Max}, nil
}

func set(resource int, l Limit) error {
	r := syscall.Rlimit{Cur: l.Cur, Max: l.Max}
	_, _, e := syscall.RawSyscall(syscall.SYS_SETRLIMIT, uintptr(resource), uintptr(unsafe.Pointer(&r)), 0)
	if e != 0 {
		return e
	}
	return nil
}
