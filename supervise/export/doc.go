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
// supervisord-lite's own options export where the target has them: ready = notify as
// systemd's Type=notify with TimeoutStartSec=ready_timeout, watchdog_secs as WatchdogSec=,
// memory_limit as MemoryMax= or Nomad's resources.memory, depends_on as Requires= and After=,
// environment_file as EnvironmentFile= or a Nomad env template, healthcheck_url as a Nomad
// service (provider "nomad") with an http or tcp check and check_restart. The defaults a
// [gunicorn:x] section gets (ready = notify, a check of its bind) count as written.
//
// What a target cannot express is never dropped silently: every such option written in the
// config (or given by default, as a [gunicorn:x] section's checks) becomes a Warning naming
// file, line, section and option, and why; so does an option the target expresses only in
// part (an http check that passes on 2xx only, an environment file parsed otherwise). The
// mapping tables are in the README ("Moving on: export to systemd and Nomad, and Ansible").
//
// Run is the `supervisord-lite export` command line.
package export
