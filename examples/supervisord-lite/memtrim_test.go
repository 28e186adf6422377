package main

import (
	"context"
	"fmt"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// burst adds n programs that exit at once (startsecs=0, never restarted): a few state events
// each, then silence.
func burst(t *testing.T, sv *supervise.Supervisor, name string, n int) {
	g := supervise.Group{Name: name}
	for i := 0; i < n; i++ {
		g.Programs = append(g.Programs, supervise.Program{Name: fmt.Sprintf("p%d", i), Command: "/bin/true",
			StartSecs: -1, AutoRestart: supervise.RestartNever,
			Stdout: supervise.Log{Path: supervise.LogNone}, Stderr: supervise.Log{Path: supervise.LogNone}})
	}
	require.NoError(t, sv.Add(context.Background(), g))
}

func serveEngine(t *testing.T) *supervise.Supervisor {
	sv := supervise.New(supervise.Options{})
	// Serve's own first event (EventSupervisorRunning) is activity too: the tests start
	// their trimmer after it, or a loaded machine delivers it to the trimmer as a burst.
	events, unsubscribe := sv.Subscribe(16)
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	timeout := time.After(time.Minute)
	for {
		select {
		case e := <-events:
			if e.Kind == supervise.EventSupervisorRunning {
				return sv
			}
		case <-timeout:
			t.Fatal("Serve published no EventSupervisorRunning")
		}
	}
}

// A burst of events followed by silence trims once when enough was allocated, never otherwise;
// it releases the code pages once either way.
func TestMemTrimmerAfterBurst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes uint64
		want  int32
	}{
		{"burst", 1, 1},
		{"too little allocated", 1 << 50, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sv := serveEngine(t)
			var trims, releases atomic.Int32
			m := &memTrimmer{bytes: tc.bytes, quiet: 200 * time.Millisecond, trim: func() { trims.Add(1) },
				release: func() { releases.Add(1) }, poked: make(chan struct{}, 1)}
			stop := m.start(context.Background(), sv)
			defer stop()
			burst(t, sv, "b", 10) // 10 programs: STARTING, RUNNING, EXITED each, and the group
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				st, err := sv.Status("b:*")
				require.NoError(t, err)
				exited := 0
				for _, p := range st {
					if p.State == supervise.Exited {
						exited++
					}
				}
				if exited == len(st) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			for time.Now().Before(deadline) && releases.Load() == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(5 * m.quiet) // silence: no further trim
			assert.Equal(t, tc.want, trims.Load())
			assert.Equal(t, int32(1), releases.Load())
		})
	}
}

// A status call (poke) is activity too: quiet after it trims once; an idle trimmer never does.
func TestMemTrimmerPoke(t *testing.T) {
	sv := serveEngine(t)
	trims := make(chan struct{}, 10)
	m := &memTrimmer{bytes: 1, quiet: 100 * time.Millisecond, trim: func() { trims <- struct{}{} },
		poked: make(chan struct{}, 1)}
	stop := m.start(context.Background(), sv)
	defer stop()
	time.Sleep(3 * m.quiet)
	assert.Len(t, trims, 0, "no activity, no trim")
	m.statusHook(nil)              // the daemon calls it for every status answer (daemonOptions)
	trimSink = make([]byte, 1<<20) // allocations since the start: at least m.bytes
	select {
	case <-trims:
	case <-time.After(10 * time.Second):
		t.Fatal("no trim after a status call")
	}
	time.Sleep(3 * m.quiet)
	assert.Len(t, trims, 0, "one trim per burst")
	var nilTrimmer *memTrimmer
	nilTrimmer.poke() // a backend without a trimmer
}

var trimSink []byte

// Serve (the daemon's service) and stop end the watcher even when no event ever came.
func TestMemTrimmerStops(t *testing.T) {
	sv := serveEngine(t)
	m := newMemTrimmer()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Serve(ctx, daemon.Run{Supervisor: sv, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	cancel()
	require.NoError(t, <-done)
	stop := m.start(context.Background(), sv)
	stop()
}

// start watches sup (as Serve does) until ctx ends or the returned stop is called (it waits for the watcher).
func (m *memTrimmer) start(ctx context.Context, sup *supervise.Supervisor) (stop func()) {
	events, cancel := sup.Subscribe(256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.watch(ctx, events)
	}()
	return func() {
		cancel()
		<-done
	}
}
