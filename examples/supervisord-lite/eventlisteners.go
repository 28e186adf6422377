package main

import (
	"context"
	"log/slog"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/eventlistener"
)

// eventPools wires [eventlistener:x] pools: a supervise/eventlistener Bus over the run's
// Supervisor. Create it before the Supervisor (whose ProtocolOutput is its output method),
// attach it before any group is added, and stop it after the Supervisor has stopped.
type eventPools struct {
	bus *eventlistener.Bus
}

// output is the Supervisor's Options.ProtocolOutput.
func (e *eventPools) output(group, name string, pid int, p []byte) {
	e.bus.Output(group, name, pid, p)
}

func (e *eventPools) attach(sup *supervise.Supervisor, s conf.Supervisord, log *slog.Logger) {
	e.bus = eventlistener.New(eventlistener.Options{Engine: sup, Identifier: s.Identifier, Logger: log})
}

// add registers the pool of an [eventlistener:x] group; other groups are left alone.
func (e *eventPools) add(g conf.Group) error {
	if g.Kind != conf.KindEventListener || g.EventListener == nil {
		return nil
	}
	// A result_handler other than supervisord's default cannot be imported (conf warned).
	return e.bus.AddPool(eventlistener.PoolConfig{Name: g.Name, Events: g.EventListener.Events,
		BufferSize: g.EventListener.BufferSize, Priority: g.Priority})
}

// start runs the Bus; the returned function stops it and waits.
func (e *eventPools) start(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.bus.Serve(ctx)
	}()
	return func() { cancel(); <-done }
}
