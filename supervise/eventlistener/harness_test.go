package eventlistener

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeEngine stands for a Supervisor: the test publishes its events, sets its process table
// and reads what the Bus writes to listeners.
type fakeEngine struct {
	events *supervise.EventQueue
	writes chan written

	mu    sync.Mutex
	procs map[string]supervise.ProcessInfo // by group:name
}

type written struct {
	group, name string
	pid         int
	data        string
}

func (f *fakeEngine) SubscribeQueue() (*supervise.EventQueue, func()) { return f.events, func() {} }

func (f *fakeEngine) Status(spec string) ([]supervise.ProcessInfo, error) {
	group := strings.TrimSuffix(spec, ":")
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []supervise.ProcessInfo
	for _, in := range f.procs {
		if in.Group == group {
			out = append(out, in)
		}
	}
	if out == nil {
		return nil, &supervise.ProcessError{Op: "status", Name: spec, Err: supervise.ErrNotFound}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (f *fakeEngine) ProtocolStdin(group, name string, pid int) (io.Writer, error) {
	return stdinFunc(func(p []byte) (int, error) {
		f.writes <- written{group, name, pid, string(p)}
		return len(p), nil
	}), nil
}

type stdinFunc func([]byte) (int, error)

func (f stdinFunc) Write(p []byte) (int, error) { return f(p) }

// logLines collects the Bus's log as "LEVL message" lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, supervise.LevelName(r.Level)+" "+r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// harness runs a Bus over a fakeEngine.
type harness struct {
	t     *testing.T
	eng   *fakeEngine
	bus   *Bus
	log   *logLines
	clock *fakeClock
}

func newHarness(t *testing.T, pools ...PoolConfig) *harness {
	h := &harness{t: t, eng: &fakeEngine{events: supervise.NewEventQueue(), writes: make(chan written, 100),
		procs: map[string]supervise.ProcessInfo{}}, log: &logLines{}, clock: newFakeClock()}
	h.bus = New(Options{Engine: h.eng, Identifier: "test", Logger: slog.New(h.log), Clock: h.clock})
	for _, p := range pools {
		require.NoError(t, h.bus.AddPool(p))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.bus.Serve(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *harness) emit(e supervise.Event) { h.eng.events.Push(e) }

// addGroup publishes PROCESS_GROUP_ADDED for a group with the given listener processes.
func (h *harness) addGroup(group string, names ...string) {
	h.eng.mu.Lock()
	for _, n := range names {
		h.eng.procs[group+":"+n] = supervise.ProcessInfo{Group: group, Name: n, State: supervise.Stopped}
	}
	h.eng.mu.Unlock()
	h.emit(supervise.Event{Kind: supervise.EventGroupAdded, Group: group})
}

// state moves a process to a state, as the engine does: the table first, then the event.
func (h *harness) state(group, name string, to supervise.State, pid int) {
	h.eng.mu.Lock()
	key := group + ":" + name
	in := h.eng.procs[key]
	from := in.State
	in.State, in.Pid = to, pid
	if to != supervise.Starting && to != supervise.Running && to != supervise.Stopping {
		in.Pid = 0
	}
	h.eng.procs[key] = in
	h.eng.mu.Unlock()
	h.emit(supervise.Event{Kind: supervise.EventState, Group: group, Name: name, From: from, To: to, Pid: pid})
}

// run starts a listener process: STARTING then RUNNING with pid.
func (h *harness) run(group, name string, pid int) {
	h.state(group, name, supervise.Starting, pid)
	h.state(group, name, supervise.Running, pid)
}

// say hands listener output to the Bus once the Bus has handled every event emitted before.
func (h *harness) say(group, name string, pid int, s string) {
	h.pools()
	h.bus.Output(group, name, pid, []byte(s))
}

// sent waits for the next envelope written to a listener.
func (h *harness) sent() written {
	h.t.Helper()
	select {
	case w := <-h.eng.writes:
		return w
	case <-time.After(10 * time.Second):
		h.t.Fatalf("no envelope sent; log:\n%s", strings.Join(h.log.all(), "\n"))
	}
	return written{}
}

// quiet checks that nothing is sent once the Bus has handled everything before.
func (h *harness) quiet() {
	h.t.Helper()
	h.pools()
	select {
	case w := <-h.eng.writes:
		h.t.Fatalf("unexpected envelope %+v", w)
	default:
	}
}

// pools returns the Bus's pools; a round trip through its loop, after everything sent before.
func (h *harness) pools() []PoolInfo {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// events and output are separate inputs: let both drain first
	for i := 0; i < 1000 && (len(h.eng.events.Ready()) > 0 || h.outPending()); i++ {
		time.Sleep(time.Millisecond)
	}
	ps, err := h.bus.Pools(ctx)
	require.NoError(h.t, err)
	return ps
}

func (h *harness) outPending() bool {
	h.bus.outMu.Lock()
	defer h.bus.outMu.Unlock()
	return len(h.bus.outQ) > 0
}

// waitLog waits until the log holds line.
func (h *harness) waitLog(line string) {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, l := range h.log.all() {
			if l == line {
				return
			}
		}
	}
	h.t.Fatalf("log never said %q:\n%s", line, strings.Join(h.log.all(), "\n"))
}

// fakeClock is a Clock whose time moves only by Advance.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c  *fakeClock
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1796402327, 0)} // 3 s before a 5 s boundary
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) supervise.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// pending returns the deadlines of the armed timers.
func (c *fakeClock) pending() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Time
	for _, t := range c.timers {
		out = append(out, t.at)
	}
	return out
}

// Advance moves the time and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
		} else {
			keep = append(keep, t)
		}
	}
	c.timers = keep
}
