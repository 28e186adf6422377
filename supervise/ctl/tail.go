package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// This file holds the actions that read logs: tail, maintail and fg.

// tailf is supervisorctl's _tailf: the banner, then the stream of path until the server
// closes it or the user interrupts (the context ends), which prints an empty line.
func (s *Session) tailf(path string) error {
	s.Output("==> Press Ctrl-C to exit <==")
	err := s.client.Tail(s.ctx, path, s.out)
	if s.ctx.Err() != nil {
		s.Output("")
		return nil
	}
	s.tailError(path, err)
	return nil
}

// tailError prints a failed stream as supervisorctl's HTTP client does: on stderr, the URL
// and the reason; the exit status stays.
func (s *Session) tailError(path string, err error) {
	if err == nil {
		return
	}
	u := s.settings.ServerURL + path
	var he *rpc.HTTPError
	if errors.As(err, &he) {
		fmt.Fprintf(s.errOut, "%s Cannot read, status code %d\n", u, he.StatusCode)
		return
	}
	class, text, _ := strings.Cut(pyException(err), ", ")
	fmt.Fprintf(s.errOut, "%s Cannot connect, error: %s (%s)\n", u, class, text)
}

// sizeArg is supervisorctl's int() of the text after '-' in tail -N and maintail -N.
func sizeArg(what string) (int64, bool) {
	n, err := conf.ParseInt(what)
	return int64(n), err == nil
}

func (s *Session) doTail(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	args := strings.Fields(arg)
	switch {
	case len(args) < 1:
		s.usageError("tail", "too few arguments", ExitGeneric)
		return nil
	case len(args) > 3:
		s.usageError("tail", "too many arguments", ExitGeneric)
		return nil
	}
	modifier := ""
	if strings.HasPrefix(args[0], "-") {
		modifier, args = args[0], args[1:]
	}
	var name, channel string
	switch {
	case len(args) == 1:
		name, channel = args[0], "stdout"
	case len(args) > 1:
		name, channel = args[0], strings.ToLower(args[len(args)-1])
		if channel != "stderr" && channel != "stdout" {
			s.Output("Error: bad channel " + ini.Repr(channel))
			s.exit = ExitGeneric
			return nil
		}
	default:
		s.Output("Error: tail requires process name")
		s.exit = ExitGeneric
		return nil
	}
	size := int64(DefaultTailBytes)
	if modifier != "" {
		what := modifier[1:]
		if what == "f" {
			return s.tailf("/logtail/" + name + "/" + channel)
		}
		n, ok := sizeArg(what)
		if !ok {
			s.Output("Error: bad argument " + modifier)
			s.exit = ExitGeneric
			return nil
		}
		size = n
	}
	read := s.client.ReadProcessStdoutLog
	if channel == "stderr" {
		read = s.client.ReadProcessStderrLog
	}
	text, err := read(s.ctx, name, -size, 0)
	if err != nil {
		code, ok := faultCode(err)
		if !ok {
			return err
		}
		s.exit = ExitGeneric
		switch code {
		case rpc.FaultNoFile:
			s.Output(name + ": ERROR (no log file)")
		case rpc.FaultFailed:
			s.Output(name + ": ERROR (unknown error reading log)")
		case rpc.FaultBadName:
			s.Output(name + ": ERROR (no such process name)")
		default:
			return err
		}
		return nil
	}
	s.Output(text)
	return nil
}

func (s *Session) doMaintail(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	args := strings.Fields(arg)
	size := int64(DefaultTailBytes)
	switch {
	case len(args) > 1:
		s.usageError("maintail", "too many arguments", ExitGeneric)
		return nil
	case len(args) == 1:
		if !strings.HasPrefix(args[0], "-") {
			s.Output("Error: bad argument " + args[0])
			s.exit = ExitGeneric
			return nil
		}
		what := args[0][1:]
		if what == "f" {
			return s.tailf("/mainlogtail")
		}
		n, ok := sizeArg(what)
		if !ok {
			s.Output("Error: bad argument " + args[0])
			s.exit = ExitGeneric
			return nil
		}
		size = n
	}
	text, err := s.client.ReadLog(s.ctx, -size, 0)
	if err != nil {
		code, ok := faultCode(err)
		if !ok {
			return err
		}
		s.exit = ExitGeneric
		switch code {
		case rpc.FaultNoFile:
			s.Output("supervisord: ERROR (no log file)")
		case rpc.FaultFailed:
			s.Output("supervisord: ERROR (unknown error reading log)")
		default:
			return err
		}
		return nil
	}
	s.Output(text)
	return nil
}

// lockedWriter serialises the writes of fg's two streams and its own messages.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var _ io.Writer = (*lockedWriter)(nil)

// doFg is supervisorctl's fg: both log streams of a RUNNING process on stdout, each line of
// standard input sent to its stdin, until stdin ends, the process stops, or the user
// interrupts. A stream whose log is NONE is not opened (supervisorctl's fails with a 404 on
// stderr whenever its thread gets to it).
func (s *Session) doFg(arg string) error {
	ok, err := s.upcheck()
	if err != nil || !ok {
		return err
	}
	names := strings.Fields(arg)
	switch {
	case len(names) == 0:
		s.Output("ERROR: no process name supplied")
		s.exit = ExitGeneric
		s.Help("fg")
		return nil
	case len(names) > 1:
		s.Output("ERROR: too many process names supplied")
		s.exit = ExitGeneric
		return nil
	}
	name := names[0]
	info, err := s.client.GetProcessInfo(s.ctx, name)
	if err != nil {
		var f *rpc.Fault
		if !asFault(err, &f) {
			return err
		}
		if f.Code == rpc.FaultBadName {
			s.Output("ERROR: bad process name supplied")
			s.exit = ExitGeneric
		} else {
			s.Output(fmt.Sprintf("ERROR: <Fault %d: %s>", f.Code, ini.Repr(f.String)))
		}
		return nil
	}
	if info.State != supervise.Running {
		s.Output("ERROR: process not running")
		s.exit = ExitGeneric
		return nil
	}
	s.Output("==> Press Ctrl-C to exit <==")

	ctx, cancel := context.WithCancel(s.ctx)
	lw := &lockedWriter{w: s.out}
	prevOut := s.out
	s.out = lw
	var wg sync.WaitGroup
	for ch, logfile := range map[string]string{"stdout": info.StdoutLogfile, "stderr": info.StderrLogfile} {
		if logfile == "" {
			continue // no log to follow: the server would answer 404 at a random moment
		}
		path := "/logtail/" + name + "/" + ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.tailError(path, s.client.Tail(ctx, path, lw))
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
		s.out = prevOut
	}()

	for {
		l, err := s.readLine(s.ctx, nil, "")
		if err != nil { // the end of the input, or Ctrl-C
			s.Output("Exiting foreground")
			return nil
		}
		err = s.client.SendProcessStdin(s.ctx, name, strings.TrimRight(l, "\r")+"\n")
		if err != nil && s.ctx.Err() != nil {
			// Ctrl-C while the line was being sent: supervisorctl's KeyboardInterrupt
			// anywhere in its loop ends fg alone.
			s.Output("Exiting foreground")
			return nil
		}
		if err != nil {
			var f *rpc.Fault
			if !asFault(err, &f) {
				return err
			}
			if f.Code == rpc.FaultNotRunning {
				s.Output("Process got killed")
			} else {
				s.Output(fmt.Sprintf("ERROR: <Fault %d: %s>", f.Code, ini.Repr(f.String)))
			}
			s.Output("Exiting foreground")
			return nil
		}
		info, err := s.client.GetProcessInfo(s.ctx, name)
		if err != nil && s.ctx.Err() != nil {
			s.Output("Exiting foreground")
			return nil
		}
		if err != nil {
			return err
		}
		if info.State != supervise.Running {
			s.Output("Process got killed")
			s.Output("Exiting foreground")
			return nil
		}
	}
}
