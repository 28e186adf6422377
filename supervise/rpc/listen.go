package rpc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Listener is one place to serve: supervisord's [unix_http_server] or [inet_http_server].
type Listener struct {
	// Network is "unix" (Address is the socket path) or "tcp" (Address is "host:port", or
	// "port" or "*:port" for every interface, as supervisord's port=).
	Network string
	Address string
	// Chmod is the unix socket's mode; 0 = 0700 (supervisord's default).
	Chmod os.FileMode
	// Chown changes the unix socket's owner to UID and GID (-1 keeps one of them).
	Chown    bool
	UID, GID int
	// Username enables HTTP basic auth; Password is plain text or "{SHA}" followed by the hex
	// SHA-1 of the password.
	Username, Password string
	// Listener, when set, is used as is (Network and Address are then only descriptive);
	// Serve closes it.
	Listener net.Listener
}

type openListener struct {
	cfg    Listener
	ln     net.Listener
	remove string // unix socket path to remove on close, if it is still ours
	ino    os.FileInfo
}

func (o *openListener) close() {
	_ = o.ln.Close()
	if o.remove != "" {
		if st, err := os.Stat(o.remove); err == nil && os.SameFile(st, o.ino) {
			_ = os.Remove(o.remove)
		}
	}
}

// ListenerError is a listener that could not be opened.
type ListenerError struct {
	Network, Address string
	Err              error
}

func (e *ListenerError) Error() string {
	return fmt.Sprintf("rpc: cannot listen on %s %s: %v", e.Network, e.Address, e.Err)
}

func (e *ListenerError) Unwrap() error { return e.Err }

// ErrAddrInUse: another server answers on the unix socket.
var ErrAddrInUse = errors.New("another server is already listening on this socket")

func (l Listener) open() (*openListener, error) {
	if l.Listener != nil {
		return &openListener{cfg: l, ln: l.Listener}, nil
	}
	wrap := func(err error) error { return &ListenerError{l.Network, l.Address, err} }
	switch l.Network {
	case "tcp":
		addr := l.Address
		if !strings.Contains(addr, ":") {
			addr = ":" + addr // supervisord's port=9001: every interface
		} else if rest, ok := strings.CutPrefix(addr, "*:"); ok {
			addr = ":" + rest
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, wrap(err)
		}
		return &openListener{cfg: l, ln: ln}, nil
	case "unix":
		ln, err := listenUnix(l)
		if err != nil {
			return nil, wrap(err)
		}
		st, err := os.Stat(l.Address)
		if err != nil {
			ln.Close()
			return nil, wrap(err)
		}
		return &openListener{cfg: l, ln: ln, remove: l.Address, ino: st}, nil
	}
	return nil, wrap(fmt.Errorf("unknown network %q (want unix or tcp)", l.Network))
}

// listenUnix binds the socket as supervisord does: at a temporary name, chmod, then a hard
// link to the real name, which fails if the name exists. An existing socket that answers is
// another live server (ErrAddrInUse); one that does not is stale and is replaced.
func listenUnix(l Listener) (net.Listener, error) {
	mode := l.Chmod
	if mode == 0 {
		mode = 0o700
	}
	tmp := fmt.Sprintf("%s.%d", l.Address, os.Getpid())
	_ = os.Remove(tmp)
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("unix", tmp)
		if err != nil {
			return nil, err
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		fail := func(err error) (net.Listener, error) {
			ln.Close()
			_ = os.Remove(tmp)
			return nil, err
		}
		if err := os.Chmod(tmp, mode); err != nil {
			return fail(err)
		}
		if err := os.Link(tmp, l.Address); err != nil {
			if socketAlive(l.Address) {
				return fail(ErrAddrInUse)
			}
			if attempt >= 3 {
				return fail(err)
			}
			ln.Close()
			_ = os.Remove(tmp)
			_ = os.Remove(l.Address) // stale
			continue
		}
		_ = os.Remove(tmp)
		if l.Chown {
			if err := os.Chown(l.Address, l.UID, l.GID); err != nil {
				_ = os.Remove(l.Address)
				ln.Close()
				if errors.Is(err, syscall.EPERM) {
					return nil, fmt.Errorf("not permitted to chown %s to uid/gid %d:%d: %w", l.Address, l.UID, l.GID, err)
				}
				return nil, err
			}
		}
		return ln, nil
	}
}

// socketAlive reports whether something answers an HTTP request on the unix socket path.
func socketAlive(path string) bool {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		return false
	}
	var b [1]byte
	n, _ := c.Read(b[:])
	return n == 1
}
