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
	var ed *editor
	if fd, ok := isTerminal(s.stdin); ok {
		ed = &editor{in: s.input, out: s.out, fd: fd, complete: s.completions}
	}
	if ed != nil && s.settings.HistoryFile != "" {
		if data, err := os.ReadFile(s.settings.HistoryFile); err == nil {
			ed.history = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(data) == 0 {
				ed.history = nil
			}
		}
		defer func() {
			data := strings.Join(ed.history, "\n")
			if len(ed.history) > 0 {
				data += "\n"
			}
			_ = os.WriteFile(s.settings.HistoryFile, []byte(data), 0o600)
		}()
	}
	prompt := s.settings.Prompt + "> "
	queue := []string{"status"}
	for !s.quit {
		var line string
		if len(queue) > 0 {
			line, queue = queue[0], queue[1:]
		} else {
			var err error
			if ed != nil {
				line, err = ed.readLine(s.base, s.interrupts, prompt)
				if err == nil && line != "" {
					ed.history = append(ed.history, line)
				}
			} else {
				fmt.Fprint(s.out, prompt)
				line, err = s.input.readLine(s.base, s.interrupts)
			}
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
		s.runLine(line)
		s.completeInfo = nil
	}
	return ExitSuccess
}

// runLine runs one command line with a context that the user's Ctrl-C ends.
func (s *Session) runLine(line string) {
	ctx, cancel := context.WithCancel(s.base)
	done := make(chan struct{})
	go func() {
		select {
		case <-s.interrupts:
			cancel()
		case <-done:
		}
	}()
	s.ctx = ctx
	s.onecmd(line)
	close(done)
	cancel()
	s.ctx = s.base
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
	case words[0] == "help":
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
	fmt.Fprint(s.out, "Username:")
	user, err := s.input.readLine(s.base, s.interrupts)
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
