// Package supervise is the engine of supervisord-lite: it runs groups of programs with
// supervisord 4.2.5's process semantics (states, startsecs, linear backoff, FATAL after
// startretries, autorestart, stopsignal then SIGKILL after stopwaitsecs, stopasgroup and
// killasgroup, supervisord's log messages and spawn errors), without its 1 s poll loop.
//
// A Program is the spec of one process (supervisord's [program:x] options with the same
// defaults); a Group is a set of programs; a Supervisor runs groups:
//
//	sv := supervise.New(supervise.Options{Logger: slog.New(supervise.NewLogHandler(os.Stderr, nil))})
//	sv.Add(ctx, supervise.Group{Name: "web", Programs: []supervise.Program{{Name: "web", Command: "/usr/bin/gunicorn", Args: args}}})
//	err := sv.Serve(ctx) // until ctx ends; then everything is stopped, in descending priority
//
// # Design
//
// Each process instance is owned by one goroutine at a time running its state machine (a
// chain: a small goroutine waits, a fresh one runs each step, so an idle process keeps a 2 kB
// stack); the control API talks to it through messages and reads an immutable snapshot it
// publishes after each step.
// It is event-driven: a child's exit is handled the moment it is reaped, a crashed RUNNING
// program is respawned at once, and the only timers are the ones a state needs (startsecs in
// STARTING, the backoff delay in BACKOFF, stopwaitsecs in STOPPING). Nothing wakes while
// nothing changes.
//
// Children are started with fork/exec in their own process group, with pipes for stdin,
// stdout and stderr, and reaped by one process-wide loop (SIGCHLD, then wait4(-1, WNOHANG)
// until nothing is left), which dispatches each status by pid. The process is made a child
// subreaper, so orphaned grandchildren are reaped there too. That loop runs only while a Serve
// runs, and it takes the exit status of every child of the process: do not use exec.Cmd in a
// program whose Supervisor is serving.
//
// Output is drained continuously (a child never blocks on a full pipe) into logrotate.Writer
// files (AUTO names as supervisord's, NONE discards), with the last TailBytes of each stream
// kept and, with Log.Events, each chunk published as an Event. An idle stream costs no
// goroutine: every pipe waits in one shared epoll set, and a reader goroutine runs only while a
// pipe has data (500 idle programs: one waiting goroutine each).
//
// A Group may carry a Socket (supervisord's [fcgi-program:x]): the Supervisor binds it before
// the first spawn, gives it to every process of the group as fd 0, and closes it when the last
// one has exited, logging "Creating socket"/"Closing socket" as supervisord does. A Program
// may name Sockets that the Supervisor holds while the program is configured and passes as
// systemd's socket activation does (LISTEN_FDS, fds 3..), so its port never closes; with them,
// RestartMode RestartOverlap and Deploy start a successor before the old process stops. With
// Log.Syslog a stream also goes to the local syslog in supervisord's format (Options.SyslogPath,
// SyslogWriter for the supervisor's own log).
//
// Clock and Spawner are injectable, so crash loops are tested deterministically on a fake
// clock; the same engine runs real processes.
//
// # Deliberate differences from supervisord
//
//   - No poll loop: retries, RUNNING promotion, FATAL and SIGKILL happen at their exact times
//     instead of at the next 1 s wake-up; there is no reap race, so a program that exits at
//     once always takes the canonical BACKOFF path (1 s, 2 s, 3 s, FATAL).
//   - A backoff retry happens when its delay has elapsed (supervisord: strictly after).
//   - With StopWait 0, SIGKILL is re-sent every second, not on every loop pass.
//   - A child-side spawn failure (chdir, exec) is reported like supervisord's exit 127, but
//     the engine has no pid for it and logs "spawned ... with pid 0".
//   - Child log files receive whole lines: an unfinished line is held until its newline, the
//     end of the stream or 64 KiB, so a rotation never splits a line (supervisord writes what
//     it reads). Events and LastOutput get the bytes at once.
//   - Autostart begins spawns in supervisord's order (ascending group priority, then the
//     programs' order) at once rather than about 1 s after startup, with up to 4 forks in
//     flight, so "spawned:" lines of neighbouring programs may interleave.
//   - WriteStdin writes straight into the child's stdin pipe and blocks while the pipe is full
//     (supervisord buffers in memory).
//   - After an exit of a main process that was not a stop, members left in its process group
//     are logged at WARN with their pids; with Program.CleanupGroup they are ended (stop
//     signal, SIGKILL after StopWait) before the process is restarted, so the workers of a
//     killed gunicorn master cannot keep its port. A process that left its program's group
//     (setsid, a double fork) is found by the Supervisor's token in its environment (TokenEnv)
//     and ended when its program is stopped and when Serve returns, with or without a child
//     subreaper (Linux 3.4); orphans adopted as subreaper are ended when the last Serve returns.
//   - Kernel features newer than Linux 2.6.32 (CentOS 6) are probed (KernelFeatures); each
//     missing one is logged once at WARN by Serve, with what is done instead.
//   - Options.StateFile records the running children (pid, group, start time) so that a
//     Supervisor started after a crashed one ends what that one left running, before autostart.
//   - Program.FatalRetry gives a FATAL program a fresh round of start attempts after a delay.
//   - Update and UpdateGroup restart only the programs of a group whose spec changed
//     (supervisord restarts the whole group).
//   - ClearLogs also clears the logs of a process that is not running (supervisord's
//     clearProcessLogs silently does nothing then, its open issue #804).
package supervise
