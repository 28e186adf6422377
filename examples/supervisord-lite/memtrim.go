package main

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// A burst of activity (start-up, a reload, a crash storm) leaves garbage behind: parsed
// configuration, spawn arguments, log buffers. The Go runtime returns such memory to the
// operating system only slowly, so an idle daemon would keep the peak of its last burst resident
// for minutes. memTrimmer watches the engine's events and, once at least trimAfter of them came
// and then none for trimQuiet, collects and returns the free memory at once
// (runtime/debug.FreeOSMemory). An idle daemon never wakes up for it.
type memTrimmer struct {
	after int           // events that make a burst
	quiet time.Duration // silence that ends it
	trim  func()        // debug.FreeOSMemory
}

const (
	trimAfter = 20
	trimQuiet = time.Second
)

func newMemTrimmer() *memTrimmer {
	return &memTrimmer{after: trimAfter, quiet: trimQuiet, trim: debug.FreeOSMemory}
}

// start watches sup until ctx ends or the returned stop is called (it waits for the watcher).
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

func (m *memTrimmer) watch(ctx context.Context, events <-chan supervise.Event) {
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				return
			}
			seen += 1 + e.Dropped
			if seen >= m.after {
				if !quiet.Stop() { // measured from the last event
					select {
					case <-quiet.C:
					default:
					}
				}
				quiet.Reset(m.quiet)
			}
		case <-quiet.C:
			m.trim()
			seen = 0
		}
	}
}
