// Package supervisordlite is the root of the supervisord-lite module: a Go replacement for the
// classic "Supervisor runs a .sh file that activates pyenv and then runs gunicorn" stack on a small
// VPS. This package holds documentation only; the work is done by small importable packages:
//
//   - supervise: the engine. A Program spec with supervisord 4.2.5's options and defaults, and a
//     Supervisor that runs programs with supervisord's exact process state machine (STOPPED,
//     STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN), event-driven rather than
//     polled, with one reaper, process groups and events.
//   - supervise/conf: reads supervisord.conf (and its includes) into []supervise.Group, with
//     supervisord's syntax, expansions, defaults and error texts.
//   - supervise/rpc: supervisor's XML-RPC API over HTTP (unix socket or TCP), so the real
//     supervisorctl works against a Supervisor, and a Go client.
//   - supervise/web: the dashboard, an http.Handler served at "/" beside the XML-RPC API: live
//     rows over server-sent events, actions with a CSRF token, live log tails.
//   - supervise/export: a loaded supervisord.conf as systemd units or a Nomad job, with a
//     warning for every option the target cannot express.
//   - pyenv: which Python an app folder uses, resolved exactly as pyenv 2.6.30 and pipenv do, and
//     the environment to exec it with: no shell, no shims, no activation script.
//   - gunicorn: a gunicorn 20.1 command line as a checked value: workers from the CPU count,
//     binds, TLS certificate checks, the traps of running under a supervisor.
//   - logrotate: rotating log files with supervisord's naming and limits, plus readers for the
//     control plane (read, tail, follow).
//
// The examples compose them: examples/supervisord-lite is the drop-in daemon and its ctl client,
// examples/embed is the smallest program that embeds a Supervisor, examples/pyresolve prints a
// folder's Python resolution.
//
// Dependencies point one way: pyenv, gunicorn and logrotate are leaves; supervise uses logrotate;
// the examples wire values from pyenv and gunicorn into a supervise.Program.
package supervisordlite
