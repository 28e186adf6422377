package conf

import (
	"strings"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
)

// splitCommand is Python's shlex.split(s) (POSIX rules, no comments), which supervisord
// applies to command= at each spawn. Errors carry supervisord's spawn error text.
func splitCommand(s string) ([]string, error) {
	var (
		args    []string
		tok     strings.Builder
		inTok   bool
		state   rune // 0, '\'' or '"'
		escaped bool
	)
	fail := func(why string) error {
		return errorf("can't parse command %s: %s", ini.Repr(s), why)
	}
	for _, c := range s {
		switch {
		case escaped:
			if state == '"' && c != '\\' && c != '"' {
				tok.WriteByte('\\')
			}
			tok.WriteRune(c)
			escaped = false
		case state == '\'':
			if c == '\'' {
				state = 0
			} else {
				tok.WriteRune(c)
			}
		case state == '"':
			switch c {
			case '"':
				state = 0
			case '\\':
				escaped = true
			default:
				tok.WriteRune(c)
			}
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if inTok {
				args = append(args, tok.String())
				tok.Reset()
				inTok = false
			}
		case c == '\\':
			escaped, inTok = true, true
		case c == '\'' || c == '"':
			state, inTok = c, true
		default:
			tok.WriteRune(c)
			inTok = true
		}
	}
	switch {
	case escaped:
		return nil, fail("No escaped character")
	case state != 0:
		return nil, fail("No closing quotation")
	}
	if inTok {
		args = append(args, tok.String())
	}
	if len(args) == 0 {
		return nil, errorf("command is empty")
	}
	return args, nil
}
