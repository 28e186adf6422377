package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// controller runs one supervisorctl command line. Its methods follow supervisorctl's do_*
// functions one for one; a returned error is what supervisorctl lets escape as an exception
// (printed as "error: <class ...>, ..." with exit status 1).
type controller struct {
	ctx      context.Context
	out      io.Writer
	errOut   io.Writer
	in       io.Reader
	settings ctlSettings
	client   *rpc.Client
	exit     int
}

func (c *controller) output(s string) { fmt.Fprint(c.out, s+"\n") }

// call is one XML-RPC call; every call of supervisorctl's is on a fresh proxy.
func (c *controller) call(method string, args ...any) (any, error) {
	return c.client.Call(c.ctx, method, args...)
}

type ctlCommand struct {
	run  func(c *controller, arg string) error
	help []string
}

// ctlCommands are supervisorctl's actions with their help texts.
var ctlCommands map[string]ctlCommand

func init() {
	ctlCommands = map[string]ctlCommand{
		"add":      {(*controller).doAdd, []string{"add <name> [...]\tActivates any updates in config for process/group"}},
		"avail":    {(*controller).doAvail, []string{"avail\t\t\tDisplay all configured processes"}},
		"clear":    {(*controller).doClear, []string{"clear <name>\t\tClear a process' log files.", "clear <name> <name>\tClear multiple process' log files", "clear all\t\tClear all process' log files"}},
		"exit":     {(*controller).doQuit, []string{"exit\tExit the supervisor shell."}},
		"fg":       {(*controller).doFg, []string{"fg <process>\tConnect to a process in foreground mode", "\t\tCtrl-C to exit"}},
		"maintail": {(*controller).doMaintail, []string{"maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\nmaintail -100\tlast 100 *bytes* of supervisord main log file\nmaintail\tlast 1600 *bytes* of supervisor main log file\n"}},
		"open":     {(*controller).doOpen, []string{"open <url>\tConnect to a remote supervisord process.", "\t\t(for UNIX domain socket, use unix:///socket/path)"}},
		"pid":      {(*controller).doPid, []string{"pid\t\t\tGet the PID of supervisord.", "pid <name>\t\tGet the PID of a single child process by name.", "pid all\t\t\tGet the PID of every child process, one per line."}},
		"quit":     {(*controller).doQuit, []string{"quit\tExit the supervisor shell."}},
		"reload":   {(*controller).doReload, []string{"reload \t\tRestart the remote supervisord."}},
		"remove":   {(*controller).doRemove, []string{"remove <name> [...]\tRemoves process/group from active config"}},
		"reread":   {(*controller).doReread, []string{"reread \t\t\tReload the daemon's configuration files without add/remove"}},
		"restart":  {(*controller).doRestart, []string{"restart <name>\t\tRestart a process", "restart <gname>:*\tRestart all processes in a group", "restart <name> <name>\tRestart multiple processes or groups", "restart all\t\tRestart all processes", "Note: restart does not reread config files. For that, see reread and update."}},
		"shutdown": {(*controller).doShutdown, []string{"shutdown \tShut the remote supervisord down."}},
		"signal":   {(*controller).doSignal, []string{"signal <signal name> <name>\t\tSignal a process", "signal <signal name> <gname>:*\t\tSignal all processes in a group", "signal <signal name> <name> <name>\tSignal multiple processes or groups", "signal <signal name> all\t\tSignal all processes"}},
		"start":    {(*controller).doStart, []string{"start <name>\t\tStart a process", "start <gname>:*\t\tStart all processes in a group", "start <name> <name>\tStart multiple processes or groups", "start all\t\tStart all processes"}},
		"status":   {(*controller).doStatus, []string{"status <name>\t\tGet status for a single process", "status <gname>:*\tGet status for all processes in a group", "status <name> <name>\tGet status for multiple named processes", "status\t\t\tGet all process status info"}},
		"stop":     {(*controller).doStop, []string{"stop <name>\t\tStop a process", "stop <gname>:*\t\tStop all processes in a group", "stop <name> <name>\tStop multiple processes or groups", "stop all\t\tStop all processes"}},
		"tail":     {(*controller).doTail, []string{"tail [-f] <name> [stdout|stderr] (default stdout)\nEx:\ntail -f <name>\t\tContinuous tail of named process stdout\n\t\t\tCtrl-C to exit.\ntail -100 <name>\tlast 100 *bytes* of process stdout\ntail <name> stderr\tlast 1600 *bytes* of process stderr"}},
		"update":   {(*controller).doUpdate, []string{"update\t\t\tReload config and add/remove as necessary, and will restart affected programs", "update all\t\tReload config and add/remove as necessary, and will restart affected programs", "update <gname> [...]\tUpdate specific groups"}},
		"version":  {(*controller).doVersion, []string{"version\t\t\tShow the version of the remote supervisord process"}},
		"help":     {(*controller).doHelp, []string{"help\t\tPrint a list of available actions", "help <action>\tPrint help for <action>"}},
		"EOF":      {(*controller).doQuit, []string{"To quit, type ^D or use the quit command"}},
	}
}

func (c *controller) showHelp(name string) {
	for _, l := range ctlCommands[name].help {
		c.output(l)
	}
}

// isIdentChar is Python cmd.Cmd's identchars: letters, digits and '_'.
func isIdentChar(r byte) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// onecmd is supervisorctl's Controller.onecmd: parse the line as cmd.Cmd does, run the
// action, print escaping errors. A 401 runs the action a second time, as supervisorctl's
// non-interactive path does, so the output has its two messages.
func (c *controller) onecmd(line string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	if line[0] == '?' {
		line = "help " + line[1:]
	}
	i := 0
	for i < len(line) && isIdentChar(line[i]) {
		i++
	}
	name, arg := line[:i], strings.TrimSpace(line[i:])
	cmd, ok := ctlCommands[name]
	if name == "" || !ok {
		c.output("*** Unknown syntax: " + line)
		c.exit = exitGeneric
		return
	}
	err := cmd.run(c, arg)
	if err == nil {
		return
	}
	var he *rpc.HTTPError
	if errors.As(err, &he) && he.StatusCode == 401 {
		c.output("Server requires authentication")
		c.exit = exitGeneric
		err = cmd.run(c, arg)
		if err == nil {
			return
		}
	}
	c.output("error: " + pyException(err))
	c.exit = exitGeneric
}

// pyException renders err as supervisorctl prints an escaping exception ("<class '...'>,
// text"), without its trailing ": file: ... line: ..." which names Python source lines.
func pyException(err error) string {
	var f *rpc.Fault
	var he *rpc.HTTPError
	var errno syscall.Errno
	switch {
	case errors.As(err, &f):
		return fmt.Sprintf("<class 'xmlrpc.client.Fault'>, <Fault %d: %s>", f.Code, pyRepr(f.String))
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

// pyRepr is Python's repr() of a str.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// upcheck is supervisorctl's: supervisor.getVersion must answer the API version. It prints
// supervisorctl's texts for a server that is not there and reports false; other failures
// are returned as errors.
func (c *controller) upcheck() (bool, error) {
	v, err := c.call("supervisor.getVersion")
	if err != nil {
		var f *rpc.Fault
		if errors.As(err, &f) {
			if f.Code == rpc.FaultUnknownMethod {
				c.output("Sorry, supervisord responded but did not recognize the supervisor namespace commands that supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is enabled in the configuration file (see sample.conf).")
				c.exit = exitUnimplemented
				return false, nil
			}
			c.exit = exitGeneric
			return false, err
		}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			switch errno {
			case syscall.ECONNREFUSED:
				c.output(c.settings.serverURL + " refused connection")
				c.exit = exitNoPrivileges
				return false, nil
			case syscall.ENOENT:
				c.output(c.settings.serverURL + " no such file")
				c.exit = exitNotRunning
				return false, nil
			}
			c.exit = exitGeneric
		}
		return false, err
	}
	if s, _ := v.(string); s != rpc.APIVersion {
		c.output(fmt.Sprintf("Sorry, this version of supervisorctl expects to talk to a server with API version %s, but the remote version is %s.", rpc.APIVersion, pyStr(v)))
		c.exit = exitNotInstalled
		return false, nil
	}
	return true, nil
}

// setExitFromFault is supervisorctl's set_exitstatus_from_xmlrpc_fault.
func (c *controller) setExitFromFault(code int64, ignored int) {
	switch {
	case code == int64(ignored) || code == rpc.FaultSuccess:
	case code == rpc.FaultSpawnError || code == rpc.FaultAbnormalTermination || code == rpc.FaultNotRunning:
		c.exit = exitNotRunning
	default:
		c.exit = exitGeneric
	}
}

// pyStr is Python's str() of a decoded XML-RPC value, for the few places that print one.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return fmt.Sprint(v)
}

// fieldGetter is what the rpc client decodes an XML-RPC struct to.
type fieldGetter interface {
	Get(name string) (any, bool)
}

// record is one decoded XML-RPC struct (process info, a start/stop result, config info).
type record struct{ v any }

func (r record) str(name string) string {
	if g, ok := r.v.(fieldGetter); ok {
		if x, ok := g.Get(name); ok {
			return pyStr(x)
		}
	}
	return ""
}

func (r record) int(name string) int64 {
	if g, ok := r.v.(fieldGetter); ok {
		if x, ok := g.Get(name); ok {
			switch n := x.(type) {
			case int64:
				return n
			case bool:
				if n {
					return 1
				}
			}
		}
	}
	return 0
}

func (r record) bool(name string) bool {
	if g, ok := r.v.(fieldGetter); ok {
		if x, ok := g.Get(name); ok {
			switch n := x.(type) {
			case bool:
				return n
			case int64:
				return n != 0
			case string:
				return n != ""
			}
		}
	}
	return false
}

// records converts an XML-RPC array of structs.
func records(v any, err error) ([]record, error) {
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("unexpected answer %T where an array was expected", v)
	}
	out := make([]record, len(arr))
	for i, x := range arr {
		out[i] = record{x}
	}
	return out, nil
}

// splitNamespec is supervisord's split_namespec: "g:*" and "g:" give process "".
func splitNamespec(s string) (group, process string) {
	if g, p, ok := strings.Cut(s, ":"); ok {
		if p == "*" {
			p = ""
		}
		return g, p
	}
	return s, s
}

// makeNamespec is supervisord's make_namespec.
func makeNamespec(group, process string) string {
	if group == process {
		return process
	}
	return group + ":" + process
}

// sortedKeys returns the names of the help topics, sorted.
func sortedKeys() []string {
	var names []string
	for n := range ctlCommands {
		if n != "EOF" && n != "help" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
