package web

import (
	"context"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Backend is the engine the dashboard shows and drives: the same operations the XML-RPC API
// serves, plus the engine's events. *supervise.Supervisor satisfies it (and so does a daemon
// type that embeds one to add to its Status, as supervisord-lite's does). Specs follow
// supervise's syntax; the dashboard passes "group:name" for one process, "group:*" for a
// group and "" for Status of every process, never a bare name.
type Backend interface {
	// Status returns one process ("group:name") or every process (""), sorted by group then
	// name.
	Status(spec string) ([]supervise.ProcessInfo, error)
	// Start, Stop and Restart act on one process or a group; see supervise.Supervisor.
	Start(ctx context.Context, spec string, wait bool) ([]supervise.Result, error)
	Stop(ctx context.Context, spec string, wait bool) ([]supervise.Result, error)
	Restart(ctx context.Context, spec string) ([]supervise.Result, error)
	// StartAll and StopAll act on every process.
	StartAll(ctx context.Context, wait bool) []supervise.Result
	StopAll(ctx context.Context, wait bool) []supervise.Result
	// ClearLogs empties the logs of one process ("group:name").
	ClearLogs(spec string) ([]supervise.Result, error)
	// Subscribe delivers the engine's events without ever blocking it (see
	// supervise.Supervisor.Subscribe); the dashboard subscribes only while a page is open.
	Subscribe(buffer int) (events <-chan supervise.Event, cancel func())
}

var _ Backend = (*supervise.Supervisor)(nil)
