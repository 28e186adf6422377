package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// DefaultVersion is what -v prints when Options.Version is empty: the supervisord release
// whose behaviour and XML-RPC API the daemon reproduces.
const DefaultVersion = "4.2.5"

// Main is the daemon command as supervisord's: it parses args (ParseFlags) into opts.Flags,
// prints the help (-h) or version (-v) on opts.Stdout, loads the configuration, and then either
// daemonizes (nodaemon not set and not yet Daemonized: Daemonize re-executes this program
// with args, and Main returns 0 at once, as supervisord's parent exits) or serves until a
// shutdown. It returns the exit status: 0; 2 for a usage error, a configuration that cannot be
// loaded or a daemon that cannot start, printed on stderr as supervisord prints them; 1 when
// the daemon failed while serving. opts.Daemonized is set from DaemonizedEnv, which is then
// removed from the environment.
func Main(argv0 string, args []string, version string, opts Options) int {
	usage := func(msg string) int {
		fmt.Fprintf(os.Stderr, "Error: %s\nFor help, use %s -h\n", msg, argv0)
		return 2
	}
	fl, err := ParseFlags(args)
	if err != nil {
		return usage(err.Error())
	}
	// Removed before the environment is read, so that the programs do not inherit it.
	daemonized := os.Getenv(DaemonizedEnv) != ""
	os.Unsetenv(DaemonizedEnv)
	opts.Flags, opts.Argv0, opts.Daemonized = fl, argv0, daemonized
	opts = opts.withDefaults()
	if fl.Help {
		WriteHelp(opts.Stdout, argv0)
		return 0
	}
	if fl.Version {
		if version == "" {
			version = DefaultVersion
		}
		fmt.Fprintln(opts.Stdout, version)
		return 0
	}
	d := New(opts)
	if err := d.resolvePath(); err != nil {
		return usage(err.Error())
	}
	l, err := d.load()
	if err != nil {
		return usage(UsageText(err))
	}
	s := l.cfg.Supervisord
	if !s.Nodaemon && !daemonized {
		if pid := pidfileOwner(s.Pidfile); pid != 0 {
			return usage(fmt.Sprintf("supervisord-lite is already running with pid %d (pidfile %s)", pid, s.Pidfile))
		}
		if err := Daemonize(args); err != nil {
			return usage(err.Error())
		}
		return 0
	}
	err = d.serve(context.Background(), l)
	var se *StartError
	switch {
	case errors.As(err, &se):
		return usage(se.Error())
	case err != nil:
		return 1
	}
	return 0
}
