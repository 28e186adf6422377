package ctl

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Exit statuses: supervisorctl's LSB init-script codes.
const (
	ExitSuccess       = 0
	ExitGeneric       = 1 // an action failed, or an unexpected error escaped
	ExitInvalidArgs   = 2 // a bad command line or config file
	ExitUnimplemented = 3 // the server lacks the supervisor namespace
	ExitNoPrivileges  = 4 // the server refused the connection
	ExitNotInstalled  = 5 // the server speaks another API version
	ExitNotRunning    = 7 // a spawn error, a process not running, a socket that does not exist
	// ExitStatusNotRunning and ExitStatusUnknown are what `status` returns when a process it
	// shows is stopped, and when a name is unknown or the server cannot be reached.
	ExitStatusNotRunning = 3
	ExitStatusUnknown    = 4
)

// DefaultServerURL is supervisorctl's server when neither -s nor [supervisorctl] names one.
const DefaultServerURL = "http://localhost:9001"

// DefaultTailBytes is what tail and maintail show without -N: 1600 bytes.
const DefaultTailBytes = 1600

// usage is supervisorctl's -h text; %s is the program name.
const usage = `%s -- control applications run by supervisord-lite from the cmd line.

Usage: %s [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default "http://localhost:9001").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)
--fleet FILE -- run the action on every [server:NAME] of FILE (serverurl=,
     username=, password=); -s may also be given more than once
--json -- print the results as one JSON document (see the README for the schema)
--timeout SECONDS -- each server's time with several servers or --json (default 30)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  If -i is specified or no action is
specified on the command line, a "shell" interpreting actions typed
interactively is started.  Use the action "help" to find out about available
actions.
`

// Options configure a Ctl. The zero value works: supervisorctl's actions on the process's
// standard streams.
type Options struct {
	// Argv0 is the program name in messages ("For help, use supervisorctl -h"); it also
	// anchors the search for a config file when -c is absent (see conf.SearchPaths).
	// Default: os.Args[0].
	Argv0 string
	// Stdin is what the shell reads its command lines from and what `fg` sends to the
	// process; a terminal gets the line editor. Default: os.Stdin.
	Stdin io.Reader
	// Stdout receives the actions' output, Stderr the usage errors and the errors of log
	// streams, as supervisorctl prints them. Defaults: os.Stdout, os.Stderr.
	Stdout, Stderr io.Writer
	// Commands are extra actions, added to supervisorctl's; one with the name of a
	// supervisorctl action replaces it.
	Commands []Command
	// Interrupts delivers the user's Ctrl-C (the caller does signal.Notify(ch,
	// os.Interrupt)): it ends the running action (tail -f, maintail -f, fg) as
	// supervisorctl's KeyboardInterrupt does, and at the shell's prompt it ends the shell.
	// Nil: only the end of Run's context interrupts.
	Interrupts <-chan os.Signal
}

// Ctl is supervisorctl: it parses a command line, reads [supervisorctl] of the config
// file, and runs an action against a supervisord (or supervisord-lite) over XML-RPC. Make it
// with New; it is safe to Run several times, also concurrently.
type Ctl struct {
	opts     Options
	commands map[string]Command
}

// New returns a Ctl with supervisorctl's actions and opts.Commands, defaults applied.
func New(opts Options) *Ctl {
	if opts.Argv0 == "" {
		opts.Argv0 = os.Args[0]
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	c := &Ctl{opts: opts, commands: map[string]Command{}}
	for _, cmd := range builtinCommands() {
		c.commands[cmd.Name] = cmd
	}
	for _, cmd := range opts.Commands {
		c.commands[cmd.Name] = cmd
	}
	return c
}

// Run is supervisorctl: args are the command line without the program name (options, then
// the action and its arguments). With an action it runs it and returns its exit status; with
// none it runs the interactive shell (see the package doc), whose status is always 0.
// Ending ctx ends the run: in one-shot mode it is the user's Ctrl-C (a `tail -f`, `maintail
// -f` or `fg` stops as supervisorctl's does on KeyboardInterrupt; a caller wires SIGINT and
// SIGTERM to it); for the shell, wire SIGINT to Options.Interrupts instead, so that Ctrl-C
// ends an action and not the shell.
func (c *Ctl) Run(ctx context.Context, args []string) int {
	argv0, stdout, stderr := c.opts.Argv0, c.opts.Stdout, c.opts.Stderr
	s, cmdArgs, help, err := parseArgs(argv0, args)
	if help {
		fmt.Fprintf(stdout, usage+"\n", argv0, argv0)
		return ExitSuccess
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error: %s\nFor help, use %s -h\n", err, argv0)
		return ExitInvalidArgs
	}
	if s.fleetMode() {
		if len(cmdArgs) == 0 {
			fmt.Fprintf(stderr, "Error: the interactive shell runs on one server without --json; give an action (try %s help)\n", argv0)
			return ExitInvalidArgs
		}
		return c.runFleet(ctx, s, strings.Join(cmdArgs, " "))
	}
	return c.runOne(ctx, s, cmdArgs)
}

// runOne runs the action of cmdArgs on the one server of s as supervisorctl does, or its
// interactive shell when there is no action.
func (c *Ctl) runOne(ctx context.Context, s Settings, cmdArgs []string) int {
	client, err := rpc.Dial(s.ServerURL, s.Username, s.Password)
	if err != nil {
		fmt.Fprintf(c.opts.Stderr, "Error: %s\nFor help, use %s -h\n", err, c.opts.Argv0)
		return ExitInvalidArgs
	}
	sess := &Session{
		base:       ctx,
		ctx:        ctx,
		out:        c.opts.Stdout,
		errOut:     c.opts.Stderr,
		stdin:      c.opts.Stdin,
		input:      newInput(c.opts.Stdin),
		interrupts: c.opts.Interrupts,
		settings:   s,
		client:     client,
		commands:   c.commands,
	}
	defer func() { sess.client.Close() }() // `open` may have replaced it
	if len(cmdArgs) > 0 {
		// supervisorctl runs the action and exits, also with -i.
		sess.runLine(strings.Join(cmdArgs, " "))
		return sess.exit
	}
	sess.interactive = true
	return sess.shell()
}
