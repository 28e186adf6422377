package eventlistener

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// Engine is what the Bus needs of a supervise.Supervisor (which implements it).
type Engine interface {
	SubscribeQueue() (*supervise.EventQueue, func())
	Status(spec string) ([]supervise.ProcessInfo, error)
	ProtocolStdin(group, name string, pid int) (io.Writer, error)
}

var _ Engine = (*supervise.Supervisor)(nil)

// Options configure a Bus. The zero value of each field but Engine works.
type Options struct {
	// Engine is the supervisor whose events the Bus delivers and whose processes are the
	// listeners (required). Its Options.ProtocolOutput must be the Bus's Output.
	Engine Engine
	// Identifier is supervisord's identifier, the `server:` of every envelope;
	// "" = "supervisor".
	Identifier string
	// Logger receives supervisord's event log lines (DEBG "event 3 sent to listener x", WARN
	// "x: event was rejected", ...); nil = discard.
	Logger *slog.Logger
	// Clock times the TICK_* events; nil = the wall clock. No timer runs unless a pool
	// subscribes to a TICK type.
	Clock supervise.Clock
	// MaxPendingOutput bounds the listener output received but not yet parsed, in bytes; a
	// chunk beyond it is dropped and logged (a conforming listener writes a few bytes per
	// event). 0 = 4 MiB.
	MaxPendingOutput int
}

// Bus delivers the engine's events to event listener pools with supervisord 4.2.5's protocol.
// It is the one consumer of the engine's event stream for all pools: it gives each event its
// global serial, buffers it in every pool that subscribes to its type, sends it to a READY
// listener, and reads the listeners' answers. Create it with New before the groups are added
// to the engine (so that it sees their PROCESS_GROUP_ADDED), register pools with AddPool, and
// run Serve.
type Bus struct {
	opts       Options
	engine     Engine
	identifier string
	logger     *slog.Logger
	clock      supervise.Clock
	events     *supervise.EventQueue // lossless: a listener must see every event
	cancel     func()
	batch      []supervise.Event

	mu      sync.Mutex // guards configs
	configs map[string]PoolConfig

	outMu      sync.Mutex // guards the output queue
	outQ       []chunk
	outBytes   int
	outDropped int
	outNote    chan struct{}

	snapReq chan chan []PoolInfo
	wg      sync.WaitGroup // writer goroutines

	// owned by Serve's loop
	serial   int
	pools    []*pool // active pools, in the order their groups were added
	writers  map[string]*writer
	lastTick map[int64]int64
	tick     supervise.Timer
	// listener output dropped since the last warning (at most one every 10 s)
	dropped       int
	droppedLogged time.Time
}

type chunk struct {
	group, name string
	pid         int
	data        []byte
}

// New returns a Bus subscribed to opts.Engine's events (a lossless subscription: events
// wait for Serve). It starts no goroutine.
func New(opts Options) *Bus {
	b := &Bus{opts: opts, engine: opts.Engine, identifier: opts.Identifier, logger: opts.Logger,
		clock: opts.Clock, configs: map[string]PoolConfig{}, outNote: make(chan struct{}, 1),
		snapReq: make(chan chan []PoolInfo), serial: -1, writers: map[string]*writer{},
		lastTick: map[int64]int64{}}
	if b.identifier == "" {
		b.identifier = "supervisor"
	}
	if b.clock == nil {
		b.clock = wallClock{}
	}
	if b.opts.MaxPendingOutput <= 0 {
		b.opts.MaxPendingOutput = 4 << 20
	}
	b.events, b.cancel = b.engine.SubscribeQueue()
	return b
}

// ConfigError is a PoolConfig that AddPool refuses.
type ConfigError struct {
	Pool string
	Msg  string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("event listener pool %q: %s", e.Pool, e.Msg) }

// AddPool registers a pool. It becomes active when the engine adds the group of the same name
// (so add the pool first) and inactive when that group is removed; re-adding a name replaces
// the config for the next activation. Safe for concurrent use.
func (b *Bus) AddPool(cfg PoolConfig) error {
	if cfg.Name == "" {
		return &ConfigError{Msg: "empty name"}
	}
	if len(cfg.Events) == 0 {
		return &ConfigError{Pool: cfg.Name, Msg: "no events"}
	}
	for _, e := range cfg.Events {
		if !KnownType(e) {
			return &ConfigError{Pool: cfg.Name, Msg: "unknown event type " + e}
		}
	}
	cfg.Events = append([]string(nil), cfg.Events...)
	b.mu.Lock()
	b.configs[cfg.Name] = cfg
	b.mu.Unlock()
	return nil
}

// RemovePool forgets a pool's config; an active pool stays active until its group is removed.
func (b *Bus) RemovePool(name string) {
	b.mu.Lock()
	delete(b.configs, name)
	b.mu.Unlock()
}

// Output takes what a listener process wrote to its stdout; it is the engine's
// Options.ProtocolOutput. It never blocks and copies p.
func (b *Bus) Output(group, name string, pid int, p []byte) {
	b.outMu.Lock()
	if b.outBytes+len(p) > b.opts.MaxPendingOutput {
		b.outDropped += len(p)
	} else {
		b.outQ = append(b.outQ, chunk{group, name, pid, append([]byte(nil), p...)})
		b.outBytes += len(p)
	}
	b.outMu.Unlock()
	select {
	case b.outNote <- struct{}{}:
	default:
	}
}

// ListenerInfo is the protocol state of one listener process.
type ListenerInfo struct {
	Name  string
	Pid   int // the spawn the state is about; 0 when it exited
	State ListenerState
}

// PoolInfo describes an active pool.
type PoolInfo struct {
	Name      string
	Buffered  []int // global serials of the buffered events, oldest first
	Listeners []ListenerInfo
}

// Pools returns the active pools (while Serve runs), with their listeners sorted by name.
func (b *Bus) Pools(ctx context.Context) ([]PoolInfo, error) {
	reply := make(chan []PoolInfo, 1)
	select {
	case b.snapReq <- reply:
		return <-reply, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Serve delivers events until ctx ends. It then waits until every envelope being written has
// been written or refused (a write blocked on a listener that does not read ends when that
// listener exits: stop the engine first). It returns nil.
func (b *Bus) Serve(ctx context.Context) error {
	defer b.cancel()
	now := b.clock.Now().Unix()
	for _, t := range ticks {
		b.lastTick[t.period] = timeslice(t.period, now)
	}
	defer func() {
		if b.tick != nil {
			b.tick.Stop()
		}
		b.wg.Wait()
	}()
	for {
		var tickC <-chan time.Time
		if b.tick != nil {
			tickC = b.tick.C()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-b.events.Ready():
			// a burst is taken in at once (supervisord buffers each event as it happens),
			// then dispatched
			b.batch = b.events.Take(b.batch[:0])
			for _, e := range b.batch {
				b.engineEvent(e)
			}
			clear(b.batch)
			if cap(b.batch) > 1024 {
				b.batch = nil
			}
			b.dispatchAll()
		case <-b.outNote:
			b.drainOutput()
		case <-tickC:
			b.tick = nil
			b.ticked()
		case reply := <-b.snapReq:
			reply <- b.snapshot()
		}
	}
}

func (b *Bus) config(name string) (PoolConfig, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cfg, ok := b.configs[name]
	return cfg, ok
}

func (b *Bus) find(name string) *pool {
	for _, p := range b.pools {
		if p.cfg.Name == name {
			return p
		}
	}
	return nil
}

// engineEvent takes one event of the engine in supervisord's order: a pool is subscribed
// before its own PROCESS_GROUP_ADDED and unsubscribed before its PROCESS_GROUP_REMOVED; a
// listener's exit event is buffered before the event it was processing is put back.
func (b *Bus) engineEvent(e supervise.Event) {
	switch e.Kind {
	case supervise.EventGroupAdded:
		if cfg, ok := b.config(e.Group); ok && b.find(e.Group) == nil {
			b.pools = append(b.pools, newPool(b, cfg))
			b.armTick()
		}
	case supervise.EventGroupRemoved:
		for i, p := range b.pools {
			if p.cfg.Name == e.Group {
				b.pools = append(b.pools[:i:i], b.pools[i+1:]...)
				b.armTick()
				break
			}
		}
	}
	if ev, ok := FromEngine(e); ok {
		b.publish(ev)
	}
	if e.Kind == supervise.EventState {
		if p := b.find(e.Group); p != nil {
			l := p.listener(e.Name)
			switch e.To {
			case supervise.Starting:
				if e.Pid != 0 && e.Pid != l.pid {
					p.spawned(l, e.Pid)
				}
			case supervise.Exited, supervise.Stopped, supervise.Backoff:
				p.exited(l, e.Pid)
			}
		}
	}
}

// publish gives ev to every active pool that subscribes to its type (supervisord's notify).
func (b *Bus) publish(ev *Event) {
	for _, p := range b.pools {
		if p.wants(ev.Name) {
			p.accept(ev, false)
		}
	}
}

func (b *Bus) dispatchAll() {
	for _, p := range b.pools {
		if len(p.buffer) > 0 {
			p.dispatch()
		}
	}
}

func (b *Bus) drainOutput() {
	b.outMu.Lock()
	q, dropped := b.outQ, b.outDropped
	b.outQ, b.outBytes, b.outDropped = nil, 0, 0
	b.outMu.Unlock()
	if dropped > 0 {
		b.dropped += dropped
		if now := b.clock.Now(); now.Sub(b.droppedLogged) >= 10*time.Second {
			b.logf(slog.LevelWarn, "event listener output too fast to parse: %d bytes dropped", b.dropped)
			b.dropped, b.droppedLogged = 0, now
		}
	}
	for _, c := range q {
		if p := b.find(c.group); p != nil {
			p.output(c.name, c.pid, c.data)
		}
	}
	b.dispatchAll()
}

func (b *Bus) nextSerial() int {
	b.serial++
	return b.serial
}

func (b *Bus) status(group string) []supervise.ProcessInfo {
	infos, err := b.engine.Status(group + ":")
	if err != nil {
		return nil
	}
	return infos
}

func (b *Bus) logf(level slog.Level, format string, args ...any) {
	if b.logger == nil {
		return
	}
	ctx := context.Background()
	h := b.logger.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	_ = h.Handle(ctx, slog.NewRecord(b.clock.Now(), level, fmt.Sprintf(format, args...), 0))
}

func (b *Bus) snapshot() []PoolInfo {
	out := make([]PoolInfo, 0, len(b.pools))
	for _, p := range b.pools {
		pi := PoolInfo{Name: p.cfg.Name}
		for _, e := range p.buffer {
			pi.Buffered = append(pi.Buffered, e.serial)
		}
		for _, in := range b.status(p.cfg.Name) {
			li := ListenerInfo{Name: in.Name, State: Acknowledged}
			if l := p.listeners[in.Name]; l != nil {
				li.Pid, li.State = l.pid, l.state
			}
			pi.Listeners = append(pi.Listeners, li)
		}
		out = append(out, pi)
	}
	return out
}

// write queues an envelope for a listener's stdin: one writer goroutine per listener runs
// only while it has envelopes, so a listener that does not read blocks nothing else.
func (b *Bus) write(group, name string, pid int, data []byte) {
	key := group + ":" + name
	w := b.writers[key]
	if w == nil {
		w = &writer{b: b, group: group, name: name}
		b.writers[key] = w
	}
	w.push(pid, data)
}

type writer struct {
	b           *Bus
	group, name string

	mu      sync.Mutex
	queue   []envelope
	running bool

	// owned by the running goroutine: the stdin of the spawn last written to
	pid   int
	stdin io.Writer
}

type envelope struct {
	pid  int
	data []byte
}

func (w *writer) push(pid int, data []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = append(w.queue, envelope{pid, data})
	if !w.running {
		w.running = true
		w.b.wg.Add(1)
		go w.run()
	}
}

func (w *writer) run() {
	defer w.b.wg.Done()
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.running = false
			w.queue = nil
			w.mu.Unlock()
			return
		}
		env := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()
		if err := w.send(env); err != nil {
			w.b.logf(slog.LevelDebug, "could not send an event to listener %s (pid %d): %v", w.name, env.pid, err)
		}
	}
}

func (w *writer) send(env envelope) error {
	if env.pid != w.pid || w.stdin == nil {
		stdin, err := w.b.engine.ProtocolStdin(w.group, w.name, env.pid)
		if err != nil {
			return err
		}
		w.pid, w.stdin = env.pid, stdin
	}
	_, err := w.stdin.Write(env.data)
	return err
}

// timeslice is supervisord's: the start of the period that holds when (unix seconds).
func timeslice(period, when int64) int64 { return when - when%period }

// armTick sets the timer for the next TICK boundary a pool subscribes to, or none.
func (b *Bus) armTick() {
	if b.tick != nil {
		b.tick.Stop()
		b.tick = nil
	}
	now := b.clock.Now()
	var next time.Time
	for _, t := range ticks {
		if !b.wanted(t.name) {
			continue
		}
		at := time.Unix(timeslice(t.period, now.Unix())+t.period, 0)
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if !next.IsZero() {
		b.tick = b.clock.NewTimer(next.Sub(now))
	}
}

func (b *Bus) wanted(name string) bool {
	for _, p := range b.pools {
		if p.wants(name) {
			return true
		}
	}
	return false
}

// ticked is supervisord's tick: a TICK_<period> event for each period whose timeslice
// changed, for the periods some pool subscribes to.
func (b *Bus) ticked() {
	now := b.clock.Now().Unix()
	for _, t := range ticks {
		this := timeslice(t.period, now)
		if this == b.lastTick[t.period] {
			continue
		}
		b.lastTick[t.period] = this
		if b.wanted(t.name) {
			b.publish(tickEvent(t.name, this))
		}
	}
	b.armTick()
	b.dispatchAll()
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
func (wallClock) NewTimer(d time.Duration) supervise.Timer {
	return wallTimer{time.NewTimer(d)}
}

type wallTimer struct{ t *time.Timer }

func (t wallTimer) C() <-chan time.Time { return t.t.C }
func (t wallTimer) Stop() bool          { return t.t.Stop() }
