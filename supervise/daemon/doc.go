// Package daemon is what supervisord is as a process: it loads a supervisord.conf
// (supervise/conf), applies its [supervisord] section (user, umask, directory, minfds,
// minprocs, pidfile, identifier, the main log), runs its programs (supervise), serves
// supervisord's XML-RPC API on its [unix_http_server] and [inet_http_server] (supervise/rpc),
// and acts on supervisord's signals: SIGTERM, SIGINT and SIGQUIT shut down, SIGHUP reloads,
// SIGUSR2 reopens the logs (SIGUSR1 is ignored). reread and update go through the engine's
// Supervisor.Diff and UpdateGroup; the daemon keeps no second list of the active groups.
// The engine records the children it started in a state file next to the pidfile, so that a
// daemon started after a crash of the previous one ends that one's children first.
//
// Daemon.Serve runs one daemon in the calling process; Main is the whole command (flags,
// usage errors, daemonizing by re-executing itself with setsid, exit status), which the
// supervisord-lite binary calls.
//
// A product extends it through Options, without init() registries or package state:
// SectionKind adds section kinds that are not supervisord's (package supervise/pyapp adds
// [gunicorn:x]); Handlers mounts HTTP handlers on the same listeners behind the same
// authentication (a dashboard at "/", metrics at "/metrics"); Services run beside each
// configuration; Methods adds XML-RPC methods; StatusHooks annotate process statuses.
//
// supervisord-lite's own program options (ready=, healthcheck_*, memory_limit=, depends_on=,
// environment_file=, sockets=, restart_mode=, the *_logfile_rotate/_compress/_maxage/_timestamps
// options, read by supervise/conf) need nothing more: environment_file is read with pyenv.ReadDotenv unless
// Options.ReadEnvFile says otherwise, and depends_on is checked again (unknown names, cycles,
// at the line of the value) over every group, the SectionKinds' included (Group.Processes).
// The main log follows [supervisord] logfile_rotate, logfile_compress and logfile_maxage.
package daemon
