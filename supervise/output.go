package supervise

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/logrotate"
)

// TailBytes is how many of the last bytes of each output stream a process keeps for
// LastOutput (a fixed buffer, whatever the child writes).
const TailBytes = 1024

// output is where one process's stdout and stderr go. Its writers are created when the
// program is added and live as long as the program; the drain goroutines of each spawn write
// into them.
type output struct {
	stdoutPath, stderrPath string // "" for NONE
	stdout, stderr         *capture
}

// capture receives one stream: it writes to the log file (or nowhere), keeps the last
// TailBytes and, if asked, publishes the chunk as an EventLog. The mutex guards the tail ring.
type capture struct {
	sv      *Supervisor
	group   string
	name    string
	channel string // "stdout" or "stderr"
	file    *logrotate.Writer
	events  bool
	syslog  bool         // Log.Syslog
	comm    *commCapture // capture mode (Log.CaptureMaxBytes); nil = off

	mu      sync.Mutex
	ring    *[TailBytes]byte // allocated by the first Write, so a silent program costs nothing
	n       int64            // total bytes seen
	partial []byte           // the unfinished last line, not yet in the file
	stamp   bool             // Log.Timestamps (timestamps.go)
}

// maxPartial is the longest unfinished line held back from the log file; a longer one is
// written as it is.
const maxPartial = 64 << 10

// keepPartial is the capacity of the held-line buffer kept between lines; a buffer grown
// beyond it for a long line is dropped once that line is written, so an idle stream holds at
// most this much.
const keepPartial = 4 << 10

// Write takes one chunk read from the child. The log file gets whole lines only, each batch
// as one write, so a rotation never splits a line between two files: the unfinished end of a
// chunk is held until its newline arrives, the stream ends, or it reaches maxPartial. Events
// and the tail get the bytes at once. Write copies only the unfinished end of p and allocates
// nothing per chunk (unless events are on).
func (c *capture) Write(p []byte) (int, error) { return c.write(p, 0) }

// write is Write with the pid of the spawn that wrote p (0 = unknown), for the log Event.
func (c *capture) write(p []byte, pid int) (int, error) {
	if c.comm != nil {
		c.comm.record(c, p, pid) // capture mode (commcapture.go)
		return len(p), nil
	}
	c.logChunk(c.strip(p), pid, true)
	return len(p), nil
}

// strip applies Options.StripANSI to one chunk.
func (c *capture) strip(p []byte) []byte {
	if !c.sv.opts.StripANSI {
		return p
	}
	return stripEscapes(p)
}

// ansiTerminators end an escape sequence for stripEscapes (supervisord's ANSI_TERMINATORS).
const ansiTerminators = "HfABCDRsuJKhlpm"

// stripEscapes is supervisord's stripEscapes: each ESC [ and everything after it up to and
// including the next terminator letter is removed; a sequence the chunk ends in is dropped to
// the chunk's end.
func stripEscapes(p []byte) []byte {
	i := bytes.Index(p, []byte("\x1b["))
	if i < 0 {
		return p
	}
	out := make([]byte, 0, len(p))
	for i >= 0 {
		out = append(out, p[:i]...)
		rest := p[i+1:]
		j := bytes.IndexAny(rest, ansiTerminators)
		if j < 0 {
			return out
		}
		p = rest[j+1:]
		i = bytes.Index(p, []byte("\x1b["))
	}
	return append(out, p...)
}

// logChunk logs one chunk: to the log file and the tail when toFile, at DEBG and as a log
// Event.
func (c *capture) logChunk(p []byte, pid int, toFile bool) {
	c.mu.Lock()
	if c.file != nil && toFile {
		c.writeLines(p)
	}
	if c.ring == nil && len(p) > 0 {
		c.ring = new([TailBytes]byte)
	}
	q := p
	if !toFile {
		q = nil
	}
	if len(q) > TailBytes {
		c.n += int64(len(q) - TailBytes)
		q = q[len(q)-TailBytes:]
	}
	for len(q) > 0 {
		off := int(c.n % TailBytes)
		k := copy(c.ring[off:], q)
		q = q[k:]
		c.n += int64(k)
	}
	c.mu.Unlock()
	if c.syslog && toFile && len(p) > 0 {
		c.sv.syslog.send(c.name, p)
	}
	if c.debug() {
		c.sv.log(slog.LevelDebug, "'%s' %s output:\n%s", c.name, c.channel, p)
	}
	if c.events {
		c.sv.hub.publish(Event{Kind: EventLog, Time: c.sv.clock.Now(), Group: c.group, Name: c.name,
			Channel: c.channel, Data: append([]byte(nil), p...), Pid: pid})
	}
}

// debug reports whether the supervisor logs at DEBG, checked before formatting so that a
// chunk costs no allocation when it does not.
func (c *capture) debug() bool {
	l := c.sv.logger
	return l != nil && l.Handler().Enabled(context.Background(), slog.LevelDebug)
}

// writeLines is called with c.mu held. It finds the last newline of p only (no per-line
// scanning) and makes one write per chunk: the held unfinished line and the lines that
// complete it go out together as one writev(2) (logrotate's Write2), so p is never copied.
// The logrotate.Writer never fails (disk errors are counted and reported through OnError) and
// never blocks on a full disk.
func (c *capture) writeLines(p []byte) {
	if c.stamp {
		c.writeStamped(p)
		return
	}
	i := bytes.LastIndexByte(p, '\n')
	if i < 0 || len(p)-(i+1) >= maxPartial {
		// No newline, or an unfinished end that is already too long to hold: everything goes
		// out once the held line reaches maxPartial.
		if len(c.partial)+len(p) >= maxPartial {
			c.file.Write2(c.partial, p)
			c.resetPartial()
		} else {
			c.partial = append(c.partial, p...)
		}
		return
	}
	if len(c.partial) > 0 {
		c.file.Write2(c.partial, p[:i+1])
		c.resetPartial()
	} else {
		c.file.Write(p[:i+1])
	}
	if rest := p[i+1:]; len(rest) > 0 {
		if c.partial == nil {
			c.partial = make([]byte, 0, keepPartial)
		}
		c.partial = append(c.partial, rest...)
	}
}

// resetPartial empties the held line, dropping a buffer that grew for a long line.
func (c *capture) resetPartial() {
	if cap(c.partial) > keepPartial {
		c.partial = nil
	} else {
		c.partial = c.partial[:0]
	}
}

func (c *capture) flushLocked() {
	if len(c.partial) > 0 && c.file != nil {
		if c.stamp { // timestamps.go
			c.file.Write(append(c.sv.clock.Now().AppendFormat(nil, stampFormat), c.partial...))
		} else {
			c.file.Write(c.partial)
		}
	}
	c.resetPartial()
}

// endOfStream writes a held unfinished line: the child closed the stream or exited.
func (c *capture) endOfStream() {
	c.mu.Lock()
	c.flushLocked()
	c.mu.Unlock()
}

// last returns a copy of the last bytes written (at most TailBytes).
func (c *capture) last() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ring == nil {
		return nil
	}
	if c.n <= TailBytes {
		return append([]byte(nil), c.ring[:c.n]...)
	}
	off := int(c.n % TailBytes)
	out := make([]byte, 0, TailBytes)
	out = append(out, c.ring[off:]...)
	return append(out, c.ring[:off]...)
}

// newOutput opens (lazily) the log writers of prog; AUTO names a fresh file in the child log
// directory as supervisord's mkstemp does.
func (s *Supervisor) newOutput(group string, prog Program) (*output, error) {
	o := &output{}
	var err error
	o.stdout, o.stdoutPath, err = s.newCapture(group, prog, "stdout", prog.Stdout)
	if err != nil {
		return nil, err
	}
	if prog.RedirectStderr {
		o.stderr = o.stdout
		return o, nil
	}
	o.stderr, o.stderrPath, err = s.newCapture(group, prog, "stderr", prog.Stderr)
	if err != nil {
		o.close()
		return nil, err
	}
	return o, nil
}

func (s *Supervisor) newCapture(group string, prog Program, channel string, l Log) (*capture, string, error) {
	c := &capture{sv: s, group: group, name: prog.Name, channel: channel, events: l.Events, syslog: l.Syslog}
	if l.CaptureMaxBytes > 0 {
		c.comm = &commCapture{maxBytes: int(l.CaptureMaxBytes)}
	}
	path := l.Path
	switch path {
	case LogNone:
		return c, "", nil
	case "", LogAuto:
		var err error
		if path, err = autoLogName(s.childLogDir, prog.Name, channel, s.identifier); err != nil {
			return nil, "", err
		}
	}
	name := prog.Name // not prog: the closure would keep a copy of the whole Program
	c.stamp = l.Timestamps
	c.file = &logrotate.Writer{Filename: path, MaxBytes: l.MaxBytes, Backups: l.Backups,
		Every: l.Every, Compress: l.Compress, MaxAge: l.MaxAge, Now: s.clock.Now,
		OnError: func(err error) {
			s.log(slog.LevelError, "%s log of %s: %v", channel, name, err)
		}}
	return c, path, nil
}

// autoLogName creates <dir>/<name>-<channel>---<identifier>-<8 random chars>.log exclusively
// (supervisord's get_autochildlog_name, which uses mkstemp) and returns its path.
func autoLogName(dir, name, channel, identifier string) (string, error) {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789_"
	for try := 0; try < 100; try++ {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		for i := range b {
			b[i] = letters[int(b[i])%len(letters)]
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%s---%s-%s.log", name, channel, identifier, b[:]))
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("AUTO %s log of %s: %w", channel, name, err)
		}
		f.Close()
		return path, nil
	}
	return "", fmt.Errorf("AUTO %s log of %s: no free name in %s", channel, name, dir)
}

func (o *output) files() []*logrotate.Writer {
	var ws []*logrotate.Writer
	if o.stdout != nil && o.stdout.file != nil {
		ws = append(ws, o.stdout.file)
	}
	if o.stderr != nil && o.stderr != o.stdout && o.stderr.file != nil {
		ws = append(ws, o.stderr.file)
	}
	return ws
}

func (o *output) close() error {
	var errs *multierror.Error
	for _, w := range o.files() {
		if err := w.Close(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return errs.ErrorOrNil()
}

func (o *output) reopen() error {
	var errs *multierror.Error
	for _, w := range o.files() {
		if err := w.Reopen(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return errs.ErrorOrNil()
}

func (o *output) clear() error {
	var errs *multierror.Error
	for _, w := range o.files() {
		if err := w.Clear(); err != nil {
			errs = multierror.Append(errs, err)
		}
	}
	return errs.ErrorOrNil()
}

var _ io.Writer = (*capture)(nil)
