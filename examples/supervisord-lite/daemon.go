package main

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
	"syscall"

	"github.com/hashicorp/go-multierror"
	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/pyenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/metrics"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// runDaemon is supervisord: parse options, read the config, daemonize unless told not to, then
// serve until a shutdown, re-reading the config on each reload. It returns the exit status.
func runDaemon(argv0 string, args []string) int {
	usage := func(msg string) int {
		fmt.Fprintf(os.Stderr, "Error: %s\nFor help, use %s -h\n", msg, argv0)
		return 2
	}
	fl, err := parseDaemonFlags(args)
	if err != nil {
		return usage(err.Error())
	}
	if fl.help {
		printDaemonHelp(os.Stdout, argv0)
		return 0
	}
	if fl.version {
		fmt.Println(version)
		return 0
	}
	path := fl.configFile
	if path == "" {
		if path, err = conf.FindConfig(argv0); err != nil {
			return usage(err.Error())
		}
	}
	cfg, err := loadConfig(path, fl)
	if err != nil {
		return usage(configUsageText(err))
	}
	s := cfg.Supervisord
	daemonized := os.Getenv(daemonizedEnv) != ""
	if !s.Nodaemon && !daemonized {
		if pid := pidfileOwner(s.Pidfile); pid != 0 {
			return usage(fmt.Sprintf("supervisord-lite is already running with pid %d (pidfile %s)", pid, s.Pidfile))
		}
		if err := daemonize(args); err != nil {
			return usage(err.Error())
		}
		return 0
	}
	os.Unsetenv(daemonizedEnv)
	if daemonized {
		if err := applyDaemonSettings(s); err != nil {
			return usage(err.Error())
		}
	}
	if err := setRlimits(s); err != nil {
		return usage(err.Error())
	}
	if err := dropPrivileges(s.User); err != nil {
		return usage(err.Error())
	}
	if pid := pidfileOwner(s.Pidfile); pid != 0 {
		return usage(fmt.Sprintf("supervisord-lite is already running with pid %d (pidfile %s)", pid, s.Pidfile))
	}
	d := &daemon{path: path, flags: fl}
	if err := d.openLog(s); err != nil {
		return usage(err.Error())
	}
	defer d.closeLog()
	if s.User == "" && os.Getuid() == 0 {
		d.log.Log(context.Background(), supervise.LevelCritical, "Supervisor is running as root.  Privileges were not dropped because no user is specified in the config file.  If you intend to run as root, you can set user=root in the config file to avoid this message.")
	}
	for _, f := range cfg.Infos {
		d.log.Info(f)
	}
	for _, w := range cfg.Warnings {
		d.log.Warn(w)
	}
	if !s.Nocleanup {
		if _, err := supervise.CleanAutoLogs(s.Childlogdir, s.Identifier); err != nil {
			d.log.Warn(err.Error())
		}
	}
	if err := writePidfile(s.Pidfile); err != nil {
		d.log.Log(context.Background(), supervise.LevelCritical, "could not write pidfile "+s.Pidfile)
	} else {
		defer os.Remove(s.Pidfile)
	}
	d.log.Info(fmt.Sprintf("supervisord started with pid %d", os.Getpid()))

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	for {
		next, err := d.run(cfg, sigs)
		if err != nil {
			d.log.Log(context.Background(), supervise.LevelCritical, err.Error())
			return 1
		}
		if next == nil {
			return 0
		}
		cfg = next
	}
}

// loadConfig reads the config and applies the command-line overrides.
func loadConfig(path string, fl daemonFlags) (*conf.Config, error) {
	cfg, err := conf.Load(path, conf.Options{})
	if err != nil {
		return nil, err
	}
	if err := fl.apply(&cfg.Supervisord); err != nil {
		return nil, err
	}
	if _, err := seedExpand(cfg, os.Environ()); err != nil { // [gunicorn:x], python_env (seed_gunicorn.go)
		return nil, err
	}
	if err := checkExtras(cfg); err != nil { // cleanup_group, fatal_retry_secs (extras.go)
		return nil, err
	}
	return cfg, nil
}

// configUsageText is the message of a config that cannot be loaded: supervisord's text for the
// first problem (it stops there), then every problem with its line, one per line.
func configUsageText(err error) string {
	lines := configErrorLines(err)
	first := lines[0]
	var ce *conf.Error
	if errors.As(err, &ce) {
		first = ce.Supervisord()
	}
	if len(lines) == 1 && lines[0] == first {
		return first
	}
	return first + "\n\t" + strings.Join(lines, "\n\t")
}

// configErrorLines returns every problem of a config error, one per line.
func configErrorLines(err error) []string {
	var merr *multierror.Error
	if errors.As(err, &merr) {
		lines := make([]string, 0, len(merr.Errors))
		for _, e := range merr.Errors {
			lines = append(lines, e.Error())
		}
		return lines
	}
	return []string{err.Error()}
}

// daemon is one supervisord-lite process across reloads.
type daemon struct {
	path  string
	flags daemonFlags
	logw  *logrotate.Writer // nil when logging to syslog or nowhere
	log   *slog.Logger
}

func (d *daemon) openLog(s conf.Supervisord) error {
	level, ok := supervise.ParseLevel(s.LogLevel)
	if !ok {
		level = slog.LevelInfo
	}
	var sinks []io.Writer
	if s.Logfile != "" && !strings.EqualFold(s.Logfile, "syslog") {
		d.logw = &logrotate.Writer{Filename: s.Logfile, MaxBytes: s.LogfileMaxBytes, Backups: s.LogfileBackups,
			Every: s.LogfileTime.Rotate, Compress: s.LogfileTime.Compress, MaxAge: s.LogfileTime.MaxAge} // logfile_rotate ...
		sinks = append(sinks, d.logw)
	}
	if s.Nodaemon && !s.Silent {
		sinks = append(sinks, os.Stdout)
	}
	d.log = slog.New(supervise.NewLogHandler(io.MultiWriter(sinks...), level))
	return nil
}

func (d *daemon) closeLog() {
	if d.logw != nil {
		d.logw.Close()
	}
}

// mainLogPath is the main log file for readLog and /mainlogtail, "" when there is none.
func (d *daemon) mainLogPath() string {
	if d.logw == nil {
		return ""
	}
	return d.logw.Filename
}

// request is what ends one run: a shutdown, or a reload with the config to run next.
type request struct {
	restart bool
}

// run serves one configuration until a shutdown (returns nil) or a reload with a valid new
// config (returns it). A reload whose config is broken logs every error and keeps running with
// the old config (supervisord would stop every child and exit 2).
func (d *daemon) run(cfg *conf.Config, sigs <-chan os.Signal) (*conf.Config, error) {
	s := cfg.Supervisord
	env := os.Environ()
	for _, kv := range s.Environment {
		env = append(env, kv.Key+"="+kv.Value)
	}
	sup := supervise.New(supervise.Options{
		Logger:      d.log,
		ServerURL:   cfg.ServerURL(),
		Identifier:  s.Identifier,
		ChildLogDir: s.Childlogdir,
		Env:         env,
		StateFile:   stateFile(s.Pidfile),
		ReadEnvFile: pyenv.ReadDotenv, // environment_file = (pipenv's .env format)
	})
	rel := newReloader(d.path, d.flags, sup, cfg)
	ctx := context.Background()
	for _, g := range cfg.Groups {
		if g.Kind != conf.KindProgram && g.Kind != conf.KindGroup {
			continue
		}
		if err := rel.add(ctx, cfg, g); err != nil {
			return nil, err
		}
	}
	certs := newCertMonitor(cfg, sup, d.log)
	trim := newMemTrimmer(d.log)
	requests := make(chan request, 1)
	var shuttingDown shutdownFlag
	srv := rpc.NewServer(rpc.Options{
		Backend:        backend{sup, certs, trim},
		Listeners:      listeners(cfg, d.log),
		Identification: s.Identifier,
		MainLog:        d.mainLogPath(),
		ReopenMainLog:  d.reopenLog,
		ConfigInfo:     rel.configInfo,
		Reloader:       rel,
		Extra:          rel.extraMethods(),
		// /metrics for Prometheus, behind the listeners' auth (supervise/metrics)
		Handlers: map[string]http.Handler{"/metrics": metrics.Handler(metrics.Options{Stats: sup.Stats, CertExpiry: certs.Expiry})},
		Shutdown: func(restart bool) {
			select {
			case requests <- request{restart: restart}:
			default:
			}
		},
		ShuttingDown: shuttingDown.get,
		Logger:       d.log,
	})

	supCtx, stopSup := context.WithCancel(ctx)
	defer stopSup()
	srvCtx, stopSrv := context.WithCancel(ctx)
	defer stopSrv()
	supDone := make(chan error, 1)
	srvDone := make(chan error, 1)
	go func() { supDone <- sup.Serve(supCtx) }()
	go func() { srvDone <- srv.Serve(srvCtx) }()
	defer certs.start(supCtx)() // [gunicorn:x] certificates (seed_certs.go)
	defer trim.start(supCtx, sup)()

	// stop ends this run: the supervisor stops every child in priority order, then the server.
	stop := func() error {
		shuttingDown.set()
		stopSup()
		err := <-supDone
		stopSrv()
		if serr := <-srvDone; serr != nil && err == nil {
			err = serr
		}
		return err
	}
	// reload re-reads the config; on success the run ends and the new config runs next.
	reload := func(why string) (*conf.Config, bool) {
		next, err := loadConfig(d.path, d.flags)
		if err != nil {
			for _, line := range configErrorLines(err) {
				d.log.Error("reload refused, keeping the running configuration: " + line)
			}
			return nil, false
		}
		d.log.Info("reloading configuration (" + why + ")")
		return next, true
	}
	for {
		select {
		case err := <-supDone:
			stopSrv()
			<-srvDone
			if err == nil {
				err = errors.New("supervisor stopped unexpectedly")
			}
			return nil, err
		case err := <-srvDone:
			d.log.Log(ctx, supervise.LevelCritical, fmt.Sprintf("XML-RPC server failed: %v", err))
			shuttingDown.set()
			stopSup()
			<-supDone
			return nil, err
		case r := <-requests:
			if !r.restart {
				return nil, stop()
			}
			if next, ok := reload("restart requested over XML-RPC"); ok {
				return next, stop()
			}
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				d.log.Warn(fmt.Sprintf("received %s indicating exit request", supervise.SignalName(sig.(syscall.Signal))))
				return nil, stop()
			case syscall.SIGHUP:
				d.log.Warn("received SIGHUP indicating restart request")
				if next, ok := reload("SIGHUP"); ok {
					return next, stop()
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

func (d *daemon) reopenLog() error {
	if d.logw == nil {
		return nil
	}
	return d.logw.Reopen()
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
