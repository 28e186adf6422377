package web

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// fakeBackend is a Backend over a fixed table that records the calls made to it and
// publishes events on demand.
type fakeBackend struct {
	mu    sync.Mutex
	infos []supervise.ProcessInfo
	calls []string
	subs  []chan supervise.Event
}

func newFake(infos ...supervise.ProcessInfo) *fakeBackend {
	now := time.Unix(1_700_000_000, 0)
	for i := range infos {
		if infos[i].Now.IsZero() {
			infos[i].Now = now
		}
	}
	return &fakeBackend{infos: infos}
}

func (f *fakeBackend) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Status(spec string) ([]supervise.ProcessInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []supervise.ProcessInfo
	for _, i := range f.infos {
		if spec == "" || spec == i.Group+":"+i.Name {
			out = append(out, i)
		}
	}
	if spec != "" && len(out) == 0 {
		return nil, &supervise.ProcessError{Op: "status", Name: spec, Err: supervise.ErrNotFound}
	}
	return out, nil
}

func (f *fakeBackend) results(op, spec string) ([]supervise.Result, error) {
	f.record(op + " " + spec)
	g, n, _ := strings.Cut(spec, ":")
	return []supervise.Result{{Group: g, Name: n}}, nil
}

func (f *fakeBackend) Start(_ context.Context, spec string, _ bool) ([]supervise.Result, error) {
	return f.results("start", spec)
}

func (f *fakeBackend) Stop(_ context.Context, spec string, _ bool) ([]supervise.Result, error) {
	return f.results("stop", spec)
}

func (f *fakeBackend) Restart(_ context.Context, spec string) ([]supervise.Result, error) {
	return f.results("restart", spec)
}

func (f *fakeBackend) StartAll(context.Context, bool) []supervise.Result {
	f.record("startall")
	return nil
}

func (f *fakeBackend) StopAll(context.Context, bool) []supervise.Result {
	f.record("stopall")
	return nil
}

func (f *fakeBackend) ClearLogs(spec string) ([]supervise.Result, error) {
	return f.results("clear", spec)
}

func (f *fakeBackend) Subscribe(buffer int) (<-chan supervise.Event, func()) {
	ch := make(chan supervise.Event, buffer)
	f.mu.Lock()
	f.subs = append(f.subs, ch)
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			for i, c := range f.subs {
				if c == ch {
					f.subs = append(f.subs[:i], f.subs[i+1:]...)
					break
				}
			}
			close(ch)
		})
	}
}

// subscribers is how many subscriptions are open.
func (f *fakeBackend) subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// setState changes a process's state and publishes the change.
func (f *fakeBackend) setState(spec string, st supervise.State, pid int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.infos {
		in := &f.infos[i]
		if in.Group+":"+in.Name != spec {
			continue
		}
		from := in.State
		in.State, in.Pid = st, pid
		for _, c := range f.subs {
			c <- supervise.Event{Kind: supervise.EventState, Group: in.Group, Name: in.Name, From: from, To: st}
		}
	}
}
