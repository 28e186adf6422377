package eventlistener

import (
	"bytes"
	"errors"
	"log/slog"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// DefaultBufferSize is supervisord's buffer_size default: events a pool holds while no
// listener is ready.
const DefaultBufferSize = 10

// ErrRejected is what a ResultHandler returns (or wraps) to reject an event: the listener goes
// back to ACKNOWLEDGED and the event is put back at the head of the pool's buffer
// (supervisord's RejectEvent).
var ErrRejected = errors.New("event rejected")

// ResultHandler judges a listener's RESULT body for an event (supervisord's result_handler):
// nil = processed; an error wrapping ErrRejected = rejected (re-sent later); any other error =
// the listener caused an error: it goes to UNKNOWN and the event is re-sent to another one.
type ResultHandler func(e *Event, result []byte) error

// DefaultResultHandler is supervisord's default_handler: "OK" is processed, anything else is
// rejected.
func DefaultResultHandler(_ *Event, result []byte) error {
	if string(result) != "OK" {
		return ErrRejected
	}
	return nil
}

// PoolConfig is one [eventlistener:x] pool: the group whose processes are its listeners.
type PoolConfig struct {
	// Name is the pool's name, which is also the name of the supervise group of its listeners
	// (each a Program with StdoutProtocol set).
	Name string
	// Events are the event type names the pool subscribes to (abstract ones included), as in
	// events=. An event is delivered when Is(event, one of them).
	Events []string
	// BufferSize is how many events the pool holds; when full, the oldest is dropped and
	// logged. 0 = DefaultBufferSize.
	BufferSize int
	// ResultHandler judges results; nil = DefaultResultHandler.
	ResultHandler ResultHandler
	// Priority is the priority of the pool's processes (supervisord's priority=, which
	// supervise/conf defaults to -1 for [eventlistener:x]). An event rejected by a listener
	// (FAIL, a bad RESULT line, an exit while BUSY) goes back to the head of the buffer of
	// every active pool of the same priority, the listener's own included: supervisord
	// compares processes by priority when it looks for the pool of the rejecting one.
	Priority int
}

// pool is the state of one active pool; owned by the Bus's loop.
type pool struct {
	b         *Bus
	cfg       PoolConfig
	serial    int
	buffer    []*Event
	listeners map[string]*listener
}

// listener is the protocol state of one listener process (supervisord's
// PEventListenerDispatcher and the process's listener_state and event).
type listener struct {
	name      string
	pid       int   // the spawn the state belongs to; 0 = none (exited)
	dead      []int // recent pids of earlier spawns, whose late output is ignored
	state     ListenerState
	buf       []byte // supervisord's state_buffer
	result    []byte
	resultLen int // -1 = the RESULT line is not read yet
	event     *Event
}

func newPool(b *Bus, cfg PoolConfig) *pool {
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = DefaultBufferSize
	}
	if cfg.ResultHandler == nil {
		cfg.ResultHandler = DefaultResultHandler
	}
	return &pool{b: b, cfg: cfg, serial: -1, listeners: map[string]*listener{}}
}

// wants reports whether the pool subscribes to events of type name.
func (p *pool) wants(name string) bool {
	for _, t := range p.cfg.Events {
		if Is(name, t) {
			return true
		}
	}
	return false
}

func (p *pool) listener(name string) *listener {
	l := p.listeners[name]
	if l == nil {
		l = &listener{name: name, state: Acknowledged, resultLen: -1}
		p.listeners[name] = l
	}
	return l
}

// accept is supervisord's _acceptEvent: serials on first acceptance, "rebuffering" when the
// event comes back, the oldest event dropped when the buffer is full.
func (p *pool) accept(e *Event, head bool) {
	if e.serial < 0 {
		e.serial = p.b.nextSerial()
	}
	if e.poolSerials == nil {
		e.poolSerials = map[string]int{}
	}
	if _, ok := e.poolSerials[p.cfg.Name]; !ok {
		p.serial++
		e.poolSerials[p.cfg.Name] = p.serial
	} else {
		p.b.logf(slog.LevelDebug, "rebuffering event %d for pool %s (buf size=%d, max=%d)",
			e.serial, p.cfg.Name, len(p.buffer), p.cfg.BufferSize)
	}
	if len(p.buffer) >= p.cfg.BufferSize && len(p.buffer) > 0 {
		dropped := p.buffer[0]
		p.buffer = p.buffer[1:]
		p.b.logf(slog.LevelError, "pool %s event buffer overflowed, discarding event %d", p.cfg.Name, dropped.serial)
	}
	if head {
		p.buffer = append([]*Event{e}, p.buffer...)
	} else {
		p.buffer = append(p.buffer, e)
	}
}

// dispatch is supervisord's pool transition: when a running listener is READY, send the
// oldest events until none can be sent.
func (p *pool) dispatch() {
	infos := p.b.status(p.cfg.Name)
	capable := false
	for _, in := range infos {
		if l := p.listeners[in.Name]; l != nil && in.State == supervise.Running && l.pid == in.Pid && l.state == Ready {
			capable = true
		}
	}
	if !capable {
		return
	}
	for len(p.buffer) > 0 {
		e := p.buffer[0]
		if !p.send(e, infos) {
			// supervisord pops the event and accepts it back at the head, which logs this
			// and, with one event fewer than the maximum, never overflows: the event stays.
			p.b.logf(slog.LevelDebug, "rebuffering event %d for pool %s (buf size=%d, max=%d)",
				e.serial, p.cfg.Name, len(p.buffer)-1, p.cfg.BufferSize)
			break
		}
		p.buffer[0] = nil
		p.buffer = p.buffer[1:]
	}
}

// send gives e to the first running READY listener (supervisord's _dispatchEvent).
func (p *pool) send(e *Event, infos []supervise.ProcessInfo) bool {
	for _, in := range infos {
		l := p.listeners[in.Name]
		if l == nil || in.State != supervise.Running || l.pid != in.Pid || l.state != Ready {
			continue
		}
		p.b.write(p.cfg.Name, l.name, l.pid, Envelope(p.b.identifier, p.cfg.Name, e.serial, e.poolSerials[p.cfg.Name], e))
		l.state = Busy
		l.event = e
		p.b.logf(slog.LevelDebug, "event %d sent to listener %s", e.serial, l.name)
		return true
	}
	return false
}

// rejected puts an event a listener of p did not process back at the head of the buffer of
// every pool of p's priority (supervisord's handle_rejected with its priority equality).
func (p *pool) rejected(e *Event) {
	if e == nil {
		return
	}
	for _, q := range p.b.pools {
		if q.cfg.Priority == p.cfg.Priority {
			q.accept(e, true)
		}
	}
}

// spawned starts the protocol state of a new spawn of a listener (a new dispatcher in
// supervisord): ACKNOWLEDGED, nothing buffered.
func (p *pool) spawned(l *listener, pid int) {
	if l.event != nil {
		e := l.event
		l.event = nil
		p.rejected(e)
	}
	l.pid, l.state, l.buf, l.result, l.resultLen = pid, Acknowledged, nil, nil, -1
}

// exited is supervisord's finish for a listener: an event it was processing goes back to the
// head of the buffer.
func (p *pool) exited(l *listener, pid int) {
	if pid == 0 || pid != l.pid {
		return
	}
	l.dead = append(l.dead, pid)
	if len(l.dead) > 8 {
		l.dead = l.dead[1:]
	}
	l.pid = 0
	if l.event != nil {
		e := l.event
		l.event = nil
		p.rejected(e)
	}
}

// output takes what the listener's spawn pid wrote to stdout.
func (p *pool) output(name string, pid int, data []byte) {
	l := p.listener(name)
	for _, d := range l.dead {
		if d == pid {
			return
		}
	}
	if pid != l.pid {
		p.spawned(l, pid)
	}
	l.buf = append(l.buf, data...)
	p.handle(l)
}

// handle is supervisord's handle_listener_state_change, as a loop.
func (p *pool) handle(l *listener) {
	const ready = "READY\n"
	const resultToken = len("RESULT ")
	for len(l.buf) > 0 {
		switch l.state {
		case Unknown:
			l.buf = nil
			return
		case Acknowledged:
			if len(l.buf) < len(ready) {
				return
			}
			if bytes.HasPrefix(l.buf, []byte(ready)) {
				p.change(l, Ready)
				l.buf = l.buf[len(ready):]
			} else {
				p.change(l, Unknown)
				l.buf = nil
			}
			l.event = nil
		case Ready:
			// spurious data: supervisord is strict about it
			p.change(l, Unknown)
			l.buf = nil
			l.event = nil
			return
		case Busy:
			if l.resultLen < 0 {
				pos := bytes.IndexByte(l.buf, '\n')
				if pos < 0 {
					return
				}
				line := l.buf[:pos]
				l.buf = l.buf[pos+1:]
				n, ok := pyInt(line[min(resultToken, len(line)):])
				if !ok {
					p.b.logf(slog.LevelWarn, "%s: bad result line: '%s'", l.name, text(line))
					p.change(l, Unknown)
					l.buf = nil
					e := l.event
					l.event = nil
					p.rejected(e)
					return
				}
				l.resultLen = n
			} else {
				if needed := l.resultLen - len(l.result); needed != 0 {
					// Python's slices, also for a negative RESULT length (which never completes)
					k := needed
					if k < 0 {
						k = max(len(l.buf)+k, 0)
					}
					k = min(k, len(l.buf))
					l.result = append(l.result, l.buf[:k]...)
					l.buf = l.buf[k:]
				}
				if l.resultLen == len(l.result) {
					p.result(l, l.result)
					l.event = nil
					l.result = nil
					l.resultLen = -1
				}
			}
		}
	}
}

// result is supervisord's handle_result.
func (p *pool) result(l *listener, result []byte) {
	err := p.cfg.ResultHandler(l.event, result)
	switch {
	case err == nil:
		p.b.logf(slog.LevelDebug, "%s: event was processed", l.name)
		p.change(l, Acknowledged)
	case errors.Is(err, ErrRejected):
		p.b.logf(slog.LevelWarn, "%s: event was rejected", l.name)
		p.change(l, Acknowledged)
		p.rejected(l.event)
	default:
		p.b.logf(slog.LevelWarn, "%s: event caused an error", l.name)
		p.change(l, Unknown)
		p.rejected(l.event)
	}
}

// change is supervisord's _change_listener_state, with its log lines.
func (p *pool) change(l *listener, to ListenerState) {
	p.b.logf(slog.LevelDebug, "%s: %s -> %s", l.name, l.state, to)
	l.state = to
	if to == Unknown {
		p.b.logf(slog.LevelWarn, "%s: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol", l.name)
	}
}

// pyInt parses as Python's int() parses a bytes RESULT length: surrounding whitespace, an
// optional sign, decimal digits with single underscores between them.
func pyInt(b []byte) (int, bool) {
	s := bytes.TrimSpace(b)
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 || s[0] == '_' || s[len(s)-1] == '_' {
		return 0, false
	}
	n := 0
	for i, c := range s {
		switch {
		case c == '_':
			if s[i-1] == '_' {
				return 0, false
			}
		case c >= '0' && c <= '9':
			if n < 1<<31 { // beyond that a result never completes anyway
				n = n*10 + int(c-'0')
			}
		default:
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}
