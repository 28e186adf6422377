// Package ctl is supervisorctl as a package: the one-shot mode of Debian's supervisorctl
// 4.2.5 (the same options, actions, output texts and exit statuses), talking XML-RPC to a
// supervisord or a supervisord-lite through the typed client of supervise/rpc.
//
//	c := ctl.New(ctl.Options{Argv0: "supervisorctl"})
//	os.Exit(c.Run(ctx, os.Args[1:])) // e.g. -c /etc/supervisord.conf status
//
// New builds the table of actions (status, start, stop, restart, signal, pid, tail,
// maintail, fg, clear, avail, reread, update, add, remove, reload, shutdown, version, open,
// help, quit/exit/EOF) from supervisorctl's and Options.Commands: a program adds its own
// actions there (supervisord-lite adds explain and ps). There is no registry and no
// package-level state; each Run is independent.
//
// The settings come from the command line (-c, -s, -u, -p, parsed with Python getopt's rules)
// and from the [supervisorctl] section of the config file (-c, or the first of supervisord's
// search paths that exists); only that section is read, so a broken [program:x] does not stop
// ctl. Errors that supervisorctl lets escape as Python exceptions are printed as it prints
// them ("error: <class 'FileNotFoundError'>, [Errno 2] No such file or directory"), without
// the Python source location.
//
// # Several servers
//
// -s given more than once, or --fleet FILE (an INI file of [server:NAME] sections with
// serverurl, username, password; see ReadFleet), makes a fleet command: the action runs on
// every server at once, each with its own client and a timeout (--timeout SECONDS, default
// DefaultTimeout). status prints the servers' answers merged, the server's name as the first
// column; other actions print each server's output under "NAME:". A server that is down or
// does not answer in time is reported and the others still act; the exit status is the
// highest of the servers'. --json prints a Report instead (also with one server): its schema
// is the exported types Report, ServerReport, ProcessStatus and ProcessOutcome, stable under
// ReportVersion. With one server and no --json, Run is supervisorctl's command exactly.
//
// Interrupting (Ctrl-C) is the end of the context given to Run, or a signal on
// Options.Interrupts: a `tail -f`, `maintail -f` or `fg` then stops as supervisorctl's does on
// KeyboardInterrupt.
//
// With no action (or -i alone) Run is supervisorctl's interactive shell: `status`, then the
// prompt ([supervisorctl] prompt=, "supervisor> ") for one command line after another until
// quit, exit, EOF or Ctrl-C at the prompt (a signal on Options.Interrupts). Ctrl-C during
// `tail -f`, `maintail -f` or `fg` returns to the prompt. When Options.Stdin is a terminal, the
// lines are read with a line editor in the manner of GNU readline: editing keys, the history
// (kept in -r/--history_file or history_file=), and Tab completion of actions and of process
// and group names as supervisorctl's complete(). Otherwise the lines are read as they come
// (`ctl < script`). A 401 asks for a user name and password, as supervisorctl's shell does.
package ctl
