package supervise

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode"
)

// Socket is a listening socket that the Supervisor creates for a group and gives every process
// of the group as its fd 0 (stdin), as supervisord does for an [fcgi-program:x]: FastCGI
// applications such as php-cgi accept connections on fd 0.
//
// The socket's life is supervisord's reference count: it is created (bound and listening)
// before the first process of the group is spawned, shared by every process that runs, and
// closed when the last one has exited, to be created again at the next spawn. A unix socket
// file is unlinked before each bind and left in place at close, as supervisord leaves it.
// Adding the group creates and closes the socket once, so that a bad address fails the Add.
type Socket struct {
	// Network is "unix" or "tcp" (IPv4, as supervisord's AF_INET).
	Network string
	// Address is the absolute path of a unix socket, or host:port for tcp (the host is
	// resolved at each bind; SO_REUSEADDR is set).
	Address string
	// Backlog is listen(2)'s backlog; 0 = SOMAXCONN.
	Backlog int
	// Mode is the permission of a unix socket file, set after bind; 0 = leave it as the umask
	// made it. supervise/conf fills in supervisord's default 0700.
	Mode os.FileMode
	// Owner, when set, is the uid and gid (-1 = unchanged) a unix socket file is given after
	// bind (needs root for another user); nil = unchanged.
	Owner *[2]int
}

// URL is supervisord's name of the socket: unix:///path or tcp://host:port (the host
// lower-cased), as in its "Creating socket" log lines.
func (s Socket) URL() string {
	if s.Network == "unix" {
		return "unix://" + s.Address
	}
	return "tcp://" + strings.ToLower(s.Address)
}

// validate reports what makes s unusable before any bind is tried.
func (s Socket) validate() error {
	switch s.Network {
	case "unix":
		if !strings.HasPrefix(s.Address, "/") {
			return fmt.Errorf("socket %q: a unix socket needs an absolute path", s.Address)
		}
	case "tcp":
		_, port, err := net.SplitHostPort(s.Address)
		if err != nil {
			return fmt.Errorf("socket %q: %w", s.Address, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("socket %q: bad port %q", s.Address, port)
		}
	default:
		return fmt.Errorf("socket %q: Network is %q, not unix or tcp", s.Address, s.Network)
	}
	if s.Backlog < 0 {
		return fmt.Errorf("socket %q: negative Backlog %d", s.Address, s.Backlog)
	}
	return nil
}

// SocketError is a Socket that could not be created; Err is the cause (an os.SyscallError or
// a resolver error).
type SocketError struct {
	URL string
	Err error
}

// Error is supervisord's text: "Could not create FastCGI socket tcp://h:1: [Errno 98] Address
// already in use".
func (e *SocketError) Error() string {
	return fmt.Sprintf("Could not create FastCGI socket %s: %s", e.URL, pyOSError(e.Err))
}

func (e *SocketError) Unwrap() error { return e.Err }

// pyOSError renders err as Python prints an OSError: "[Errno 98] Address already in use".
func pyOSError(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := []rune(errno.Error())
		if len(msg) > 0 {
			msg[0] = unicode.ToUpper(msg[0])
		}
		text := fmt.Sprintf("[Errno %d] %s", int(errno), string(msg))
		var pe *os.PathError
		if errors.As(err, &pe) {
			text += ": " + pyRepr(pe.Path)
		}
		return text
	}
	return err.Error()
}

// sharedSocket is a group's Socket with supervisord's reference count (socket_manager.py):
// the first acquire creates it, the last release closes it.
type sharedSocket struct {
	spec Socket
	log  func(level slog.Level, format string, args ...any)

	mu   sync.Mutex
	refs int
	file *os.File // the listening socket while refs > 0
}

// acquire returns the listening socket for one spawn; each successful acquire is paired with
// one release.
func (s *sharedSocket) acquire() (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		s.log(slog.LevelInfo, "Creating socket %s", s.spec.URL())
		f, err := listenSocket(s.spec, false)
		if err != nil {
			return nil, &SocketError{URL: s.spec.URL(), Err: err}
		}
		s.file = f
	}
	s.refs++
	return s.file, nil
}

// release drops one reference; the last one closes the socket.
func (s *sharedSocket) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs == 0 {
		return
	}
	s.refs--
	if s.refs == 0 {
		s.log(slog.LevelInfo, "Closing socket %s", s.spec.URL())
		s.file.Close()
		s.file = nil
	}
}

// check creates and closes the socket once unless it is open (supervisord's FastCGIProcessGroup
// does this when the group is made, to fail early).
func (s *sharedSocket) check() error {
	if _, err := s.acquire(); err != nil {
		return err
	}
	s.release()
	return nil
}

// listenSocket binds and listens as supervisord's create_and_bind and _prepare_socket do. The
// file descriptor is blocking (children accept(2) on it) and close-on-exec (each spawn gives it
// to its child as fd 0 only). A tcp host is resolved to IPv4 (supervisord's AF_INET), or with
// ipv6 to IPv6 when it is an IPv6 address or resolves to no IPv4 address (held sockets).
func listenSocket(spec Socket, ipv6 bool) (*os.File, error) {
	var (
		family int
		sa     syscall.Sockaddr
	)
	if spec.Network == "unix" {
		family, sa = syscall.AF_UNIX, &syscall.SockaddrUnix{Name: spec.Address}
		if _, err := os.Lstat(spec.Address); err == nil {
			if err := os.Remove(spec.Address); err != nil {
				return nil, err
			}
		}
	} else {
		host, port, _ := net.SplitHostPort(spec.Address)
		network := "tcp4"
		if ip := net.ParseIP(host); ipv6 && ip != nil && ip.To4() == nil {
			network = "tcp6"
		}
		addr, err := net.ResolveTCPAddr(network, net.JoinHostPort(host, port))
		if err != nil && ipv6 && network == "tcp4" {
			network = "tcp6"
			addr, err = net.ResolveTCPAddr(network, net.JoinHostPort(host, port))
		}
		if err != nil {
			return nil, err
		}
		if network == "tcp6" {
			in := &syscall.SockaddrInet6{Port: addr.Port}
			copy(in.Addr[:], addr.IP.To16())
			family, sa = syscall.AF_INET6, in
		} else {
			in := &syscall.SockaddrInet4{Port: addr.Port}
			copy(in.Addr[:], addr.IP.To4())
			family, sa = syscall.AF_INET, in
		}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	fail := func(err error) (*os.File, error) {
		syscall.Close(fd)
		if spec.Network == "unix" {
			os.Remove(spec.Address)
		}
		return nil, err
	}
	if family != syscall.AF_UNIX {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
			return fail(os.NewSyscallError("setsockopt", err))
		}
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd) // a failed bind made no file: nothing to unlink
		return nil, os.NewSyscallError("bind", err)
	}
	if spec.Network == "unix" {
		if spec.Owner != nil {
			if err := os.Chown(spec.Address, spec.Owner[0], spec.Owner[1]); err != nil {
				return fail(fmt.Errorf("Could not change ownership of socket file: %s", pyOSError(err)))
			}
		}
		if spec.Mode != 0 {
			if err := os.Chmod(spec.Address, spec.Mode); err != nil {
				return fail(fmt.Errorf("Could not change permissions of socket file: %s", pyOSError(err)))
			}
		}
	}
	backlog := spec.Backlog
	if backlog == 0 {
		backlog = syscall.SOMAXCONN
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fail(os.NewSyscallError("listen", err))
	}
	return os.NewFile(uintptr(fd), spec.URL()), nil
}
