package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Command is one action of ctl, as supervisorctl's do_<name> methods are.
type Command struct {
	// Name is the action's name, the first word of a command line; letters, digits and '_'.
	Name string
	// Help is what `help <name>` prints, one element per output line.
	Help []string
	// Run runs the action with the rest of the command line (arg, trimmed). It prints with
	// s.Output and sets the exit status with s.SetExit. A returned error is one
	// supervisorctl would let escape as an exception: it is printed as "error: <class ...>,
	// ..." and the exit status becomes ExitGeneric. In a fleet command (several servers, or
	// --json) Run runs once per server, concurrently, each in its own Session whose Client
	// and Settings are that server's and whose Context ends at the server's timeout; its
	// output is shown under the server's name (or in ServerReport.Output).
	Run func(s *Session, arg string) error
}

// Session is what an action runs in: the output, the server's client, the settings and the
// exit status of one ctl run.
type Session struct {
	base         context.Context // the run's
	ctx          context.Context // the current command's: base, or one that Ctrl-C ends
	out          io.Writer
	errOut       io.Writer
	stdin        io.Reader
	input        *input
	editor       *editor // the shell's line editor on a terminal, else nil
	interrupts   <-chan os.Signal
	settings     Settings
	client       *rpc.Client
	commands     map[string]Command
	exit         int
	interactive  bool              // the shell runs (a 401 asks for credentials)
	quit         bool              // quit, exit or EOF ran
	completeInfo []rpc.ProcessInfo // the shell's completion data for the current line
	// rec records the output and results of one server's part of a fleet or --json command
	// (out writes into it); nil for supervisorctl's one-server command.
	rec *serverRecord
}

// Context is the current command's context: it ends when the user interrupts (Ctrl-C) or the
// run's context ends.
func (s *Session) Context() context.Context { return s.ctx }

// Client is the XML-RPC client of the server the run talks to.
func (s *Session) Client() *rpc.Client { return s.client }

// Settings are the run's merged command-line and [supervisorctl] settings.
func (s *Session) Settings() Settings { return s.settings }

// Output prints line and a newline on standard output.
func (s *Session) Output(line string) { fmt.Fprint(s.out, line+"\n") }

// SetExit sets the exit status the run returns (one of the Exit* codes).
func (s *Session) SetExit(code int) { s.exit = code }

// Help prints the help text of the action name, nothing for an unknown name.
func (s *Session) Help(name string) {
	for _, l := range s.commands[name].Help {
		s.Output(l)
	}
}

// isIdentChar is Python cmd.Cmd's identchars: letters, digits and '_'.
func isIdentChar(r byte) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// splitCommand parses a command line as Python's cmd.Cmd does: "?" is "help", the name is
// the leading identifier characters, the argument the trimmed rest. line is the trimmed
// line, with "?" replaced.
func splitCommand(line string) (name, arg, trimmed string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return "", "", ""
	}
	if line[0] == '?' {
		line = "help " + line[1:]
	}
	i := 0
	for i < len(line) && isIdentChar(line[i]) {
		i++
	}
	return line[:i], strings.TrimSpace(line[i:]), line
}

// onecmd is supervisorctl's Controller.onecmd: parse the line as cmd.Cmd does, run the
// action, print escaping errors. A 401 runs the action a second time, as supervisorctl's
// non-interactive path does, so the output has its two messages.
func (s *Session) onecmd(line string) {
	name, arg, line := splitCommand(line)
	if line == "" {
		return
	}
	cmd, ok := s.commands[name]
	if name == "" || !ok {
		s.Output("*** Unknown syntax: " + line)
		s.exit = ExitGeneric
		return
	}
	err := cmd.Run(s, arg)
	if err == nil {
		return
	}
	if s.interactive && s.interrupted() {
		// supervisorctl's KeyboardInterrupt escapes an action other than tail -f and fg:
		// the shell prints an empty line and ends.
		s.Output("")
		s.quit = true
		return
	}
	var he *rpc.HTTPError
	if errors.As(err, &he) && he.StatusCode == 401 && s.interactive {
		s.Output("Server requires authentication")
		if s.authenticate() {
			s.onecmd(line)
		}
		return
	}
	if errors.As(err, &he) && he.StatusCode == 401 {
		s.Output("Server requires authentication")
		s.exit = ExitGeneric
		err = cmd.Run(s, arg)
		if err == nil {
			return
		}
	}
	s.exit = ExitGeneric
	if s.rec != nil && s.ctx.Err() != nil {
		s.rec.cut = true // the fleet reports the timeout (or the interrupt) itself
		return
	}
	msg := "error: " + pyException(err)
	s.Output(msg)
	s.rec.fail(msg)
}

// pyException renders err as supervisorctl prints an escaping exception ("<class '...'>,
// text"), without its trailing ": file: ... line: ..." which names Python source lines.
func pyException(err error) string {
	var f *rpc.Fault
	var he *rpc.HTTPError
	var errno syscall.Errno
	switch {
	case errors.As(err, &f):
		return fmt.Sprintf("<class 'xmlrpc.client.Fault'>, <Fault %d: %s>", f.Code, ini.Repr(f.String))
	case errors.As(err, &he):
		return fmt.Sprintf("<class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: %s>", he.Status)
	case errors.As(err, &errno):
		class := "OSError"
		switch errno {
		case syscall.ENOENT:
			class = "FileNotFoundError"
		case syscall.ECONNREFUSED:
			class = "ConnectionRefusedError"
		case syscall.ECONNRESET:
			class = "ConnectionResetError"
		case syscall.EACCES, syscall.EPERM:
			class = "PermissionError"
		case syscall.EPIPE:
			class = "BrokenPipeError"
		case syscall.ETIMEDOUT:
			class = "TimeoutError"
		}
		msg := errno.Error()
		if msg != "" {
			msg = strings.ToUpper(msg[:1]) + msg[1:]
		}
		return fmt.Sprintf("<class '%s'>, [Errno %d] %s", class, int(errno), msg)
	}
	return fmt.Sprintf("<class 'Exception'>, %s", err)
}

// faultCode returns the code of the fault err carries.
func faultCode(err error) (int, bool) {
	var f *rpc.Fault
	if errors.As(err, &f) {
		return f.Code, true
	}
	return 0, false
}

// asFault is errors.As for a fault.
func asFault(err error, f **rpc.Fault) bool { return errors.As(err, f) }

// isErrno reports whether err is (or wraps) the system error errno.
func isErrno(err error, errno syscall.Errno) bool { return errors.Is(err, errno) }

// isFault reports whether err is a fault with code.
func isFault(err error, code int) bool {
	c, ok := faultCode(err)
	return ok && c == code
}

// upcheck is supervisorctl's: supervisor.getVersion must answer the API version. It prints
// supervisorctl's texts for a server that is not there and reports false; other failures
// are returned as errors.
func (s *Session) upcheck() (bool, error) {
	v, err := s.client.GetVersion(s.ctx)
	var de *rpc.DecodeError
	if errors.As(err, &de) {
		// Not a string: supervisorctl compares and prints whatever the server answered.
		err, v = nil, xmlrpc.Str(de.Got)
	}
	if err != nil {
		if code, ok := faultCode(err); ok {
			if code == rpc.FaultUnknownMethod {
				s.Output("Sorry, supervisord responded but did not recognize the supervisor namespace commands that supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is enabled in the configuration file (see sample.conf).")
				s.rec.fail("the server lacks the supervisor namespace")
				s.exit = ExitUnimplemented
				return false, nil
			}
			s.exit = ExitGeneric
			return false, err
		}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			switch errno {
			case syscall.ECONNREFUSED:
				s.Output(s.settings.ServerURL + " refused connection")
				s.rec.fail(s.settings.ServerURL + " refused connection")
				s.exit = ExitNoPrivileges
				return false, nil
			case syscall.ENOENT:
				s.Output(s.settings.ServerURL + " no such file")
				s.rec.fail(s.settings.ServerURL + " no such file")
				s.exit = ExitNotRunning
				return false, nil
			}
			s.exit = ExitGeneric
		}
		return false, err
	}
	if v != rpc.APIVersion {
		s.Output(fmt.Sprintf("Sorry, this version of supervisorctl expects to talk to a server with API version %s, but the remote version is %s.", rpc.APIVersion, v))
		s.rec.fail("the server speaks API version " + v)
		s.exit = ExitNotInstalled
		return false, nil
	}
	return true, nil
}

// setExitFromFault is supervisorctl's set_exitstatus_from_xmlrpc_fault.
func (s *Session) setExitFromFault(code, ignored int) {
	switch {
	case code == ignored || code == rpc.FaultSuccess:
	case code == rpc.FaultSpawnError || code == rpc.FaultAbnormalTermination || code == rpc.FaultNotRunning:
		s.exit = ExitNotRunning
	default:
		s.exit = ExitGeneric
	}
}
