//go:build !linux

package logrotate

import "os"

// haveWritev: elsewhere Write2 joins its two buffers into one Write.
const haveWritev = false

func writev(f *os.File, p, q []byte) (int, error) {
	return f.Write(append(append([]byte(nil), p...), q...))
}
