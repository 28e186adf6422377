package conf

import (
	"fmt"
	"strconv"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
)

// Error is one configuration error.
type Error struct {
	// Msg is supervisord's message for the problem, without location.
	Msg string
	// Section is the section the problem is in ("" for file-level problems).
	Section string
	// File is the file as supervisord names it: the path given to Load for sections of the
	// main file, the globbed path for sections of an included file.
	File string
	// Line is the line of the offending value (or of the section header when a required
	// value is missing); 0 when there is none.
	Line int
	// Suffixed is true when supervisord itself appends " in section '...' (file: '...')"
	// (errors inside program, eventlistener and fcgi-program sections).
	Suffixed bool
	// Err is the underlying error (an *ini.ParseError, *ini.KeyError, *ini.FormatError...),
	// if any.
	Err error
}

// Supervisord returns exactly the text supervisord 4.2.5 prints after "Error: " for this
// problem (when it is the first one).
func (e *Error) Supervisord() string {
	if e.Suffixed {
		return fmt.Sprintf("%s in section %s (file: %s)", e.Msg, ini.Repr(e.Section), ini.Repr(e.File))
	}
	return e.Msg
}

// Error returns supervisord's text, with " in section '...' (file: '...')" added where
// supervisord omits it, and " at line N".
func (e *Error) Error() string {
	s := e.Supervisord()
	if !e.Suffixed && e.Section != "" {
		s = fmt.Sprintf("%s in section %s (file: %s)", s, ini.Repr(e.Section), ini.Repr(e.File))
	}
	if e.Line > 0 {
		s += " at line " + strconv.Itoa(e.Line)
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

var _ error = (*Error)(nil)

func sig(n int) syscall.Signal { return syscall.Signal(n) }

func itoa(n int) string { return strconv.Itoa(n) }
