package daemon

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/supervisord-lite/supervisord-lite/pyenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Options configure a Daemon. The zero value serves the configuration file found where
// supervisord looks for it, with supervisord's sections only.
type Options struct {
	// ConfigFile is the configuration file (supervisord's -c); "" = Flags.ConfigFile, and when
	// that is empty too, the first of supervisord's search paths that exists
	// (conf.FindConfig(Argv0)).
	ConfigFile string
	// Argv0 names the program in messages and the config search; "" = os.Args[0].
	Argv0 string
	// Flags are command-line overrides of [supervisord] (ParseFlags), applied after every
	// load of the configuration; the zero value overrides nothing.
	Flags Flags
	// Daemonized says this process is the detached copy that Daemonize started: Serve then
	// changes to directory= and sets umask=, which supervisord does only when it daemonizes.
	// false = neither.
	Daemonized bool
	// SyslogPath is the local syslog socket for logfile=syslog and the programs'
	// stdout_syslog/stderr_syslog; "" = supervise.DefaultSyslogPath (/dev/log). Messages are
	// tagged supervise.DefaultSyslogTag ("supervisord"), as supervisord's are.
	SyslogPath string

	// Sections turn sections that are not supervisord's (such as [gunicorn:x]) into program
	// groups, after every load of the configuration; nil = none.
	Sections []SectionKind
	// Handlers are HTTP handlers served beside the XML-RPC API on every [unix_http_server]
	// and [inet_http_server], behind the same authentication, by net/http.ServeMux pattern
	// ("/" for a dashboard, "/metrics"); /RPC2, /logtail and /mainlogtail stay the API's.
	// A request's context carries the Run serving it (RunFrom). nil = none.
	Handlers map[string]http.Handler
	// Methods are XML-RPC methods added beside supervisord's, by full name ("myns.method");
	// see rpc.Options.Extra. They are added to the daemon's own (supervisord_lite.*).
	// nil = none.
	Methods map[string]rpc.ExtraMethod
	// Services run with each run of a configuration (the start, and again after each reload):
	// each is started once the run's supervisor and server are serving, and its ctx ends when
	// the run ends (before the supervisor stops its programs); the run waits for it to return.
	// An error it returns before that is logged. nil = none.
	Services []Service
	// StatusHooks see every process status the XML-RPC API answers (getProcessInfo,
	// getAllProcessInfo, and the results of start, stop and the like) before it is encoded, and
	// may set ProcessInfo.Note (shown after the description). They must be quick and safe for
	// concurrent use. nil = none.
	StatusHooks []func(infos []supervise.ProcessInfo)

	// Signals delivers the signals the daemon acts on: SIGTERM, SIGINT and SIGQUIT shut down,
	// SIGHUP reloads, SIGUSR2 reopens the logs, SIGUSR1 is ignored (supervisord would die
	// there). nil = the process's own signals (signal.Notify for Serve's duration); tests
	// inject a channel.
	Signals <-chan os.Signal
	// Stdout gets the main log as well when the config says nodaemon=true and not silent;
	// nil = os.Stdout.
	Stdout io.Writer
	// Environ is the daemon's environment, which its programs inherit (with [supervisord]
	// environment= added); nil = os.Environ().
	Environ []string
	// ReadEnvFile reads a program's environment_file= at each spawn (see
	// supervise.Options.ReadEnvFile); nil = pyenv.ReadDotenv, the .env format pipenv reads.
	ReadEnvFile func(path string, environ []string) ([]string, error)
}

// A SectionKind turns sections that supervisord does not know into program groups, so that a
// product adds its own section kinds ([gunicorn:x]) without touching the daemon.
type SectionKind interface {
	// Groups returns the groups made from cfg's sections of this kind. It is called after
	// every load of the configuration (the start, a reread, a reload) with the loaded config
	// and the daemon's environment; it may append to cfg.Warnings (logged at start-up). An
	// error refuses the whole configuration, as a broken [program:x] does: say what is wrong
	// where (a *conf.Error names the section, file and line; go-multierror for several).
	Groups(cfg *conf.Config, environ []string) ([]Group, error)
}

// Group is a program group made by a SectionKind.
type Group struct {
	// Run is what the engine runs. Its name must not be another group's, unless Replace.
	Run supervise.Group
	// Info is what getAllConfigInfo (supervisorctl avail) reports for each program of Run, in
	// Run's order; InUse is filled by the daemon.
	Info []conf.ConfigInfo
	// Processes are the conf.Process values of Run's programs, in Run's order (their
	// sections, lines and depends_on), for the checks across groups (depends_on names and
	// cycles, reported at the line of the value). nil = the group's programs depend on
	// nothing, and depends_on naming the group still resolves by Run's names.
	Processes []conf.Process
	// Replace makes the group take the place of the config's group of the same name (a
	// [program:x] whose programs the kind rewrites) instead of being a second definition of
	// it, which is a configuration error.
	Replace bool
}

// Run is one configuration being served: the daemon starts a Run at start-up and a new one
// at each reload.
type Run struct {
	// Config is the configuration loaded, with the SectionKinds applied.
	Config *conf.Config
	// Supervisor runs the programs.
	Supervisor *supervise.Supervisor
	// Logger is the daemon's main log.
	Logger *slog.Logger
	// MainLog is the main log's file (logfile=), "" when there is none (logfile=NONE or
	// syslog).
	MainLog string
}

// A Service is a long-running part of the daemon, run with each Run (Options.Services). It
// returns when ctx ends.
type Service interface {
	Serve(ctx context.Context, run Run) error
}

// ServiceFunc is a function as a Service.
type ServiceFunc func(ctx context.Context, run Run) error

// Serve calls f.
func (f ServiceFunc) Serve(ctx context.Context, run Run) error { return f(ctx, run) }

type runKey struct{}

// RunFrom returns the Run serving an HTTP request to one of Options.Handlers (from the
// request's context).
func RunFrom(ctx context.Context) (Run, bool) {
	r, ok := ctx.Value(runKey{}).(Run)
	return r, ok
}

func (o Options) withDefaults() Options {
	if o.Argv0 == "" {
		o.Argv0 = os.Args[0]
	}
	if o.ConfigFile == "" {
		o.ConfigFile = o.Flags.ConfigFile
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	if o.ReadEnvFile == nil {
		o.ReadEnvFile = pyenv.ReadDotenv
	}
	return o
}
