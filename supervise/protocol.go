package supervise

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// spawnWriter is an output sink of one spawn that needs the pid of that spawn: the stdout of
// a Program with StdoutProtocol, and a stream with Log.Events or Log.CaptureMaxBytes (the
// Event names the pid).
// The pipe reader may get data before the fork has returned the pid (and a failed exec writes
// its message during the fork), so chunks written before startSpawnWriters are held and
// delivered, in order, once the pid is known. The mutex orders deliveries.
type spawnWriter struct {
	c        *capture
	protocol bool

	mu      sync.Mutex
	pid     int
	started bool
	pending [][]byte
}

// spawnWriters replaces the sinks of cmd that need the spawn's pid.
func spawnWriters(cmd *Cmd, prog *Program) {
	if c, ok := cmd.Stdout.(*capture); ok && (prog.StdoutProtocol || c.events || c.comm != nil) {
		cmd.Stdout = &spawnWriter{c: c, protocol: prog.StdoutProtocol}
	}
	if c, ok := cmd.Stderr.(*capture); ok && (c.events || c.comm != nil) && !prog.RedirectStderr {
		cmd.Stderr = &spawnWriter{c: c}
	}
}

// startSpawnWriters gives the spawn writers of cmd the pid of its child.
func startSpawnWriters(cmd *Cmd, pid int) {
	for _, w := range []io.Writer{cmd.Stdout, cmd.Stderr} {
		if w, ok := w.(*spawnWriter); ok {
			w.mu.Lock()
			w.pid, w.started = pid, true
			for _, p := range w.pending {
				w.deliver(p)
			}
			w.pending = nil
			w.mu.Unlock()
		}
	}
}

// Write delivers p, or holds a copy of it until the pid is known.
func (w *spawnWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		w.pending = append(w.pending, append([]byte(nil), p...))
		return len(p), nil
	}
	w.deliver(p)
	return len(p), nil
}

// deliver is called with w.mu held.
func (w *spawnWriter) deliver(p []byte) {
	c := w.c
	if !w.protocol {
		c.write(p, w.pid)
		return
	}
	if c.file != nil {
		c.mu.Lock()
		c.writeLines(c.strip(p))
		c.mu.Unlock()
	}
	if c.debug() {
		c.sv.log(slog.LevelDebug, "'%s' %s output:\n%s", c.name, c.channel, PyBytesRepr(p))
	}
	if out := c.sv.opts.ProtocolOutput; out != nil {
		out(c.group, c.name, w.pid, p)
	}
}

// endOfStream flushes the held unfinished line of the log file.
func (w *spawnWriter) endOfStream() { w.c.endOfStream() }

var _ io.Writer = (*spawnWriter)(nil)

// PyBytesRepr returns Python 3's repr of p as bytes (b'READY\n'), as supervisord logs what an
// event listener writes.
func PyBytesRepr(p []byte) string {
	quote := byte('\'')
	if strings.IndexByte(string(p), '\'') >= 0 && strings.IndexByte(string(p), '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(p) + 3)
	b.WriteString("b")
	b.WriteByte(quote)
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// SendRemoteComm publishes an EventRemoteComm with typ and data (supervisord's
// sendRemoteCommEvent). It never blocks.
func (s *Supervisor) SendRemoteComm(typ string, data []byte) {
	s.hub.publish(Event{Kind: EventRemoteComm, Time: s.clock.Now(), Type: typ, Data: append([]byte(nil), data...)})
}

// ProtocolStdin returns the stdin of the process group:name if the child running now has
// the given pid, for a protocol peer (an event listener's envelopes): the caller may keep it
// for that pid; once the child has exited, writes to it fail. Unlike WriteStdin it also works
// while the supervisor shuts down, as long as the process is not being stopped. Writes block
// while the child's stdin pipe is full. Errors: ErrNotFound, ErrNotRunning (no child, another
// pid, being stopped).
func (s *Supervisor) ProtocolStdin(group, name string, pid int) (io.Writer, error) {
	spec := group + ":" + name
	procs, single, err := s.lookup("stdin", spec)
	if err != nil {
		return nil, err
	}
	if !single {
		return nil, &ProcessError{Op: "stdin", Name: spec, Err: ErrNotFound}
	}
	proc := procs[0]
	if proc.snap.Load().info.Pid != pid {
		return nil, &ProcessError{Op: "stdin", Name: spec, Err: ErrNotRunning}
	}
	r, err := proc.call(context.Background(), procCmd{kind: cmdStdin})
	if err == nil {
		err = r.err
	}
	if err != nil || r.stdin == nil || proc.snap.Load().info.Pid != pid {
		return nil, &ProcessError{Op: "stdin", Name: spec, Err: ErrNotRunning}
	}
	return r.stdin, nil
}
