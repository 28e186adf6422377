package supervise

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// Syslog defaults (what supervisord 4.2.5 gets from Python's syslog module).
const (
	// DefaultSyslogPath is the local syslog socket (glibc's _PATH_LOG).
	DefaultSyslogPath = "/dev/log"
	// DefaultSyslogTag is the tag of every message: supervisord's syslog messages carry the
	// name of its script, since Python opens the log with ident = basename(argv[0]).
	DefaultSyslogTag = "supervisord"
)

// syslogSendTimeout bounds one send to the syslog socket: a syslog daemon that stopped
// reading costs a drain goroutine at most this long per message, and the message is dropped.
const syslogSendTimeout = 100 * time.Millisecond

// syslogSender sends messages as glibc's syslog(3) does for Python's syslog.syslog(msg):
// facility user, priority info, no pid, "<14>Mmm dd hh:mm:ss TAG: MSG" as one datagram to the
// local socket (a stream socket, when the path is one, gets each message NUL-terminated, as
// glibc sends it). The connection is made at the first message and made again after an
// error; a message that cannot be sent is dropped, as syslog(3) drops it.
type syslogSender struct {
	path  string
	tag   string
	clock Clock

	mu     sync.Mutex
	conn   net.Conn
	stream bool
}

// send sends one message per line of p (after trailing newlines are dropped), each as
// "name line": supervisord's "%(name)s %(message)s" syslog format for child output.
func (s *syslogSender) send(name string, p []byte) {
	s.sendLines(name+" ", p, false)
}

// sendLines sends one message per line of p (after trailing newlines are dropped): prefix,
// the line, and a newline when newline is set (supervisord's SyslogHandler formats each line
// of a record on its own).
func (s *syslogSender) sendLines(prefix string, p []byte, newline bool) {
	p = bytes.TrimRight(p, "\n")
	s.mu.Lock()
	defer s.mu.Unlock()
	stamp := s.clock.Now().Format(time.Stamp)
	for {
		line := p
		i := bytes.IndexByte(p, '\n')
		if i >= 0 {
			line = p[:i]
		}
		msg := make([]byte, 0, len(stamp)+len(s.tag)+len(prefix)+len(line)+11)
		msg = append(msg, "<14>"...)
		msg = append(msg, stamp...)
		msg = append(msg, ' ')
		msg = append(msg, s.tag...)
		msg = append(msg, ": "...)
		msg = append(msg, prefix...)
		msg = append(msg, line...)
		if newline {
			msg = append(msg, '\n')
		}
		s.write(msg)
		if i < 0 {
			return
		}
		p = p[i+1:]
	}
}

// write sends one message, connecting (again) when needed; s.mu is held.
func (s *syslogSender) write(msg []byte) {
	for attempt := 0; attempt < 2; attempt++ {
		if s.conn == nil && !s.connect() {
			return
		}
		if s.stream {
			msg = append(msg, 0)
		}
		s.conn.SetWriteDeadline(time.Now().Add(syslogSendTimeout))
		_, err := s.conn.Write(msg)
		if err == nil {
			return
		}
		if s.stream {
			msg = msg[:len(msg)-1]
		}
		s.conn.Close()
		s.conn = nil
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return // the daemon does not read: drop this one, reconnect for the next
		}
	}
}

// connect dials the syslog socket as a datagram socket, or as a stream socket when the path is
// one (glibc's fallback); it reports whether a connection was made.
func (s *syslogSender) connect() bool {
	c, err := net.Dial("unixgram", s.path)
	if err == nil {
		s.conn, s.stream = c, false
		return true
	}
	if !errors.Is(err, syscall.EPROTOTYPE) {
		return false
	}
	if c, err = net.Dial("unix", s.path); err != nil {
		return false
	}
	s.conn, s.stream = c, true
	return true
}

// close ends the connection, if any.
func (s *syslogSender) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// SyslogWriter sends the supervisor's own log to the local syslog, as supervisord 4.2.5 does
// with logfile=syslog: each Write is one record as LogHandler formats it
// ("2026-11-25 23:23:54,305 INFO message\n"), and each line of the record becomes one message
// with the record's time and level in front and a newline at the end (supervisord formats
// every line with its "%(asctime)s %(levelname)s %(message)s\n"), tagged Tag, facility user,
// priority info whatever the level. Writes never fail: what cannot be sent is dropped, as
// syslog(3) drops it. The zero value works; Close ends the connection.
type SyslogWriter struct {
	// Path is the syslog socket; "" = DefaultSyslogPath.
	Path string
	// Tag is the message tag; "" = DefaultSyslogTag.
	Tag string
	// Clock stamps the messages; nil = real time.
	Clock Clock

	once sync.Once
	s    *syslogSender
}

var _ io.WriteCloser = (*SyslogWriter)(nil)

func (w *SyslogWriter) sender() *syslogSender {
	w.once.Do(func() {
		w.s = &syslogSender{path: w.Path, tag: w.Tag, clock: w.Clock}
		if w.s.path == "" {
			w.s.path = DefaultSyslogPath
		}
		if w.s.tag == "" {
			w.s.tag = DefaultSyslogTag
		}
		if w.s.clock == nil {
			w.s.clock = realClock{}
		}
	})
	return w.s
}

// logPrefixLen is the length of LogHandler's "2026-11-25 23:23:54,305 INFO " prefix.
const logPrefixLen = len("2006-01-02 15:04:05,000 INFO ")

// Write sends the record p; it always reports len(p) written.
func (w *SyslogWriter) Write(p []byte) (int, error) {
	prefix := ""
	body := p
	if len(p) >= logPrefixLen && p[logPrefixLen-1] == ' ' {
		prefix, body = string(p[:logPrefixLen]), p[logPrefixLen:]
	}
	w.sender().sendLines(prefix, body, true)
	return len(p), nil
}

// Close ends the connection to the syslog socket (a later Write connects again).
func (w *SyslogWriter) Close() error {
	w.sender().close()
	return nil
}
