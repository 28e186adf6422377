package supervise

import (
	"io"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Child output is drained by short-lived goroutines: a stream with nothing to read waits in one
// epoll set shared by every child (one goroutine for all of them), and gets a goroutine only
// while its pipe has data. 500 idle programs cost one waiting goroutine, not 1000 parked ones
// with their stacks.
//
// A stream is registered EPOLLONESHOT: when its pipe becomes readable the poller disarms it and
// starts a reader, which reads until the pipe is empty (EAGAIN) and then re-arms it, or until
// EOF, or, once the child was reaped, until the pipe is empty (a grandchild may keep it open).

// pipeStream is one output pipe of a child.
type pipeStream struct {
	id    uint64
	fd    int
	w     io.Writer
	child *forkChild

	mu      sync.Mutex
	reading bool // a reader goroutine owns the stream
	closing bool // the child was reaped: read what is left, then finish
	done    bool

	growth pipeGrowth // only the reader touches it

	// emptied, when set (by tests), runs when a read finds the pipe empty, before the reader
	// looks at closing.
	emptied func()
}

// pipePoller is the shared epoll set. It runs while at least one stream is registered.
type pipePoller struct {
	mu      sync.Mutex
	epfd    int
	wake    int // eventfd that ends wait when the last stream is gone
	streams map[uint64]*pipeStream
	nextID  uint64
	running bool
}

var thePoller = &pipePoller{streams: map[uint64]*pipeStream{}}

// wakeID is the epoll data of the eventfd (stream ids start at 1).
const wakeID = 0

// add registers fd (non-blocking, close-on-exec) and arms it; the stream owns fd from then on.
// On an error fd is left to the caller.
func (p *pipePoller) add(fd int, w io.Writer, c *forkChild) (*pipeStream, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		if err := p.start(); err != nil {
			return nil, err
		}
	}
	p.nextID++
	s := &pipeStream{id: p.nextID, fd: fd, w: w, child: c}
	if err := p.arm(unix.EPOLL_CTL_ADD, s); err != nil {
		if len(p.streams) == 0 {
			p.stopLocked()
		}
		return nil, err
	}
	p.streams[s.id] = s
	return s, nil
}

// start creates the epoll set and its wait goroutine; p.mu is held.
func (p *pipePoller) start() error {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setEventID(&ev, wakeID)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(wake)
		unix.Close(epfd)
		return err
	}
	p.epfd, p.wake, p.running = epfd, wake, true
	go p.wait(epfd, wake)
	return nil
}

// stopLocked ends the wait goroutine (it closes the epoll set and the eventfd); p.mu is held.
func (p *pipePoller) stopLocked() {
	var one = [8]byte{1}
	unix.Write(p.wake, one[:])
	p.running = false
}

// wait dispatches readiness until it is told to stop.
func (p *pipePoller) wait(epfd, wake int) {
	defer unix.Close(wake)
	defer unix.Close(epfd)
	events := make([]unix.EpollEvent, 64)
	for {
		n, err := unix.EpollWait(epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return // EBADF/EINVAL: cannot happen while we own epfd
		}
		for i := 0; i < n; i++ {
			id := eventID(&events[i])
			if id == wakeID {
				return
			}
			p.mu.Lock()
			s := p.streams[id]
			p.mu.Unlock()
			if s != nil {
				s.dispatch()
			}
		}
	}
}

// dispatch starts a reader unless one already owns the stream.
func (s *pipeStream) dispatch() {
	s.mu.Lock()
	if s.reading || s.done {
		s.mu.Unlock()
		return
	}
	s.reading = true
	s.mu.Unlock()
	go s.read()
}

// close makes the stream read what is left and finish: the child was reaped. A reader that
// owns the stream already sees closing when the pipe is empty.
func (s *pipeStream) close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.dispatch()
}

// read owns the stream: it copies the pipe to w until it is empty, then re-arms it, or
// finishes at EOF, on an error, or when the pipe is empty after the child was reaped.
//
// "Empty after the child was reaped" needs a read that began after closing was seen: a read
// that found the pipe empty may be followed by the child's last write, its exit and the
// reaper's close before the reader looks at closing (the soak lost a writer's last line so,
// about once in a thousand stops).
func (s *pipeStream) read() {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	sawClosing := false
	for {
		s.growth.before(uintptr(s.fd))
		n, err := syscall.Read(s.fd, *buf)
		if err == syscall.EINTR {
			continue
		}
		if n > 0 {
			s.w.Write((*buf)[:n])
			s.growth.after(n)
			continue
		}
		if err == syscall.EAGAIN {
			if s.emptied != nil {
				s.emptied()
			}
			s.mu.Lock()
			if !s.closing {
				s.reading = false // under s.mu: a dispatch waits for it, then starts a reader
				if thePoller.rearm(s) == nil {
					s.mu.Unlock()
					return
				}
				s.reading = true // cannot wait for more data: finish
			} else if !sawClosing {
				sawClosing = true // read once more: the pipe may have filled since
				s.mu.Unlock()
				continue
			}
			s.mu.Unlock()
		}
		s.finish() // EOF, a read error, or reaped and empty
		return
	}
}

// rearm waits for the stream's next data; s.mu is held.
func (p *pipePoller) rearm(s *pipeStream) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.arm(unix.EPOLL_CTL_MOD, s)
}

// arm registers (op EPOLL_CTL_ADD) or re-arms (EPOLL_CTL_MOD) s for one readiness event; p.mu
// is held.
func (p *pipePoller) arm(op int, s *pipeStream) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT}
	setEventID(&ev, s.id)
	return unix.EpollCtl(p.epfd, op, s.fd, &ev)
}

// finish unregisters and closes the stream, flushes a held line, and tells the child.
func (s *pipeStream) finish() {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return
	}
	s.done = true
	s.mu.Unlock()
	p := thePoller
	p.mu.Lock()
	unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	unix.Close(s.fd)
	delete(p.streams, s.id)
	if len(p.streams) == 0 && p.running {
		p.stopLocked()
	}
	p.mu.Unlock()
	endOfStream(s.w)
	s.child.finishOne()
}

// setEventID stores a 64-bit id in the event's data (Fd and Pad are its two halves).
func setEventID(ev *unix.EpollEvent, id uint64) {
	ev.Fd, ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
}

func eventID(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}
