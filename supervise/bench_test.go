package supervise

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"
)

// benchSupervisor serves a real Supervisor until the benchmark ends.
func benchSupervisor(b *testing.B) (*Supervisor, <-chan Event, func()) {
	return benchSupervisorOpts(b, Options{})
}

func benchSupervisorOpts(b *testing.B, opts Options) (*Supervisor, <-chan Event, func()) {
	opts.ChildLogDir = b.TempDir()
	sv := New(opts)
	events, cancelSub := sv.Subscribe(1 << 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	for !sv.isServing() {
		time.Sleep(time.Millisecond)
	}
	return sv, events, func() { cancel(); <-done; cancelSub() }
}

func sleeper(name string) Program {
	return Program{Name: name, Command: "/bin/sleep", Args: []string{"1000"}, StartSecs: -1,
		StopWait: 5 * time.Second, Stdout: Log{Path: LogNone}, Stderr: Log{Path: LogNone}}
}

func waitEvent(b *testing.B, events <-chan Event, pred func(Event) bool) Event {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-events:
			if pred(e) {
				return e
			}
		case <-timeout:
			b.Fatal("timed out waiting for an event")
		}
	}
}

// BenchmarkRestartAfterKill9 measures kill -9 of a RUNNING program to its replacement being
// spawned (supervisord 4.2.5 here: 1007 ms p50 when idle).
func BenchmarkRestartAfterKill9(b *testing.B) {
	sv, events, stop := benchSupervisor(b)
	defer stop()
	if err := sv.Add(context.Background(), Group{Name: "s", Programs: []Program{sleeper("s")}}); err != nil {
		b.Fatal(err)
	}
	pid := waitEvent(b, events, func(e Event) bool { return e.To == Running }).Pid
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		syscall.Kill(pid, syscall.SIGKILL)
		e := waitEvent(b, events, func(e Event) bool { return e.To == Running && e.Pid != pid })
		lat = append(lat, time.Since(t0))
		pid = e.Pid
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func manySleepers(n int) Group {
	g := Group{Name: "many"}
	for i := 0; i < n; i++ {
		g.Programs = append(g.Programs, sleeper(fmt.Sprintf("p%03d", i)))
	}
	return g
}

// BenchmarkStart500 measures adding 500 programs (startsecs=0) until all are RUNNING
// (supervisord: 3.2 s).
func BenchmarkStart500(b *testing.B) { benchStart500(b, false) }

// BenchmarkStart500StateFile is BenchmarkStart500 with Options.StateFile recording them all.
func BenchmarkStart500StateFile(b *testing.B) { benchStart500(b, true) }

func benchStart500(b *testing.B, state bool) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var opts Options
		if state {
			opts.StateFile = b.TempDir() + "/state"
		}
		sv, events, stop := benchSupervisorOpts(b, opts)
		b.StartTimer()
		if err := sv.Add(context.Background(), manySleepers(500)); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < 500; n++ {
			waitEvent(b, events, func(e Event) bool { return e.To == Running })
		}
		b.StopTimer()
		stop()
	}
}

// BenchmarkStop100 measures StopAll (waiting) of 100 running programs (supervisord: 37 s).
func BenchmarkStop100(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sv, events, stop := benchSupervisor(b)
		if err := sv.Add(context.Background(), manySleepers(100)); err != nil {
			b.Fatal(err)
		}
		for n := 0; n < 100; n++ {
			waitEvent(b, events, func(e Event) bool { return e.To == Running })
		}
		b.StartTimer()
		for _, r := range sv.StopAll(context.Background(), true) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		b.StopTimer()
		stop()
	}
}

// BenchmarkIdleHeapPerProgram reports the heap held per RUNNING, idle program with AUTO log
// files (target < 5 kB); goroutine stacks are not heap and are reported separately.
func BenchmarkIdleHeapPerProgram(b *testing.B) {
	const n = 200
	var heap, stack float64
	for i := 0; i < b.N; i++ {
		sv, events, stop := benchSupervisor(b)
		g := manySleepers(n)
		for j := range g.Programs {
			g.Programs[j].Stdout, g.Programs[j].Stderr = Log{}, Log{} // AUTO files
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := sv.Add(context.Background(), g); err != nil {
			b.Fatal(err)
		}
		for k := 0; k < n; {
			if e := <-events; e.To == Running {
				k++
			}
		}
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		runtime.GC() // twice: pooled read buffers are shared, not per program
		runtime.ReadMemStats(&after)
		heap += float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		stack += float64(int64(after.StackInuse)-int64(before.StackInuse)) / n
		stop()
	}
	b.ReportMetric(heap/float64(b.N), "heap-B/program")
	b.ReportMetric(stack/float64(b.N), "stack-B/program")
}
