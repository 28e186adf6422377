package gunicorn

import (
	"syscall"
	"time"
)

// The signals a gunicorn 20.1 master understands, named for what they do. Their meanings were
// measured on a 2-core machine with the sync worker (times are seconds after the signal).
const (
	// GracefulStop (SIGTERM) closes the listeners, lets busy workers finish their request for
	// up to GracefulTimeout, SIGKILLs the rest, then exits 0 (idle: about 0.35 s). New
	// connections wait in the kernel backlog and are reset when the last worker exits.
	GracefulStop = syscall.SIGTERM

	// QuickStop (SIGINT) closes the listeners and cuts in-flight requests off after about
	// 0.1 s; the master exits 0 within about 0.4 s and new connections are refused at once.
	QuickStop = syscall.SIGINT

	// QuickStopQuit (SIGQUIT) does the same as QuickStop.
	QuickStopQuit = syscall.SIGQUIT

	// Reload (SIGHUP) replaces every worker (about 0.3 s for 3) while the master pid stays;
	// new workers import the app again unless PreloadApp is set, and the worker count goes
	// back to Workers. gunicorn 20.1 reads the certificate on every TLS connection, so a
	// renewed certificate needs no reload.
	Reload = syscall.SIGHUP

	// ReopenLogs (SIGUSR1) makes the master and workers reopen AccessLog and ErrorLog (within
	// about 5 ms), for log rotation by renaming.
	ReopenLogs = syscall.SIGUSR1

	// MoreWorkers (SIGTTIN) starts one more worker (about 0.04 s). Reload resets the count.
	MoreWorkers = syscall.SIGTTIN

	// FewerWorkers (SIGTTOU) stops the oldest worker (about 0.06 s); it is ignored at one
	// worker. Reload resets the count.
	FewerWorkers = syscall.SIGTTOU

	// Upgrade (SIGUSR2) forks and execs a second master as a child of the first. Do not send
	// it under a supervisor: after the old master is stopped it exits 0 while the new one,
	// which the supervisor never started, keeps serving.
	Upgrade = syscall.SIGUSR2
)

// Signals lists every named signal with a one-line meaning, in the order above (for status
// pages and `ctl signal` help).
var Signals = []struct {
	Name    string         // the constant's name, e.g. "GracefulStop"
	Signal  syscall.Signal // the signal
	Meaning string         // what the master does with it
}{
	{"GracefulStop", GracefulStop, "finish in-flight requests (up to GracefulTimeout), then exit 0"},
	{"QuickStop", QuickStop, "drop in-flight requests after about 0.1 s, exit 0"},
	{"QuickStopQuit", QuickStopQuit, "same as QuickStop"},
	{"Reload", Reload, "replace all workers, same master pid; re-imports the app unless preloaded"},
	{"ReopenLogs", ReopenLogs, "reopen the access and error log files"},
	{"MoreWorkers", MoreWorkers, "add one worker"},
	{"FewerWorkers", FewerWorkers, "remove the oldest worker (not below one)"},
	{"Upgrade", Upgrade, "start a second master as a child: do not use under a supervisor"},
}

// StopMargin is what StopWait adds to the graceful timeout: the master needs about 0.5 s after
// it to reap its workers and exit; the rest is slack for a loaded machine.
const StopMargin = 5 * time.Second

// StopWait is how long a supervisor should wait after GracefulStop before it SIGKILLs
// (supervisord's stopwaitsecs): GracefulTimeout (30 s when zero, 0 when Disabled) plus
// StopMargin, rounded up to whole seconds.
func (c Config) StopWait() time.Duration {
	g := c.GracefulTimeout
	switch {
	case g == 0:
		g = 30 * time.Second
	case g < 0:
		g = 0
	}
	return time.Duration(seconds(g))*time.Second + StopMargin
}
