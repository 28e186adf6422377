//go:build !(linux && (amd64 || arm64))

package rlimit

import "syscall"

// Elsewhere the syscall package's calls serve (32-bit Linux needs the wider prlimit64 layout
// for values above 4 GiB anyway, and a 2.6.32 kernel there is not a target).

func get(resource int) (Limit, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(resource, &r); err != nil {
		return Limit{}, err
	}
	return Limit{Cur: uint64(r.Cur), Max: uint64(r.Max)}, nil
}

func set(resource int, l Limit) error {
	r := syscall.Rlimit{Cur: l.Cur, Max: l.Max}
	return syscall.Setrlimit(resource, &r)
}
