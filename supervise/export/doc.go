// Package export turns a supervisord.conf into what runs the same programs without a
// supervisor of our own: systemd units (Systemd) or a Nomad job (Nomad), for a team that
// moves from one VPS to an init system or a cluster scheduler.
//
// Both exports are pure functions of a loaded *conf.Config: the same config gives the same
// bytes (no map order, no clock, no host lookups). Sections that supervise/conf does not turn
// into programs by itself ([gunicorn:x], python_env = true) are resolved first by an Expander
// the caller passes in, so a gunicorn program exports as the argv and environment the daemon
// would run.
//
// What a target cannot express is never dropped silently: every such option written in the
// config becomes a Warning naming file, line, section and option, and why. The mapping tables
// are in the README ("Export to systemd and Nomad").
//
// Run is the `supervisord-lite export` command line.
package export
