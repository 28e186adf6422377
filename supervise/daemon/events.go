package daemon

import (
	"context"
	"log/slog"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/conf"
	"github.com/supervisord-lite/supervisord-lite/supervise/eventlistener"
)

// events is one run's [eventlistener:x] support: a supervise/eventlistener Bus over the run's
// Supervisor. Create it before the Supervisor (whose Options.ProtocolOutput is its output
// method), attach it before any group is added, register a pool before its group is added
// (add), and stop the Bus after the Supervisor has stopped.
type events struct {
	bus *eventlistener.Bus
}

// output is the Supervisor's Options.ProtocolOutput: what a listener wrote to its stdout.
func (e *events) output(group, name string, pid int, p []byte) {
	e.bus.Output(group, name, pid, p)
}

func (e *events) attach(sup *supervise.Supervisor, identifier string, log *slog.Logger) {
	e.bus = eventlistener.New(eventlistener.Options{Engine: sup, Identifier: identifier, Logger: log})
}

// add registers the pools of l among names (all of them when names is nil); groups that are
// not [eventlistener:x] pools are left alone. Registering a pool again replaces its config for
// its next activation (an update).
func (e *events) add(l *loaded, names ...string) error {
	for _, p := range l.pools {
		if names != nil && !contains(names, p.Name) {
			continue
		}
		if err := e.bus.AddPool(p); err != nil {
			return err
		}
	}
	return nil
}

// remoteComm is the XML-RPC sendRemoteCommEvent: a REMOTE_COMMUNICATION event.
func (e *events) remoteComm(sup *supervise.Supervisor) func(typ, data string) {
	return func(typ, data string) { sup.SendRemoteComm(typ, []byte(data)) }
}

// start runs the Bus; the returned function stops it and waits.
func (e *events) start(log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.bus.Serve(ctx); err != nil && ctx.Err() == nil {
			log.Error("event listener bus stopped: " + err.Error())
		}
	}()
	return func() { cancel(); <-done }
}

// poolConfig is the eventlistener pool of an [eventlistener:x] group.
func poolConfig(g conf.Group) eventlistener.PoolConfig {
	// A result_handler other than supervisord's default cannot be imported (conf warned).
	return eventlistener.PoolConfig{Name: g.Name, Events: g.EventListener.Events,
		BufferSize: g.EventListener.BufferSize, Priority: g.Priority}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
