package rpc

import (
	"context"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
)

// Backend is the engine the server drives. *supervise.Supervisor satisfies it; tests use a
// fake. Specs follow supervise's syntax: "group:name" for one process and "group:*" for a whole
// group; the server always passes one of these two forms (or "all" / "" where noted), never a
// bare name, so that a group called "all" is not mistaken for everything.
type Backend interface {
	// Start and Stop act on one process or a group, waiting as supervisord's deferred calls
	// do when wait is true; see supervise.Supervisor.Start for the errors.
	Start(ctx context.Context, spec string, wait bool) ([]Result, error)
	Stop(ctx context.Context, spec string, wait bool) ([]Result, error)
	// Signal sends sig to one process or to the signallable processes of a group.
	Signal(ctx context.Context, spec string, sig syscall.Signal) ([]Result, error)
	// StartAll and StopAll are startAllProcesses and stopAllProcesses.
	StartAll(ctx context.Context, wait bool) []Result
	StopAll(ctx context.Context, wait bool) []Result
	// Status returns one process ("group:name") or every process ("") in getAllProcessInfo
	// order.
	Status(spec string) ([]supervise.ProcessInfo, error)
	// ClearLogs removes and reopens the logs of one process, or of all ("all").
	ClearLogs(spec string) ([]Result, error)
	// WriteStdin writes to the stdin of one process ("group:name").
	WriteStdin(name string, data []byte) error
}

// Result is the outcome for one process of an operation on several.
type Result = supervise.Result

var _ Backend = (*supervise.Supervisor)(nil)

// stater is the optional part of a Backend that reports the supervisor's state; while it is
// not SupervisorRunning, calls get SHUTDOWN_STATE. *supervise.Supervisor has it.
type stater interface {
	State() supervise.SupervisorState
}

// ConfigInfo is one getAllConfigInfo entry (supervisorctl avail): supervise/conf's, the one
// definition of it, which the server encodes and the client decodes.
type ConfigInfo = conf.ConfigInfo

// Reloader is what the daemon supplies for reloadConfig, addProcessGroup and
// removeProcessGroup (supervisorctl reread, update, add and remove).
type Reloader interface {
	// Reread reads the configuration again and returns the group names that the new
	// configuration adds, changes and removes compared with the active groups. An error
	// becomes CANT_REREAD with the error's text.
	Reread(ctx context.Context) (added, changed, removed []string, err error)
	// AddGroup activates a group of the last read configuration: supervise.ErrNotFound when
	// the configuration has no such group, supervise.ErrAlreadyAdded when it is active.
	AddGroup(ctx context.Context, name string) error
	// RemoveGroup deactivates a group: supervise.ErrNotFound, supervise.ErrStillRunning.
	RemoveGroup(ctx context.Context, name string) error
}
