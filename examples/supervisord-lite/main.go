// Command supervisord-lite is a drop-in replacement for supervisord 4.2.5 that needs no Python:
// it reads the supervisord.conf people already have, runs their programs with supervisord's
// process semantics, and answers the real supervisorctl over the same XML-RPC API.
//
//	supervisord-lite [supervisord options]     the daemon (same options as supervisord)
//	supervisord-lite ctl [supervisorctl options] command [args]
//	supervisord-lite export systemd|nomad -c FILE [-o OUT]   (package supervise/export)
//
// It is thin: it wires the packages supervise/daemon (the daemon), supervise/pyapp ([gunicorn:x]
// sections and python_env programs) and the ctl. Build it with CGO_ENABLED=0 (make build) for
// one static binary. After a burst of activity it hands the memory it freed back to the OS
// (memtrim.go) and drops the pages of its own code from its resident set (codepages_linux.go).
package main

import (
	"net/http"
	"os"
	"path/filepath"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
	"github.com/supervisord-lite/supervisord-lite/supervise/export"
	"github.com/supervisord-lite/supervisord-lite/supervise/metrics"
	"github.com/supervisord-lite/supervisord-lite/supervise/pyapp"
	"github.com/supervisord-lite/supervisord-lite/supervise/web"
)

// version is what -v and `ctl version` print: the supervisord release whose behaviour and
// XML-RPC API this program reproduces.
const version = daemon.DefaultVersion

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "ctl" {
		os.Exit(runCtl(os.Args[0]+" ctl", args[1:], os.Stdout, os.Stderr))
	}
	if len(args) > 0 && args[0] == "export" { // hook: supervise/export, [gunicorn:x] and python_env resolved as the daemon does
		os.Exit(export.Run(os.Args[0]+" export", os.Args[0], args[1:], os.Stdout, os.Stderr, export.PyApps(os.Environ())))
	}
	if filepath.Base(os.Args[0]) == "supervisorctl-lite" {
		os.Exit(runCtl(os.Args[0], args, os.Stdout, os.Stderr))
	}
	os.Exit(daemon.Main(os.Args[0], args, version, daemonOptions()))
}

// daemonOptions wires the daemon: [gunicorn:x] and python_env programs, their certificate
// monitor (reloads and the expiry in the status), the memory trimmer, the dashboard
// (supervise/web) at "/" and Prometheus metrics (supervise/metrics) at "/metrics" on every
// listener of the API, behind its auth.
func daemonOptions() daemon.Options {
	certs := &pyapp.CertMonitor{}
	trim := newMemTrimmer()
	return daemon.Options{
		Sections: []daemon.SectionKind{pyapp.Sections{}},
		Services: []daemon.Service{certs, trim},
		Handlers: map[string]http.Handler{"/": dashboard(certs), "/metrics": metricsHandler(certs, trim)},
		// Status answers are the daemon's biggest: the trimmer counts them as activity.
		StatusHooks: []func([]supervise.ProcessInfo){certs.Note, trim.statusHook},
	}
}

// metricsHandler serves /metrics over the run serving each scrape (a reload gives it the new
// run's supervisor), with the certificates' expiry and the daemon's own Go runtime and process
// series. A scrape of many programs is a burst
// (the RSS of each process tree is read then): the trimmer counts it as activity.
func metricsHandler(certs *pyapp.CertMonitor, trim *memTrimmer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer trim.poke()
		run, ok := daemon.RunFrom(r.Context())
		if !ok {
			http.NotFound(w, r)
			return
		}
		metrics.Handler(metrics.Options{Stats: run.Supervisor.Stats, CertExpiry: certs.Expiry, Runtime: true}).ServeHTTP(w, r)
	})
}

// dashboard is the web dashboard over the run serving each request: a reload gives it the new
// run's supervisor, and open pages keep their CSRF key across it.
func dashboard(certs *pyapp.CertMonitor) http.Handler {
	return &web.PerRequest{Options: func(r *http.Request) (web.Options, bool) {
		run, ok := daemon.RunFrom(r.Context())
		if !ok {
			return web.Options{}, false
		}
		return web.Options{Backend: run.Supervisor, Identifier: run.Config.Supervisord.Identifier,
			MainLog: run.MainLog, CertExpiry: certs.Expiry, Logger: run.Logger}, true
	}}
}
