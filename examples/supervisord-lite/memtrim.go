package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
)

// A burst of activity (start-up, a reload, a crash storm, a client polling the status of 500
// programs) leaves garbage behind: parsed configuration, spawn arguments, encoded responses.
// The Go runtime returns such memory to the operating system only slowly, so an idle daemon
// would keep the peak of its last burst resident for minutes. memTrimmer watches the engine's
// events and the XML-RPC status calls (poke) and, once they have been quiet for trimQuiet, drops
// the code pages the burst mapped (release: releaseCode, see codepages_linux.go) and, if at
// least trimBytes were allocated since the last trim, collects and returns the free memory at
// once (freeMemory). An idle daemon never wakes up for it.
type memTrimmer struct {
	bytes   uint64        // allocations that make a trim worth it
	quiet   time.Duration // silence that ends a burst
	trim    func()        // freeMemory
	release func()        // releaseCode, every time a burst ends
	poked   chan struct{}
}

const (
	trimBytes = 2 << 20
	trimQuiet = time.Second
)

// newMemTrimmer returns the daemon's trimmer (a daemon.Service); the first failure to
// release code pages goes to the daemon's log (a warning: the daemon works as before, with
// more resident memory).
func newMemTrimmer() *memTrimmer {
	return &memTrimmer{bytes: trimBytes, quiet: trimQuiet, trim: freeMemory, poked: make(chan struct{}, 1)}
}

// Serve watches one run's supervisor until ctx ends (daemon.Service).
func (m *memTrimmer) Serve(ctx context.Context, run daemon.Run) error {
	if m.release == nil {
		failed := false
		log := run.Logger
		m.release = func() {
			if err := releaseCode(); err != nil && !failed {
				failed = true
				log.Warn("could not release the pages of the daemon's code: " + err.Error())
			}
		}
	}
	events, cancel := run.Supervisor.Subscribe(256)
	defer cancel()
	m.watch(ctx, events)
	return nil
}

// freeMemory collects twice, so that buffers pooled in a sync.Pool (kept over one collection)
// are freed too, and returns the free memory to the OS.
func freeMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// poke reports activity outside the engine (an XML-RPC call); it never blocks. A nil trimmer
// ignores it.
func (m *memTrimmer) poke() {
	if m == nil {
		return
	}
	select {
	case m.poked <- struct{}{}:
	default:
	}
}

// statusHook pokes for each status answer (a daemon.Options.StatusHooks entry).
func (m *memTrimmer) statusHook([]supervise.ProcessInfo) { m.poke() }

func (m *memTrimmer) watch(ctx context.Context, events <-chan supervise.Event) {
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()
	rearm := func() { // measured from the last activity
		if !quiet.Stop() {
			select {
			case <-quiet.C:
			default:
			}
		}
		quiet.Reset(m.quiet)
	}
	last := allocated()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				return
			}
			rearm()
		case <-m.poked:
			rearm()
		case <-quiet.C:
			if now := allocated(); now-last >= m.bytes {
				m.trim()
				last = allocated()
			}
			if m.release != nil {
				m.release()
			}
		}
	}
}

// allocated returns the bytes allocated on the heap since the program started.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
