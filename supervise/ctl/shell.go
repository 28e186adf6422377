package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// shell is supervisorctl's interactive mode (exec_cmdloop): `status` first, then a prompt
// ("supervisor> ", [supervisorctl] prompt=) for one action after another until EOF (Ctrl-D),
// quit or exit, or Ctrl-C at the prompt. Ctrl-C during an action (tail -f, fg) ends the
// action and returns to the prompt. On a terminal the line is edited as with readline, with
// the history of -r/--history_file and Tab completion. The exit status is always 0.
func (s *Session) shell() int {
	// Python's input() uses readline only when both standard input and output are terminals.
	_, outTTY := isTerminal(s.out)
	if fd, ok := isTerminal(s.stdin); ok && outTTY {
		s.editor = &editor{in: s.input, out: s.out, fd: fd, complete: s.completions}
		if s.settings.HistoryFile != "" {
			s.editor.history = readHistory(s.settings.HistoryFile)
			defer func() { writeHistory(s.settings.HistoryFile, s.editor.history) }()
		}
	}
	prompt := s.settings.Prompt + "> "
	queue := []string{"status"}
	for !s.quit {
		var line string
		if len(queue) > 0 {
			line, queue = queue[0], queue[1:]
		} else {
			var err error
			line, err = s.readLine(s.base, s.interrupts, prompt)
			switch {
			case errors.Is(err, io.EOF):
				line = "EOF"
			case errors.Is(err, errInterrupted):
				s.Output("") // supervisorctl's KeyboardInterrupt at the prompt
				return ExitSuccess
			case err != nil:
				return ExitSuccess // the caller's context ended
			}
		}
		// Each line starts on new connections, as supervisorctl's do: a kept-alive one to a
		// server that has gone away would fail with a reset instead of its "no such file".
		s.client.Close()
		s.runLine(line)
		s.completeInfo = nil
	}
	return ExitSuccess
}

// readLine is Python's raw_input(prompt) in the shell: with the line editor on a terminal
// (the line goes into the history, as with Python's readline module), else the prompt and a
// line of the input.
func (s *Session) readLine(ctx context.Context, interrupt <-chan os.Signal, prompt string) (string, error) {
	if s.editor != nil {
		return s.editor.readLine(ctx, interrupt, prompt)
	}
	fmt.Fprint(s.out, prompt)
	return s.input.readLine(ctx, interrupt)
}

// readHistory reads a history file as readline's read_history_file: one entry a line;
// nothing when it cannot be read.
func readHistory(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// writeHistory is readline's write_history_file: every entry and a newline; errors are
// ignored, as supervisorctl ignores them.
func writeHistory(path string, history []string) {
	var b strings.Builder
	for _, h := range history {
		b.WriteString(h + "\n")
	}
	_ = os.WriteFile(path, []byte(b.String()), 0o600)
}

// runLine runs one command line with a context that the user's Ctrl-C ends (its cause is
// errInterrupted).
func (s *Session) runLine(line string) {
	ctx, cancel := context.WithCancelCause(s.base)
	done := make(chan struct{})
	go func() {
		select {
		case <-s.interrupts:
			cancel(errInterrupted)
		case <-done:
		}
	}()
	s.ctx = ctx
	s.onecmd(line)
	close(done)
	cancel(nil)
	s.ctx = s.base
}

// interrupted reports whether the user's Ctrl-C ended the current command.
func (s *Session) interrupted() bool {
	return errors.Is(context.Cause(s.ctx), errInterrupted)
}

// vocabulary is what Tab completes as an action: supervisorctl's vocab (its actions, help)
// and the extra commands, without EOF.
func (s *Session) vocabulary() []string {
	var names []string
	for n := range s.commands {
		if n != "EOF" {
			names = append(names, n)
		}
	}
	return names
}

// completions is supervisorctl's complete(): the candidates (with a trailing space) for
// text, the word being completed within line.
func (s *Session) completions(text, line string) []string {
	words := strings.Fields(line)
	var cands []string
	switch {
	case len(words) == 0 || (len(words) == 1 && !strings.HasSuffix(line, " ")):
		cands = s.vocabulary()
	case strings.Contains("help", words[0]): // supervisorctl's `action in ('help')`, a substring test
		cands = s.vocabulary()
	case words[0] == "add" || words[0] == "remove" || words[0] == "update":
		seen := map[string]bool{}
		for _, info := range s.completionInfo() {
			if !seen[info.Group] {
				seen[info.Group] = true
				cands = append(cands, info.Group)
			}
		}
	case contains([]string{"clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail"}, words[0]):
		seen := map[string]bool{}
		for _, info := range s.completionInfo() {
			if strings.Contains(text, ":") || info.Name != info.Group {
				cands = append(cands, info.Group+":"+info.Name)
				if g := info.Group + ":*"; !seen[g] {
					seen[g] = true
					cands = append(cands, g)
				}
			} else {
				cands = append(cands, info.Name)
			}
		}
	}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, text) {
			out = append(out, c+" ")
		}
	}
	return out
}

// completionInfo is getAllProcessInfo, fetched once per command line (supervisorctl's
// _complete_info); nothing when the server does not answer.
func (s *Session) completionInfo() []rpc.ProcessInfo {
	if s.completeInfo == nil {
		infos, err := s.client.GetAllProcessInfo(s.base)
		if err != nil {
			return nil
		}
		s.completeInfo = infos
	}
	return s.completeInfo
}

// authenticate is the shell's answer to a 401: supervisorctl asks for a user name and a
// password (not echoed on a terminal) and runs the action again with them. It reports
// false when the input ended.
func (s *Session) authenticate() bool {
	user, err := s.readLine(s.base, s.interrupts, "Username:")
	if err != nil {
		return false
	}
	fmt.Fprint(s.out, "Password:")
	restore := func() {}
	if fd, ok := isTerminal(s.stdin); ok {
		if r, err := setNoEcho(fd); err == nil {
			restore = r
		}
	}
	pass, err := s.input.readLine(s.base, s.interrupts)
	restore()
	if err != nil {
		return false
	}
	s.Output("")
	client, err := rpc.Dial(s.settings.ServerURL, user, pass)
	if err != nil {
		return false
	}
	s.client.Close()
	s.client, s.settings.Username, s.settings.Password = client, user, pass
	return true
}
