package supervise

import (
	"context"
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"io"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a manual Clock: time moves only in Advance, and timers fire then.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	calls  int // Now and NewTimer calls, to show an idle supervisor makes none
}

type fakeTimer struct {
	c      *fakeClock
	at     time.Time
	ch     chan time.Time
	active bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 23, 23, 54, 305e6, time.Local)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	t := &fakeTimer{c: c, at: c.now.Add(d), ch: make(chan time.Time, 1), active: true}
	if d <= 0 {
		t.active = false
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

// Advance moves time forward by d and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case !t.active:
		case !t.at.After(c.now):
			t.active = false
			t.ch <- c.now
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
}

// pending returns how many timers are armed.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if t.active {
			n++
		}
	}
	return n
}

func (c *fakeClock) callCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// fakeSpawner starts fakeChildren; behave decides, per spawn number (1-based), what the child
// does at once: exit with a status, or nothing (it runs until the test or a signal ends it).
type fakeSpawner struct {
	clock  *fakeClock
	mu     sync.Mutex
	spawns []time.Time
	kids   []*fakeChild
	behave func(n int, c *fakeChild)
	err    error // returned by Spawn when set
}

type sigRec struct {
	sig   syscall.Signal
	group bool
	at    time.Time
}

type fakeChild struct {
	pid      int
	clock    *fakeClock
	done     chan ExitStatus
	mu       sync.Mutex
	signals  []sigRec
	onSignal func(c *fakeChild, sig syscall.Signal) // nil: any signal kills it
	sigErr   error
	exitOnce sync.Once
	cmd      *Cmd
}

func (s *fakeSpawner) Spawn(cmd *Cmd) (Child, error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return nil, s.err
	}
	s.spawns = append(s.spawns, s.clock.Now())
	n := len(s.spawns)
	c := &fakeChild{pid: 1000 + n, clock: s.clock, done: make(chan ExitStatus, 1), cmd: cmd}
	s.kids = append(s.kids, c)
	behave := s.behave
	s.mu.Unlock()
	if behave != nil {
		behave(n, c)
	}
	return c, nil
}

func (s *fakeSpawner) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spawns)
}

func (s *fakeSpawner) kid(n int) *fakeChild {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kids[n-1]
}

func (s *fakeSpawner) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.spawns...)
}

func (c *fakeChild) Pid() int                { return c.pid }
func (c *fakeChild) Done() <-chan ExitStatus { return c.done }
func (c *fakeChild) Stdin() io.Writer        { return io.Discard }

func (c *fakeChild) Signal(sig syscall.Signal, group bool) error {
	c.mu.Lock()
	c.signals = append(c.signals, sigRec{sig, group, c.clock.Now()})
	on, err := c.onSignal, c.sigErr
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if on != nil {
		on(c, sig)
		return nil
	}
	c.exit(Killed(sig))
	return nil
}

func (c *fakeChild) sigs() []sigRec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sigRec(nil), c.signals...)
}

// exit makes the child exit with es (once).
func (c *fakeChild) exit(es ExitStatus) { c.exitOnce.Do(func() { c.done <- es }) }

// harness runs a Supervisor on a fake clock and spawner and records its events and log.
type harness struct {
	t      *testing.T
	sv     *Supervisor
	clock  *fakeClock
	sp     *fakeSpawner
	events <-chan Event
	log    *logBuffer
	cancel func()
	done   chan error
	seen   []Event
}

// logBuffer is the engine's log, written by the engine and read by the test.
type logBuffer struct{ testenv.Buffer }

// lines returns the log lines without their timestamps ("INFO spawned: ...").
func (b *logBuffer) lines() []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if len(l) > 24 {
			out = append(out, l[24:])
		}
	}
	return out
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock(), log: &logBuffer{}, done: make(chan error, 1)}
	h.sp = &fakeSpawner{clock: h.clock}
	h.sv = New(Options{Clock: h.clock, Spawner: h.sp, Env: []string{"PATH=/bin:/usr/bin"},
		ChildLogDir: t.TempDir(), Logger: slog.New(NewLogHandler(h.log, slog.LevelDebug))})
	var cancelSub func()
	h.events, cancelSub = h.sv.Subscribe(10000)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- h.sv.Serve(ctx) }()
	testenv.WaitFor(t, "the supervisor to serve", h.sv.isServing)
	stopped := false
	h.cancel = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-h.done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return")
		}
		cancelSub()
	}
	t.Cleanup(h.cancel)
	return h
}

// quiet returns a Program running /bin/sh with its output discarded.
func quiet(name string) Program {
	return Program{Name: name, Command: "/bin/sh", Stdout: Log{Path: LogNone}, Stderr: Log{Path: LogNone}}
}

func (h *harness) add(progs ...Program) {
	h.t.Helper()
	name := progs[0].Name
	require.NoError(h.t, h.sv.Add(context.Background(), Group{Name: name, Programs: progs}))
}

// next returns the next event (failing after 5 s of real time: a safety net, not a timing).
func (h *harness) next() Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		h.seen = append(h.seen, e)
		return e
	case <-time.After(5 * time.Second):
		h.t.Fatalf("no event; seen %v", h.seen)
	}
	return Event{}
}

// expect reads state events and checks they go through states, in order.
func (h *harness) expect(states ...State) []Event {
	h.t.Helper()
	var got []Event
	for _, want := range states {
		e := h.next()
		for e.Kind != EventState {
			e = h.next()
		}
		require.Equal(h.t, want, e.To, "event %d: %s -> %s (wanted %s)", len(got), e.From, e.To, want)
		got = append(got, e)
	}
	return got
}

// status returns the one process's info.
func (h *harness) status(name string) ProcessInfo {
	h.t.Helper()
	infos, err := h.sv.Status(name)
	require.NoError(h.t, err)
	require.Len(h.t, infos, 1)
	return infos[0]
}

// settle waits until the process snapshot satisfies pred (real-time safety net of 5 s).
func (h *harness) settle(name string, pred func(ProcessInfo) bool) ProcessInfo {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := h.status(name)
		if pred(info) {
			return info
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("process %s never settled: %+v", name, info)
		}
		time.Sleep(time.Millisecond)
	}
}

func logTo(w *logBuffer) *slog.Logger { return slog.New(NewLogHandler(w, slog.LevelDebug)) }
