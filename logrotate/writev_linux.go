package logrotate

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// haveWritev: Write2 reaches a regular file as one writev(2).
const haveWritev = true

// writev writes p and q to the regular file f with writev(2), resuming after a short write as
// f.Write does, and returns the bytes written.
func writev(f *os.File, p, q []byte) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	cerr := rc.Write(func(fd uintptr) bool {
		for len(p)+len(q) > 0 {
			var iov [2]syscall.Iovec
			cnt := 0
			for _, b := range [2][]byte{p, q} {
				if len(b) > 0 {
					iov[cnt].Base = &b[0]
					iov[cnt].SetLen(len(b))
					cnt++
				}
			}
			r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(cnt))
			if e == syscall.EINTR {
				continue
			}
			if e != 0 {
				werr = &os.PathError{Op: "write", Path: f.Name(), Err: e}
				return true
			}
			if r == 0 {
				werr = &os.PathError{Op: "write", Path: f.Name(), Err: io.ErrShortWrite}
				return true
			}
			k := int(r)
			n += k
			if k >= len(p) {
				k -= len(p)
				p, q = nil, q[k:]
			} else {
				p = p[k:]
			}
		}
		return true
	})
	if werr == nil {
		werr = cerr
	}
	return n, werr
}
