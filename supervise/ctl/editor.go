package ctl

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// This file is the shell's line editor on a terminal, in the manner of the GNU readline that
// supervisorctl's shell uses: moving and editing within the line, the history (up and down
// arrows, kept in -r/--history_file), and Tab completion of actions and process and group
// names. Ctrl-C stays a signal (the terminal keeps ISIG), as under readline.

// completeDelims are the characters that end the word Tab completes: Python's readline
// defaults without ':', '*' and '-', which supervisorctl removes ("group:process" and
// "group:*" are one word).
const completeDelims = " \t\n`~!@#$%^&()=+[{]}\\|;'\",<>/?"

// editor reads lines from a terminal.
type editor struct {
	in       *input
	out      io.Writer
	fd       int
	history  []string
	complete func(text, line string) []string // the candidates for text within line
}

// isTerminal reports whether r (a reader or a writer) is a terminal, and returns its
// descriptor.
func isTerminal(r any) (int, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return 0, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return int(f.Fd()), err == nil
}

// setRaw turns off line buffering and echo on fd and returns the function that restores the
// previous mode.
func setRaw(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Lflag &^= unix.ICANON | unix.ECHO | unix.IEXTEN
	raw.Iflag &^= unix.IXON
	raw.Iflag |= unix.ICRNL
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}

// next returns the next key: a rune, or an escape sequence ("\x1b[A").
func (e *editor) next(ctx context.Context, interrupt <-chan os.Signal) (string, error) {
	for {
		if key, n := splitKey(e.in.pending); n > 0 {
			e.in.pending = e.in.pending[n:]
			return key, nil
		}
		ok, err := e.in.more(ctx, interrupt)
		if err != nil {
			return "", err
		}
		if !ok {
			if len(e.in.pending) > 0 { // an incomplete sequence at the end
				key := string(e.in.pending)
				e.in.pending = nil
				return key, nil
			}
			return "", io.EOF
		}
	}
}

// splitKey returns the first key of b and its length, 0 when b holds an incomplete key.
func splitKey(b []byte) (string, int) {
	if len(b) == 0 {
		return "", 0
	}
	if b[0] != 0x1b {
		r := []rune(string(b))
		if len(r) == 0 || (r[0] == 0xfffd && len(b) < 4 && !strings.HasPrefix(string(b), "\ufffd")) {
			return "", 0 // a partial UTF-8 sequence
		}
		n := len(string(r[0]))
		return string(b[:n]), n
	}
	if len(b) < 2 {
		return "", 0
	}
	if b[1] != '[' && b[1] != 'O' {
		return string(b[:2]), 2 // Alt+key
	}
	for i := 2; i < len(b); i++ {
		if b[i] >= 0x40 && b[i] <= 0x7e {
			return string(b[:i+1]), i + 1
		}
	}
	return "", 0
}

// readLine shows prompt and reads one line with editing. It returns io.EOF for Ctrl-D on an
// empty line or the end of the input, errInterrupted for Ctrl-C.
func (e *editor) readLine(ctx context.Context, interrupt <-chan os.Signal, prompt string) (string, error) {
	restore, err := setRaw(e.fd)
	if err != nil {
		return "", err
	}
	defer restore()
	var line []rune
	pos := 0
	hist := len(e.history) // the history entry shown; len = the line being edited
	saved := ""            // the line being edited while the history is browsed
	listNext := false      // the last key was a Tab that completed nothing: the next one lists
	redraw := func() {
		fmt.Fprintf(e.out, "\r%s%s\x1b[K", prompt, string(line))
		if back := len(line) - pos; back > 0 {
			fmt.Fprintf(e.out, "\x1b[%dD", back)
		}
	}
	fmt.Fprint(e.out, prompt)
	for {
		key, err := e.next(ctx, interrupt)
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				fmt.Fprint(e.out, "\r\n")
				e.remember(string(line))
				return string(line), nil
			}
			return "", err
		}
		list := false
		switch key {
		case "\r", "\n":
			fmt.Fprint(e.out, "\r\n")
			e.remember(string(line))
			return string(line), nil
		case "\x04": // Ctrl-D
			if len(line) == 0 {
				return "", io.EOF
			}
			if pos < len(line) {
				line = append(line[:pos], line[pos+1:]...)
			}
		case "\x7f", "\x08": // backspace
			if pos > 0 {
				line = append(line[:pos-1], line[pos:]...)
				pos--
			}
		case "\x1b[3~": // delete
			if pos < len(line) {
				line = append(line[:pos], line[pos+1:]...)
			}
		case "\x01", "\x1b[H", "\x1bOH", "\x1b[1~": // home
			pos = 0
		case "\x05", "\x1b[F", "\x1bOF", "\x1b[4~": // end
			pos = len(line)
		case "\x02", "\x1b[D", "\x1bOD":
			if pos > 0 {
				pos--
			}
		case "\x06", "\x1b[C", "\x1bOC":
			if pos < len(line) {
				pos++
			}
		case "\x15": // Ctrl-U: kill to the start
			line, pos = line[pos:], 0
		case "\x0b": // Ctrl-K: kill to the end
			line = line[:pos]
		case "\x10", "\x1b[A", "\x1bOA": // previous history entry
			if hist > 0 {
				if hist == len(e.history) {
					saved = string(line)
				}
				hist--
				line = []rune(e.history[hist])
				pos = len(line)
			}
		case "\x0e", "\x1b[B", "\x1bOB": // next history entry
			if hist < len(e.history) {
				hist++
				if hist == len(e.history) {
					line = []rune(saved)
				} else {
					line = []rune(e.history[hist])
				}
				pos = len(line)
			}
		case "\t":
			n := len(line)
			line, pos = e.tab(line, pos, listNext)
			list = len(line) == n

		default:
			r := []rune(key)
			if len(r) == 1 && r[0] >= ' ' && r[0] != 0x7f {
				if pos == len(line) { // typed at the end: shown as typed, as readline does
					line = append(line, r[0])
					pos++
					listNext = false
					fmt.Fprint(e.out, key)
					continue
				}
				line = append(line[:pos], append([]rune{r[0]}, line[pos:]...)...)
				pos++
			}
		}
		listNext = list
		redraw()
	}
}

// remember adds line to the history as Python's readline module does after every line it
// reads (the shell's commands, and what fg and the credential prompt read): unless it is
// empty or the same as the last entry.
func (e *editor) remember(line string) {
	if line != "" && (len(e.history) == 0 || e.history[len(e.history)-1] != line) {
		e.history = append(e.history, line)
	}
}

// tab completes the word before pos as readline does: the one candidate, or the candidates'
// common prefix; a Tab that follows a Tab which completed nothing lists them (readline's
// completion_changed_buffer).
func (e *editor) tab(line []rune, pos int, again bool) ([]rune, int) {
	start := pos
	for start > 0 && !strings.ContainsRune(completeDelims, line[start-1]) {
		start--
	}
	text := string(line[start:pos])
	cands := uniqueSorted(e.complete(text, string(line)))
	if len(cands) == 0 {
		fmt.Fprint(e.out, "\a")
		return line, pos
	}
	insert := cands[0]
	if len(cands) > 1 {
		insert = commonPrefix(cands)
	}
	if len(insert) > len(text) {
		rest := []rune(insert[len(text):])
		line = append(line[:pos], append(rest, line[pos:]...)...)
		return line, pos + len(rest)
	}
	if len(cands) > 1 && again {
		fmt.Fprint(e.out, "\r\n")
		for _, row := range columnize(cands, 80) {
			fmt.Fprint(e.out, row+"\r\n")
		}
	} else if len(cands) > 1 {
		fmt.Fprint(e.out, "\a")
	}
	return line, pos
}

func uniqueSorted(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func commonPrefix(list []string) string {
	p := list[0]
	for _, s := range list[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// columnize lays out list as readline lists completions: columns two spaces apart, filled
// across, as many as fit in width.
func columnize(list []string, width int) []string {
	w := 0
	for _, s := range list {
		if len(s) > w {
			w = len(s)
		}
	}
	w += 2
	per := width / w
	if per < 1 {
		per = 1
	}
	rows := (len(list) + per - 1) / per
	out := make([]string, 0, rows)
	for r := 0; r < rows; r++ {
		var b strings.Builder
		for c := 0; c < per; c++ {
			i := r + c*rows
			if i >= len(list) {
				break
			}
			b.WriteString(list[i])
			if c+1 < per && i+rows < len(list) {
				b.WriteString(strings.Repeat(" ", w-len(list[i])))
			}
		}
		out = append(out, b.String())
	}
	return out
}

// setNoEcho turns off echo on fd (a password) and returns the function that restores it.
func setNoEcho(fd int) (restore func(), err error) {
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	t := *old
	t.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &t); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}
