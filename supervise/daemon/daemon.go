package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// Daemon is supervisord as a process: one configuration file served across reloads. Create it
// with New; Serve runs it.
type Daemon struct {
	opts Options
	path string // the configuration file

	// state is the daemon's supervise.SupervisorState (supervisord's mood), the one place it
	// lives: getState answers it and the API refuses calls while it is below RUNNING.
	state atomic.Int32

	logw *logrotate.Writer       // the main log file; nil when logging to syslog or nowhere
	logs *supervise.SyslogWriter // the main log to syslog (logfile=syslog); nil otherwise
	log  *slog.Logger
}

// New returns a Daemon for opts; it reads nothing and starts nothing until Serve.
func New(opts Options) *Daemon {
	d := &Daemon{opts: opts.withDefaults()}
	d.state.Store(int32(supervise.SupervisorRunning))
	return d
}

// StartError is a daemon that could not start: the configuration cannot be found or loaded,
// a [supervisord] setting cannot be applied (user, minfds, minprocs, directory), or another
// supervisord-lite owns the pidfile. Main prints it as supervisord's usage error (exit 2).
type StartError struct{ Err error }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// State returns the daemon's state: SupervisorRunning while it serves, SupervisorRestarting
// during a reload, SupervisorShutdown once it is stopping.
func (d *Daemon) State() supervise.SupervisorState {
	return supervise.SupervisorState(d.state.Load())
}

func (d *Daemon) setState(s supervise.SupervisorState) { d.state.Store(int32(s)) }

// resolvePath finds the configuration file.
func (d *Daemon) resolvePath() error {
	if d.path != "" {
		return nil
	}
	d.path = d.opts.ConfigFile
	if d.path == "" {
		p, err := conf.FindConfig(d.opts.Argv0)
		if err != nil {
			return &StartError{err}
		}
		d.path = p
	}
	return nil
}

// Serve loads the configuration, applies [supervisord] (directory and umask when Daemonized,
// minfds, minprocs, user, pidfile, identifier, the main log) and serves it until ctx ends or a
// shutdown is asked for (SIGTERM, SIGINT, SIGQUIT, the XML-RPC shutdown), then stops every
// program and returns nil. SIGHUP and the XML-RPC restart reload the configuration: the run
// stops and a new one starts with the new configuration, unless it cannot be loaded (then
// every problem is logged and the running one goes on; supervisord would exit). A daemon that
// cannot start returns a *StartError; one whose supervisor or server fails, that error.
func (d *Daemon) Serve(ctx context.Context) error {
	if err := d.resolvePath(); err != nil {
		return err
	}
	l, err := d.load()
	if err != nil {
		return &StartError{err}
	}
	return d.serve(ctx, l)
}

func (d *Daemon) serve(ctx context.Context, l *loaded) error {
	s := l.cfg.Supervisord
	if d.opts.Daemonized {
		if err := applyDaemonSettings(s); err != nil {
			return &StartError{err}
		}
	}
	if err := setRlimits(s); err != nil {
		return &StartError{err}
	}
	if err := dropPrivileges(s.User); err != nil {
		return &StartError{err}
	}
	if pid := pidfileOwner(s.Pidfile); pid != 0 {
		return &StartError{fmt.Errorf("supervisord-lite is already running with pid %d (pidfile %s)", pid, s.Pidfile)}
	}
	d.openLog(s)
	defer d.closeLog()
	if s.User == "" && os.Getuid() == 0 {
		d.log.Log(ctx, supervise.LevelCritical, "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.")
	}
	for _, f := range l.cfg.Infos {
		d.log.Info(f)
	}
	for _, w := range l.cfg.Warnings {
		d.log.Warn(w)
	}
	if !s.Nocleanup {
		if _, err := supervise.CleanAutoLogs(s.Childlogdir, s.Identifier); err != nil {
			d.log.Warn(err.Error())
		}
	}
	if err := writePidfile(s.Pidfile); err != nil {
		d.log.Log(ctx, supervise.LevelCritical, "could not write pidfile "+s.Pidfile)
	} else {
		defer os.Remove(s.Pidfile)
	}
	d.log.Info(fmt.Sprintf("supervisord started with pid %d", os.Getpid()))

	sigs := d.opts.Signals
	if sigs == nil {
		c := make(chan os.Signal, 8)
		signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
		defer signal.Stop(c)
		sigs = c
	}
	for {
		d.setState(supervise.SupervisorRunning)
		next, err := d.run(ctx, l, sigs)
		if err != nil {
			d.setState(supervise.SupervisorShutdown)
			d.log.Log(ctx, supervise.LevelCritical, err.Error())
			return err
		}
		if next == nil {
			return nil
		}
		l = next
	}
}

func (d *Daemon) openLog(s conf.Supervisord) {
	level, ok := supervise.ParseLevel(s.LogLevel)
	if !ok {
		level = slog.LevelInfo
	}
	var sinks []io.Writer
	if s.Logfile != "" && !strings.EqualFold(s.Logfile, "syslog") {
		d.logw = &logrotate.Writer{Filename: s.Logfile, MaxBytes: s.LogfileMaxBytes, Backups: s.LogfileBackups,
			Every: s.LogfileTime.Rotate, Compress: s.LogfileTime.Compress, MaxAge: s.LogfileTime.MaxAge} // logfile_rotate, _compress, _maxage
		sinks = append(sinks, d.logw)
	} else if s.Logfile != "" {
		d.logs = &supervise.SyslogWriter{Path: d.opts.SyslogPath}
		sinks = append(sinks, d.logs)
	}
	if s.Nodaemon && !s.Silent {
		sinks = append(sinks, d.opts.Stdout)
	}
	d.log = slog.New(supervise.NewLogHandler(io.MultiWriter(sinks...), level))
}

func (d *Daemon) closeLog() {
	if d.logw != nil {
		d.logw.Close()
	}
	if d.logs != nil {
		d.logs.Close()
	}
}

func (d *Daemon) reopenLog() error {
	if d.logw == nil {
		return nil
	}
	return d.logw.Reopen()
}

// mainLogPath is the main log file for readLog and /mainlogtail, "" when there is none.
func (d *Daemon) mainLogPath() string {
	if d.logw == nil {
		return ""
	}
	return d.logw.Filename
}

// run serves one configuration until a shutdown (returns nil) or a reload with a valid new
// configuration (returns it).
func (d *Daemon) run(ctx context.Context, l *loaded, sigs <-chan os.Signal) (*loaded, error) {
	s := l.cfg.Supervisord
	env := append([]string(nil), d.opts.Environ...)
	for _, kv := range s.Environment {
		env = append(env, kv.Key+"="+kv.Value)
	}
	ev := &events{} // [eventlistener:x] pools (events.go)
	sup := supervise.New(supervise.Options{
		Logger:         d.log,
		ServerURL:      l.cfg.ServerURL(),
		Identifier:     s.Identifier,
		ChildLogDir:    s.Childlogdir,
		Env:            env,
		StateFile:      StateFile(s.Pidfile),
		ProtocolOutput: ev.output,
		SyslogPath:     d.opts.SyslogPath,
		StripANSI:      s.StripANSI,
		ReadEnvFile:    d.opts.ReadEnvFile, // environment_file=
	})
	ev.attach(sup, s.Identifier, d.log)
	if err := ev.add(l); err != nil {
		return nil, err
	}
	for _, g := range l.groups {
		if err := sup.Add(ctx, g); err != nil {
			return nil, err
		}
	}
	rel := &reloader{d: d, sup: sup, events: ev, latest: l}
	runInfo := Run{Config: l.cfg, Supervisor: sup, Logger: d.log, MainLog: d.mainLogPath()}
	requests := make(chan bool, 1) // restart?
	methods := rel.methods()
	for name, m := range d.opts.Methods {
		methods[name] = m
	}
	srv := rpc.NewServer(rpc.Options{
		Backend:        backend{sup, d.opts.StatusHooks},
		Listeners:      listeners(l.cfg, d.log),
		Identification: s.Identifier,
		MainLog:        d.mainLogPath(),
		ReopenMainLog:  d.reopenLog,
		ConfigInfo:     rel.configInfo,
		Reloader:       rel,
		Extra:          methods,
		Handlers:       withRun(d.opts.Handlers, runInfo),
		Shutdown: func(restart bool) {
			if !restart {
				d.setState(supervise.SupervisorShutdown) // before the answer goes out
			}
			select {
			case requests <- restart:
			default:
			}
		},
		State:      d.State,
		Logger:     d.log,
		RemoteComm: ev.remoteComm(sup),
	})

	supCtx, stopSup := context.WithCancel(context.Background())
	defer stopSup()
	srvCtx, stopSrv := context.WithCancel(context.Background())
	defer stopSrv()
	supDone := make(chan error, 1)
	srvDone := make(chan error, 1)
	go func() { supDone <- sup.Serve(supCtx) }()
	go func() { srvDone <- srv.Serve(srvCtx) }()
	defer ev.start(d.log)() // deferred first, so it runs last: after the supervisor has stopped
	stopServices := d.startServices(runInfo)
	defer stopServices()

	// stop ends this run: the services end, the supervisor stops every child in priority
	// order, then the server.
	stop := func(next supervise.SupervisorState) error {
		d.setState(next)
		stopServices()
		stopSup()
		err := <-supDone
		stopSrv()
		if serr := <-srvDone; serr != nil && err == nil {
			err = serr
		}
		return err
	}
	// reload re-reads the config; on success the run ends and the new config runs next.
	reload := func(why string) (*loaded, bool) {
		next, err := d.load()
		if err != nil {
			for _, line := range errorLines(err) {
				d.log.Error("reload refused, keeping the running configuration: " + line)
			}
			return nil, false
		}
		d.log.Info("reloading configuration (" + why + ")")
		return next, true
	}
	for {
		select {
		case <-ctx.Done():
			d.log.Warn("context ended, shutting down")
			return nil, stop(supervise.SupervisorShutdown)
		case err := <-supDone:
			d.setState(supervise.SupervisorShutdown)
			stopServices()
			stopSrv()
			<-srvDone
			if err == nil {
				err = errors.New("supervisor stopped unexpectedly")
			}
			return nil, err
		case err := <-srvDone:
			d.log.Log(ctx, supervise.LevelCritical, fmt.Sprintf("XML-RPC server failed: %v", err))
			d.setState(supervise.SupervisorShutdown)
			stopServices()
			stopSup()
			<-supDone
			return nil, err
		case restart := <-requests:
			if !restart {
				return nil, stop(supervise.SupervisorShutdown)
			}
			if next, ok := reload("restart requested over XML-RPC"); ok {
				return next, stop(supervise.SupervisorRestarting)
			}
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				d.log.Warn(fmt.Sprintf("received %s indicating exit request", supervise.SignalName(sig.(syscall.Signal))))
				return nil, stop(supervise.SupervisorShutdown)
			case syscall.SIGHUP:
				d.log.Warn("received SIGHUP indicating restart request")
				if next, ok := reload("SIGHUP"); ok {
					return next, stop(supervise.SupervisorRestarting)
				}
			case syscall.SIGUSR2:
				d.log.Info("received SIGUSR2 indicating log reopen request")
				if err := d.reopenLog(); err != nil {
					d.log.Error("could not reopen the main log: " + err.Error())
				}
				if err := sup.ReopenLogs(); err != nil {
					d.log.Error("could not reopen child logs: " + err.Error())
				}
			case syscall.SIGUSR1:
				d.log.Warn("received SIGUSR1; ignored (supervisord would die here and orphan its children)")
			}
		}
	}
}

// startServices starts Options.Services for one run; the returned function ends them and
// waits for them (it may be called more than once).
func (d *Daemon) startServices(r Run) func() {
	if len(d.opts.Services) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, svc := range d.opts.Services {
		wg.Add(1)
		go func(svc Service) {
			defer wg.Done()
			if err := svc.Serve(ctx, r); err != nil && ctx.Err() == nil {
				d.log.Error(fmt.Sprintf("service %T stopped: %v", svc, err))
			}
		}(svc)
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// withRun passes r to each handler in its request's context.
func withRun(handlers map[string]http.Handler, r Run) map[string]http.Handler {
	if len(handlers) == 0 {
		return nil
	}
	out := make(map[string]http.Handler, len(handlers))
	for pattern, h := range handlers {
		h := h
		out[pattern] = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), runKey{}, r)))
		})
	}
	return out
}

// backend is what the XML-RPC server drives: the Supervisor, with the status hooks applied.
type backend struct {
	*supervise.Supervisor
	hooks []func([]supervise.ProcessInfo)
}

var _ rpc.Backend = backend{}

// Status is the Supervisor's, passed through the hooks.
func (b backend) Status(spec string) ([]supervise.ProcessInfo, error) {
	infos, err := b.Supervisor.Status(spec)
	for _, h := range b.hooks {
		h(infos)
	}
	return infos, err
}

// listeners turns the config's [unix_http_server] and [inet_http_server] into rpc listeners.
func listeners(cfg *conf.Config, log *slog.Logger) []rpc.Listener {
	var out []rpc.Listener
	for _, s := range cfg.Servers {
		l := rpc.Listener{Username: s.Username, Password: s.Password}
		if s.Unix {
			l.Network, l.Address, l.Chmod = "unix", s.File, os.FileMode(s.Chmod)
			if s.Chown[0] != -1 || s.Chown[1] != -1 {
				l.Chown, l.UID, l.GID = true, s.Chown[0], s.Chown[1]
			}
		} else {
			l.Network, l.Address = "tcp", fmt.Sprintf("%s:%d", s.Host, s.Port)
		}
		if !s.HasAuth {
			log.Log(context.Background(), supervise.LevelCritical, fmt.Sprintf("Server '%s' running without any HTTP authentication checking", s.Section))
		}
		out = append(out, l)
	}
	return out
}
