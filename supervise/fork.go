package supervise

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// forkSpawner is the real Spawner: syscall.ForkExec with the child in its own process group,
// pipes for stdin, stdout and stderr, and the exit delivered by the reaper.
type forkSpawner struct{}

var (
	_ Spawner = (*forkSpawner)(nil)
	_ Child   = (*forkChild)(nil)
	_ Child   = (*failedFork)(nil)
)

func (*forkSpawner) acquire() func() { return theReaper.acquire() }

// umaskMu guards the brief umask switch around a fork that needs one (Go's ForkExec has no
// umask attribute; the umask is process-wide): such a fork holds it exclusively, other forks
// (which may run in parallel) share it.
var umaskMu sync.RWMutex

// readBufSize is the size of one read from a child's pipe; buffers are pooled and held only
// while data is being copied, so an idle child costs no buffer.
const readBufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

func (*forkSpawner) Spawn(cmd *Cmd) (Child, error) {
	var parent, child []*os.File
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	// stdout and stderr: the read ends stay raw non-blocking fds for the shared pipe poller
	// (pipepoll.go); the write ends are the child's.
	var raw []int
	closeRaw := func() {
		for _, fd := range raw {
			syscall.Close(fd)
		}
	}
	pipe := func() (r int, w *os.File, err error) {
		var p [2]int
		if err = syscall.Pipe2(p[:], syscall.O_CLOEXEC); err == nil {
			err = syscall.SetNonblock(p[0], true)
			if err != nil {
				syscall.Close(p[0])
				syscall.Close(p[1])
			}
		}
		if err != nil {
			closeAll(parent)
			closeAll(child)
			closeRaw()
			return -1, nil, os.NewSyscallError("pipe2", err)
		}
		raw = append(raw, p[0])
		return p[0], os.NewFile(uintptr(p[1]), "|w"), nil
	}
	// stdin is a plain blocking pipe, kept out of the netpoller: every fd registered with
	// epoll makes each later fork+exec measurably slower (the child closes them all at exec),
	// and writes to stdin are rare (WriteStdin blocks its caller while the pipe is full).
	inR, inW := cmd.Stdin, (*os.File)(nil)
	if inR == nil {
		var fds [2]int
		if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
			return nil, pipeErr(cmd, os.NewSyscallError("pipe2", err))
		}
		inR, inW = os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1")
		parent, child = append(parent, inW), append(child, inR)
	}
	outR, outW, err := pipe()
	if err != nil {
		return nil, pipeErr(cmd, err)
	}
	child = append(child, outW)
	errW := outW
	errR := -1
	if !cmd.RedirectStderr {
		if errR, errW, err = pipe(); err != nil {
			return nil, pipeErr(cmd, err)
		}
		child = append(child, errW)
	}
	attr := &syscall.ProcAttr{
		Dir:   cmd.Dir,
		Env:   cmd.Env,
		Files: append([]uintptr{inR.Fd(), outW.Fd(), errW.Fd()}, extraFds(cmd.ExtraFiles)...),
		Sys:   &syscall.SysProcAttr{Setpgid: true, Credential: cmd.Credential},
	}
	c := &forkChild{stdin: inW, done: make(chan ExitStatus, 1)}
	streams := []int{outR}
	sinks := []io.Writer{cmd.Stdout}
	if errR >= 0 {
		streams, sinks = append(streams, errR), append(sinks, cmd.Stderr)
	}
	c.pending.Store(int32(len(streams) + 1))

	if cmd.Umask != nil {
		umaskMu.Lock()
		old := syscall.Umask(int(*cmd.Umask))
		defer func() { syscall.Umask(old); umaskMu.Unlock() }()
	} else {
		umaskMu.RLock() // no fork may run while another one has switched the umask
		defer umaskMu.RUnlock()
	}
	_, err = theReaper.fork(c, func() (int, error) { return syscall.ForkExec(cmd.Path, cmd.Args, attr) })
	closeAll(child)
	if err != nil {
		closeAll(parent)
		closeRaw()
		switch err {
		case syscall.EAGAIN, syscall.ENOMEM:
			return nil, fmt.Errorf("Too many processes in process table to spawn %s", pyRepr(cmd.name()))
		case syscall.EMFILE, syscall.ENFILE:
			// The fork's own pipe (which carries an exec failure back) found no descriptor:
			// nothing was exec'd, and the command is not at fault.
			return nil, pipeErr(cmd, os.NewSyscallError("fork", err))
		}
		return failedChild(cmd, err), nil
	}
	c.mu.Lock() // exited may run before the streams are registered
	defer c.mu.Unlock()
	for i, fd := range streams {
		if ps, err := pollAdd(fd, sinks[i], c); err == nil {
			c.polled = append(c.polled, ps)
			continue
		}
		// No room in the epoll set: this stream gets its own goroutine.
		f := os.NewFile(uintptr(fd), "|r")
		c.files = append(c.files, f)
		go c.drain(f, sinks[i])
	}
	if c.reaped.Load() {
		c.stopStreams()
	}
	return c, nil
}

// extraFds are the descriptors of Cmd.ExtraFiles.
func extraFds(fs []*os.File) []uintptr {
	out := make([]uintptr, len(fs))
	for i, f := range fs {
		out[i] = f.Fd()
	}
	return out
}

// pollAdd registers an output pipe with the shared poller (a variable so that tests can refuse).
var pollAdd = thePoller.add

func pipeErr(cmd *Cmd, err error) error {
	if errno, ok := err.(*os.SyscallError); ok && (errno.Err == syscall.EMFILE || errno.Err == syscall.ENFILE) {
		return fmt.Errorf("too many open files to spawn %s", pyRepr(cmd.name()))
	}
	return fmt.Errorf("unknown error making dispatchers for %s: %v", pyRepr(cmd.name()), err)
}

// forkChild is a child started by forkSpawner.
type forkChild struct {
	pid     int
	stdin   *os.File
	mu      sync.Mutex    // guards polled and files while Spawn registers them
	polled  []*pipeStream // streams drained through the shared poller
	files   []*os.File    // streams drained by their own goroutine (fallback)
	done    chan ExitStatus
	pending atomic.Int32 // open streams + 1 for the exit
	reaped  atomic.Bool
	status  ExitStatus
}

func (c *forkChild) Pid() int                { return c.pid }
func (c *forkChild) Done() <-chan ExitStatus { return c.done }
func (c *forkChild) Stdin() io.Writer {
	if c.stdin == nil { // fd 0 is the group's Socket
		return nil
	}
	return c.stdin
}

func (c *forkChild) Signal(sig syscall.Signal, group bool) error {
	if c.reaped.Load() {
		return nil
	}
	pid := c.pid
	if group {
		pid = -pid
	}
	err := syscall.Kill(pid, sig)
	if err == syscall.ESRCH {
		return nil
	}
	return err
}

// exited runs in the reaper: it records the status, makes the stream readers drain what is
// left without waiting for EOF (a grandchild may hold the pipe open), and closes stdin.
func (c *forkChild) exited(ws syscall.WaitStatus) {
	c.status = FromWaitStatus(ws)
	c.reaped.Store(true)
	c.mu.Lock()
	c.stopStreams()
	c.mu.Unlock()
	c.stdin.Close()
	c.finishOne()
}

// stopStreams makes every stream read what is left and finish; c.mu is held.
func (c *forkChild) stopStreams() {
	for _, ps := range c.polled {
		ps.close()
	}
	past := time.Unix(1, 0)
	for _, f := range c.files {
		f.SetReadDeadline(past)
	}
}

func (c *forkChild) finishOne() {
	if c.pending.Add(-1) == 0 {
		c.done <- c.status
	}
}

// drain copies one output pipe to w until EOF, or until the child was reaped and what the pipe
// holds has been read.
func (c *forkChild) drain(f *os.File, w io.Writer) {
	defer c.finishOne()
	defer endOfStream(w)
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	var growth pipeGrowth
	for {
		var buf *[]byte
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			growth.before(fd)
			if buf == nil {
				buf = bufPool.Get().(*[]byte)
			}
			for {
				n, rerr = syscall.Read(int(fd), *buf)
				if rerr != syscall.EINTR {
					break
				}
			}
			if rerr == syscall.EAGAIN {
				bufPool.Put(buf)
				buf = nil
				return false
			}
			return true
		})
		if err != nil { // the deadline set by exited: read what is left, then stop
			if buf != nil {
				bufPool.Put(buf)
			}
			rc.Control(func(fd uintptr) {
				b := bufPool.Get().(*[]byte)
				defer bufPool.Put(b)
				for {
					n, err := syscall.Read(int(fd), *b)
					if err == syscall.EINTR {
						continue
					}
					if n <= 0 {
						return
					}
					w.Write((*b)[:n])
				}
			})
			return
		}
		if n > 0 {
			w.Write((*buf)[:n])
		}
		bufPool.Put(buf)
		if n <= 0 || rerr != nil {
			return
		}
		growth.after(n)
	}
}

// pipeGrowth gives a heavy writer a bigger pipe, so that it blocks less and each wake-up moves
// more: a read that found the default pipe full makes the next read raise it to bigPipe first
// (only for such writers, to spare the per-user limit).
type pipeGrowth struct{ full, grown bool }

// before runs before each read of fd.
func (g *pipeGrowth) before(fd uintptr) {
	if g.full && !g.grown {
		g.grown = true
		syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, bigPipe)
	}
}

// after runs after each read, with the bytes it got.
func (g *pipeGrowth) after(n int) { g.full = g.full || n >= pipeSize }

// endOfStream tells w, when it holds an unfinished line (a capture), that its stream ended.
func endOfStream(w io.Writer) {
	if e, ok := w.(interface{ endOfStream() }); ok {
		e.endOfStream()
	}
}

const (
	fSetPipeSz = 1031     // F_SETPIPE_SZ
	pipeSize   = 64 << 10 // Linux's default pipe capacity
	bigPipe    = 1 << 20  // the size given to heavy writers (the default pipe-max-size)
)

// failedChild stands for a fork whose child could not chdir, switch user or exec. supervisord's
// child writes why to its stderr and exits 127, which the parent sees as a quick exit; this
// gives the engine the same: the message in the stderr log and an exit with status 127.
func failedChild(cmd *Cmd, err error) Child {
	what := fmt.Sprintf("couldn't exec %s: %s", cmd.Args[0], errnoName(err))
	if cmd.Dir != "" {
		if _, serr := os.Stat(cmd.Dir); serr != nil {
			what = fmt.Sprintf("couldn't chdir to %s: %s", cmd.Dir, errnoName(err))
		}
	}
	w := cmd.Stderr
	if cmd.RedirectStderr {
		w = cmd.Stdout
	}
	w.Write([]byte("supervisor: " + what + "\nsupervisor: child process was not spawned\n"))
	c := &failedFork{done: make(chan ExitStatus, 1)}
	c.done <- Exit(127)
	return c
}

type failedFork struct{ done chan ExitStatus }

func (c *failedFork) Pid() int                                { return 0 }
func (c *failedFork) Done() <-chan ExitStatus                 { return c.done }
func (c *failedFork) Stdin() io.Writer                        { return nil }
func (c *failedFork) Signal(sig syscall.Signal, g bool) error { return nil }

var errnoNames = map[syscall.Errno]string{
	syscall.ENOENT: "ENOENT", syscall.EACCES: "EACCES", syscall.ENOTDIR: "ENOTDIR",
	syscall.EPERM: "EPERM", syscall.ENOEXEC: "ENOEXEC", syscall.ELOOP: "ELOOP",
	syscall.ENAMETOOLONG: "ENAMETOOLONG", syscall.E2BIG: "E2BIG", syscall.ETXTBSY: "ETXTBSY",
	syscall.EINVAL: "EINVAL", syscall.EIO: "EIO", syscall.EISDIR: "EISDIR",
}

func errnoName(err error) string {
	if e, ok := err.(syscall.Errno); ok {
		if n, ok := errnoNames[e]; ok {
			return n
		}
		return fmt.Sprint(int(e))
	}
	return err.Error()
}
