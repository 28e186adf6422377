package supervise

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Held sockets (Program.Sockets) are listening sockets that the Supervisor creates and keeps,
// and passes to each process that names them as systemd's socket activation does (sd_listen_fds(3)):
// fds 3, 4, ... in the order of Program.Sockets, LISTEN_FDS=n, LISTEN_FDNAMES (the program's
// name once per socket, as systemd names the fds of a unit without FileDescriptorName) and
// LISTEN_PID=the child's own pid. Because the Supervisor keeps the socket, the port stays open
// between a stop and the next start, and after a kill -9: connections wait in the listen
// backlog until the next process accepts them.
//
// A held socket is identified by its URL. It is created when the first program that names it
// is added (a bind error is logged, and each spawn tries again and fails with it), shared by every process that names it, and closed
// (a unix socket file is then removed) when the last of them is removed, or when Serve ends.
// UpdateGroup keeps a socket that the updated program still names. TCP sockets get
// SO_REUSEADDR (never SO_REUSEPORT, which Linux 2.6.32 lacks), so the address can be bound
// again at once after the daemon restarts.
//
// LISTEN_PID must equal the pid of the process reading it (gunicorn 20.1 ignores LISTEN_FDS
// otherwise), and a fork/exec cannot know the child's pid before the fork: a program with held
// sockets is therefore started through `/bin/sh -c 'LISTEN_PID=$$; export LISTEN_PID; exec
// "$0" "$@"' PATH ARGS...`, which sets it and replaces itself with the program (same pid, same
// process group). Its argv[0] is then the resolved path. Programs without Sockets are started
// exactly as before.

// listenShell is the shell that sets LISTEN_PID before exec'ing a program with held sockets.
const listenShell = "/bin/sh"

// listenScript is its script: $$ is the shell's pid, which exec keeps for the program.
const listenScript = `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`

// listenFDsStart is the first inherited fd (systemd's SD_LISTEN_FDS_START).
const listenFDsStart = 3

// heldSocket is one socket of Program.Sockets, shared by the processes that name it.
type heldSocket struct {
	spec Socket
	refs int      // processes that name it
	file *os.File // the listening socket; nil once closed
}

// heldSockets is a Supervisor's table of held sockets, by URL.
type heldSockets struct {
	mu    sync.Mutex
	byURL map[string]*heldSocket
}

// HeldSocketError is a socket of Program.Sockets that could not be created; Err is the cause.
type HeldSocketError struct {
	Program string
	URL     string
	Err     error
}

// Error reads "program web: could not create socket tcp://127.0.0.1:80: [Errno 98] Address
// already in use".
func (e *HeldSocketError) Error() string {
	return fmt.Sprintf("program %s: could not create socket %s: %s", e.Program, e.URL, pyOSError(e.Err))
}

func (e *HeldSocketError) Unwrap() error { return e.Err }

// ParseSocketURL parses one entry of a program's sockets: tcp://HOST:PORT (HOST an IPv4
// address, an IPv6 address in brackets, a host name, or empty for all IPv4 interfaces) or
// unix:///ABSOLUTE/PATH. The error says what is wrong with s.
func ParseSocketURL(s string) (Socket, error) {
	switch {
	case strings.HasPrefix(s, "tcp://"):
		addr := strings.TrimPrefix(s, "tcp://")
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return Socket{}, fmt.Errorf("socket %q: not tcp://HOST:PORT (%v)", s, err)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Socket{}, fmt.Errorf("socket %q: port %q is not 1..65535", s, port)
		}
		return Socket{Network: "tcp", Address: addr}, nil
	case strings.HasPrefix(s, "unix://"):
		path := strings.TrimPrefix(s, "unix://")
		if !strings.HasPrefix(path, "/") {
			return Socket{}, fmt.Errorf("socket %q: a unix socket needs an absolute path (unix:///path)", s)
		}
		return Socket{Network: "unix", Address: path}, nil
	}
	return Socket{}, fmt.Errorf("socket %q: not tcp://HOST:PORT or unix:///PATH", s)
}

// hold takes one reference on each socket of specs for program name and creates those that
// are not open. A socket that cannot be created is logged and tried again at each spawn,
// which fails with the error until it can (the program goes to BACKOFF, then FATAL): a port
// that is taken stops that program, not the Add or the daemon.
func (h *heldSockets) hold(name string, specs []Socket, log func(slog.Level, string, ...any)) []*heldSocket {
	if len(specs) == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byURL == nil {
		h.byURL = map[string]*heldSocket{}
	}
	var out []*heldSocket
	for _, spec := range specs {
		hs := h.byURL[spec.URL()]
		if hs == nil {
			hs = &heldSocket{spec: spec}
			h.byURL[spec.URL()] = hs
		}
		if err := hs.open(name, log); err != nil {
			log(slog.LevelError, "%v", err)
		}
		hs.refs++
		out = append(out, hs)
	}
	return out
}

// open creates the socket unless it is open; h.mu is held.
func (hs *heldSocket) open(name string, log func(slog.Level, string, ...any)) error {
	if hs.file != nil {
		return nil
	}
	log(slog.LevelInfo, "Creating socket %s", hs.spec.URL())
	f, err := listenSocket(hs.spec, true)
	if err != nil {
		return &HeldSocketError{Program: name, URL: hs.spec.URL(), Err: err}
	}
	hs.file = f
	return nil
}

// release drops one reference on each of hs and closes the sockets nobody names any more.
func (h *heldSockets) release(hs []*heldSocket, log func(slog.Level, string, ...any)) {
	if len(hs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseLocked(hs)
	h.sweepLocked(nil, log)
}

// swap releases old and holds specs for program name, in the order that lets an unchanged
// socket stay open and a changed one be bound again: old references are dropped first, the
// sockets that neither the new specs nor anyone else name are closed, then specs are held,
// then what is left unnamed is closed.
func (h *heldSockets) swap(old []*heldSocket, name string, specs []Socket, log func(slog.Level, string, ...any)) []*heldSocket {
	h.mu.Lock()
	h.releaseLocked(old)
	keep := map[string]bool{}
	for _, s := range specs {
		keep[s.URL()] = true
	}
	h.sweepLocked(keep, log)
	h.mu.Unlock()
	out := h.hold(name, specs, log)
	h.mu.Lock()
	h.sweepLocked(nil, log)
	h.mu.Unlock()
	return out
}

func (h *heldSockets) releaseLocked(hs []*heldSocket) {
	for _, s := range hs {
		if s.refs > 0 {
			s.refs--
		}
	}
}

// sweepLocked closes and forgets the sockets with no reference, except those whose URL keep
// names.
func (h *heldSockets) sweepLocked(keep map[string]bool, log func(slog.Level, string, ...any)) {
	for url, hs := range h.byURL {
		if hs.refs == 0 && !keep[url] {
			h.closeLocked(hs, log)
			delete(h.byURL, url)
		}
	}
}

func (h *heldSockets) closeLocked(hs *heldSocket, log func(slog.Level, string, ...any)) {
	if hs.file == nil {
		return
	}
	log(slog.LevelInfo, "Closing socket %s", hs.spec.URL())
	hs.file.Close()
	hs.file = nil
	if hs.spec.Network == "unix" {
		os.Remove(hs.spec.Address)
	}
}

// closeAll closes every held socket (the end of Serve); references stay, so that a later
// spawn, which cannot happen after Serve, would find them closed rather than leak them.
func (h *heldSockets) closeAll(log func(slog.Level, string, ...any)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, hs := range h.byURL {
		h.closeLocked(hs, log)
	}
}

// files returns the files of hs for one spawn of program name, creating those that are not
// open (one that failed at the Add, or after Serve ended); the error is a HeldSocketError.
func (h *heldSockets) files(name string, hs []*heldSocket, log func(slog.Level, string, ...any)) ([]*os.File, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*os.File, len(hs))
	for i, s := range hs {
		if err := s.open(name, log); err != nil {
			return nil, err
		}
		out[i] = s.file
	}
	return out, nil
}

// passSockets gives cmd the process's held sockets as fds 3.. with the LISTEN_* variables,
// and starts it through listenShell so that LISTEN_PID is its own pid. Without held sockets
// cmd is left as it is.
func (p *process) passSockets(cmd *Cmd) error {
	if len(p.held) == 0 {
		return nil
	}
	files, err := p.sv.held.files(p.prog.Name, p.held, p.sv.log)
	if err != nil {
		return err
	}
	env := cmd.Env[:0:0]
	for _, kv := range cmd.Env { // an inherited activation is not this program's
		if !strings.HasPrefix(kv, "LISTEN_PID=") && !strings.HasPrefix(kv, "LISTEN_FDS=") &&
			!strings.HasPrefix(kv, "LISTEN_FDNAMES=") {
			env = append(env, kv)
		}
	}
	names := make([]string, len(files))
	for i := range names {
		names[i] = p.prog.Name
	}
	cmd.Env = append(env, "LISTEN_FDS="+strconv.Itoa(len(files)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
	cmd.ExtraFiles = files
	cmd.Args = append([]string{listenShell, "-c", listenScript, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = listenShell
	return nil
}
