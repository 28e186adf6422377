package rpc

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
)

// connGuard keeps a flood of idle or slow connections from starving other clients of one
// listener. It tracks the connections that serve no request (net/http's StateNew: no complete
// request yet; StateIdle: kept alive between requests) in the order they started waiting;
// when the process has no descriptor left for a new connection (accept fails with EMFILE or
// ENFILE), or more than max are open, the one that has waited longest is closed to make room.
// A connection in the middle of a request or a log stream is never closed by it.
type connGuard struct {
	max    int
	addr   string
	logger *slog.Logger

	mu      sync.Mutex
	open    int                 // accepted and not yet closed (or hijacked)
	waiting map[net.Conn]uint64 // New or Idle, with when they started waiting
	seq     uint64
	short   bool // in an episode of descriptor shortage (logged once)
}

func newConnGuard(max int, addr string, logger *slog.Logger) *connGuard {
	return &connGuard{max: max, addr: addr, logger: logger, waiting: map[net.Conn]uint64{}}
}

// state is the http.Server's ConnState hook.
func (g *connGuard) state(c net.Conn, s http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch s {
	case http.StateNew:
		g.open++
		g.seq++
		g.waiting[c] = g.seq
	case http.StateIdle:
		g.seq++
		g.waiting[c] = g.seq
	case http.StateActive:
		delete(g.waiting, c)
	case http.StateHijacked, http.StateClosed:
		delete(g.waiting, c)
		g.open--
	}
}

// evictOldest closes the connection that has waited longest; false when none waits.
func (g *connGuard) evictOldest() bool {
	g.mu.Lock()
	var oldest net.Conn
	var at uint64
	for c, s := range g.waiting {
		if oldest == nil || s < at {
			oldest, at = c, s
		}
	}
	if oldest != nil {
		delete(g.waiting, oldest)
	}
	g.mu.Unlock()
	if oldest == nil {
		return false
	}
	oldest.Close()
	return true
}

// full reports whether max connections are open.
func (g *connGuard) full() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open >= g.max
}

// shortage logs the start of an episode of descriptor shortage, once.
func (g *connGuard) shortage(err error, evicted bool) {
	g.mu.Lock()
	first := !g.short
	g.short = true
	g.mu.Unlock()
	if first {
		how := "no idle connection to close; accepting waits"
		if evicted {
			how = "closing the connections idle longest to make room"
		}
		g.logger.Warn("XML-RPC server on "+g.addr+": out of file descriptors accepting a connection; "+how, "err", err)
	}
}

func (g *connGuard) accepted() {
	g.mu.Lock()
	g.short = false
	g.mu.Unlock()
}

// guardedListener is a listener whose Accept makes room through its guard.
type guardedListener struct {
	net.Listener
	g *connGuard
}

func (l guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				evicted := l.g.evictOldest()
				l.g.shortage(err, evicted)
				if evicted {
					continue
				}
			}
			return nil, err // net/http retries a temporary error after a pause
		}
		l.g.accepted()
		if l.g.full() {
			l.g.evictOldest()
		}
		return c, nil
	}
}
