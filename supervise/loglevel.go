package supervise

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// supervisord's log levels on slog's scale. slog's Debug, Info, Warn and Error are DEBG, INFO,
// WARN and ERRO; these add the three supervisord has beyond them.
const (
	LevelBlather  slog.Level = -12 // BLAT
	LevelTrace    slog.Level = -8  // TRAC
	LevelCritical slog.Level = 12  // CRIT
)

// LevelName returns supervisord's four-letter name of l: CRIT, ERRO, WARN, INFO, DEBG, TRAC or
// BLAT (a level between two names takes the lower one).
func LevelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRIT"
	case l >= slog.LevelError:
		return "ERRO"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	case l >= slog.LevelDebug:
		return "DEBG"
	case l >= LevelTrace:
		return "TRAC"
	}
	return "BLAT"
}

// ParseLevel maps supervisord's loglevel= names (critical, error, warn, info, debug, trace,
// blather; any case) to a level. ok is false for an unknown name.
func ParseLevel(name string) (l slog.Level, ok bool) {
	switch lower(name) {
	case "critical":
		return LevelCritical, true
	case "error":
		return slog.LevelError, true
	case "warn":
		return slog.LevelWarn, true
	case "info":
		return slog.LevelInfo, true
	case "debug":
		return slog.LevelDebug, true
	case "trace":
		return LevelTrace, true
	case "blather":
		return LevelBlather, true
	}
	return 0, false
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// LogHandler is a slog.Handler that writes supervisord's log line format, one line per record:
//
//	2026-11-25 23:23:54,305 INFO spawned: 'exit1' with pid 9685
//
// (local time with milliseconds, the four-letter level, the message). Attributes, if any, follow
// the message as key=value. Each record is one Write to W, so a logrotate.Writer rotates between
// lines, never inside one.
type LogHandler struct {
	// W receives the lines; required.
	W io.Writer
	// Level is the minimum level written; nil = slog.LevelInfo (supervisord's loglevel=info).
	Level slog.Leveler

	mu     *sync.Mutex
	prefix string // pre-formatted attrs from WithAttrs
	group  string
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler returns a LogHandler writing to w at level and above (nil = info).
func NewLogHandler(w io.Writer, level slog.Leveler) *LogHandler {
	return &LogHandler{W: w, Level: level, mu: &sync.Mutex{}}
}

// Enabled reports whether l is at or above the handler's level.
func (h *LogHandler) Enabled(_ context.Context, l slog.Level) bool {
	min := slog.LevelInfo
	if h.Level != nil {
		min = h.Level.Level()
	}
	return l >= min
}

// Handle writes one line.
func (h *LogHandler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 64+len(r.Message))
	buf = AppendLogPrefix(buf, r.Time, r.Level)
	buf = append(buf, r.Message...)
	buf = append(buf, h.prefix...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.group, a)
		return true
	})
	buf = append(buf, '\n')
	if h.mu != nil {
		h.mu.Lock()
		defer h.mu.Unlock()
	}
	_, err := h.W.Write(buf)
	return err
}

// WithAttrs returns a handler that appends attrs to every line.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	b := []byte(h.prefix)
	for _, a := range attrs {
		b = appendAttr(b, h.group, a)
	}
	h2.prefix = string(b)
	return &h2
}

// WithGroup returns a handler that qualifies later attribute keys with name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	if h2.group != "" {
		h2.group += "."
	}
	h2.group += name
	return &h2
}

func appendAttr(b []byte, group string, a slog.Attr) []byte {
	if a.Equal(slog.Attr{}) {
		return b
	}
	b = append(b, ' ')
	if group != "" {
		b = append(b, group...)
		b = append(b, '.')
	}
	b = append(b, a.Key...)
	b = append(b, '=')
	v := a.Value.Resolve().String()
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] == '"' {
			return strconv.AppendQuote(b, v)
		}
	}
	return append(b, v...)
}

// AppendLogPrefix appends supervisord's line prefix for t and l ("2026-11-25 23:23:54,305 INFO ")
// in t's location.
func AppendLogPrefix(b []byte, t time.Time, l slog.Level) []byte {
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	ms := t.Nanosecond() / 1e6
	b = append(b, ',', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), ' ')
	b = append(b, LevelName(l)...)
	return append(b, ' ')
}
