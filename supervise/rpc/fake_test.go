package rpc

import (
	"context"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// fake is an in-memory Backend with supervisord's state rules for start, stop and signal.
type fake struct {
	mu      sync.Mutex
	procs   []*fakeProc
	now     time.Time
	nextPid int
	signals []string // "group:name SIG" in order
	stdin   map[string]string
	block   chan struct{}    // when set, a waited Start blocks until it is closed or ctx ends
	clock   func() time.Time // when set, the time instead of now
}

func (f *fake) time() time.Time {
	if f.clock != nil {
		return f.clock()
	}
	return f.now
}

type fakeProc struct {
	info   supervise.ProcessInfo
	noFile string // a start fails with NO_FILE and this detail
}

var _ Backend = (*fake)(nil)

const captureNow = 1795649335 // "now" of the golden captures

func unix(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// newCaptureFake holds the processes of the golden captures (wire/README.md), in a scrambled
// order, with their logs under the capture's paths.
func newCaptureFake() *fake {
	f := &fake{now: unix(captureNow), nextPid: 23702, stdin: map[string]string{}}
	logs := func(name, out, errSuffix string) (string, string) {
		d := "/srv/fixtures/supervisord/probe/wire/"
		return d + name + "-stdout---probe-wire-" + out + ".log", d + name + "-stderr---probe-wire-" + errSuffix + ".log"
	}
	add := func(group, name string, st supervise.State, start, stop int64, pid int, spawnerr, out, errs string) *fakeProc {
		so, se := logs(name, out, errs)
		p := &fakeProc{info: supervise.ProcessInfo{Name: name, Group: group, State: st, Start: unix(start), Stop: unix(stop),
			Pid: pid, SpawnErr: spawnerr, StdoutLogfile: so, StderrLogfile: se}}
		f.procs = append(f.procs, p)
		return p
	}
	add("workers", "w_00", supervise.Running, 1795649332, 0, 22954, "", "fouzjx7j", "heylkb6z")
	add("workers", "w_01", supervise.Running, 1795649332, 0, 22955, "", "pmf44bon", "_07enby1")
	add("web", "web", supervise.Running, 1795649332, 0, 22953, "", "19rtq0is", "6jaz5ms5")
	add("oneshot", "oneshot", supervise.Exited, 1795649332, 1795649332, 0, "", "ahz9zutx", "vo20805i")
	b := add("broken", "broken", supervise.Fatal, 1795649332, 0, 0, "can't find command '/nonexistent/bin/app'", "v8ryj4r6", "5w_1uoem")
	b.noFile = "can't find command '/nonexistent/bin/app'"
	add("manual", "manual", supervise.Stopped, 0, 0, 0, "", "cgqvkk4m", "hl6sbo_n")
	return f
}

func (f *fake) proc(group, name string) *fakeProc {
	for _, p := range f.procs {
		if p.info.Group == group && p.info.Name == name {
			return p
		}
	}
	return nil
}

// resolve returns the processes of spec ("g:*", "g:p", "all" or ""), in priority order (here:
// as held), and whether spec names one process.
func (f *fake) resolve(op, spec string) ([]*fakeProc, bool, error) {
	if spec == "" || spec == "all" {
		return f.procs, false, nil
	}
	g, p, _ := strings.Cut(spec, ":")
	if p == "*" {
		var out []*fakeProc
		for _, pr := range f.procs {
			if pr.info.Group == g {
				out = append(out, pr)
			}
		}
		if out == nil {
			return nil, false, &supervise.ProcessError{Op: op, Name: spec, Err: supervise.ErrNotFound}
		}
		return out, false, nil
	}
	if pr := f.proc(g, p); pr != nil {
		return []*fakeProc{pr}, true, nil
	}
	return nil, true, &supervise.ProcessError{Op: op, Name: spec, Err: supervise.ErrNotFound}
}

// each applies do to the processes of spec that pass filter (all of them for one process)
// and returns supervise's results.
func (f *fake) each(op, spec string, filter func(supervise.State) bool, do func(*fakeProc) error) ([]Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ps, one, err := f.resolve(op, spec)
	if err != nil {
		return nil, err
	}
	var rs []Result
	for _, p := range ps {
		if !one && !filter(p.info.State) {
			continue
		}
		r := Result{Name: p.info.Name, Group: p.info.Group}
		if e := do(p); e != nil {
			r.Err = &supervise.ProcessError{Op: op, Name: Namespec(p.info.Group, p.info.Name), Err: e}
			if e == supervise.ErrNoFile {
				r.Err.(*supervise.ProcessError).Detail = p.noFile
			}
		}
		rs = append(rs, r)
	}
	if one {
		return rs, rs[0].Err
	}
	return rs, nil
}

func (f *fake) Start(ctx context.Context, spec string, wait bool) ([]Result, error) {
	rs, err := f.each("start", spec, func(s supervise.State) bool { return !s.IsRunning() }, func(p *fakeProc) error {
		if p.noFile != "" {
			return supervise.ErrNoFile
		}
		if p.info.State.IsRunning() {
			return supervise.ErrAlreadyStarted
		}
		p.info.State, p.info.Start, p.info.Pid = supervise.Running, f.time(), f.nextPid
		f.nextPid++
		return nil
	})
	if wait && f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return rs, ctx.Err()
		}
	}
	return rs, err
}

func (f *fake) Stop(_ context.Context, spec string, _ bool) ([]Result, error) {
	return f.each("stop", spec, supervise.State.IsRunning, func(p *fakeProc) error {
		if !p.info.State.IsRunning() {
			return supervise.ErrNotRunning
		}
		p.info.State, p.info.Stop, p.info.Pid = supervise.Stopped, f.time(), 0
		return nil
	})
}

func (f *fake) Signal(_ context.Context, spec string, sig syscall.Signal) ([]Result, error) {
	return f.each("signal", spec, supervise.State.IsSignallable, func(p *fakeProc) error {
		if !p.info.State.IsSignallable() {
			return supervise.ErrNotRunning
		}
		f.signals = append(f.signals, Namespec(p.info.Group, p.info.Name)+" "+sig.String())
		return nil
	})
}

func (f *fake) StartAll(ctx context.Context, wait bool) []Result {
	rs, _ := f.Start(ctx, "all", wait)
	return rs
}

func (f *fake) StopAll(ctx context.Context, wait bool) []Result {
	rs, _ := f.Stop(ctx, "all", wait)
	return rs
}

func (f *fake) Status(spec string) ([]supervise.ProcessInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ps, _, err := f.resolve("status", spec)
	if err != nil {
		return nil, err
	}
	out := make([]supervise.ProcessInfo, len(ps))
	for i, p := range ps {
		out[i] = p.info
		out[i].Now = f.time()
	}
	if spec == "" || spec == "all" {
		sort.Slice(out, func(i, j int) bool {
			if out[i].Group != out[j].Group {
				return out[i].Group < out[j].Group
			}
			return out[i].Name < out[j].Name
		})
	}
	return out, nil
}

func (f *fake) ClearLogs(spec string) ([]Result, error) {
	return f.each("clear", spec, func(supervise.State) bool { return true }, func(p *fakeProc) error {
		for _, path := range []string{p.info.StdoutLogfile, p.info.StderrLogfile} {
			if path == "" {
				continue
			}
			if err := os.Truncate(path, 0); err != nil && !os.IsNotExist(err) {
				return supervise.ErrFailed
			}
		}
		return nil
	})
}

func (f *fake) WriteStdin(name string, data []byte) error {
	_, err := f.each("stdin", name, nil, func(p *fakeProc) error {
		if p.info.Pid == 0 {
			return supervise.ErrNotRunning
		}
		f.stdin[name] += string(data)
		return nil
	})
	return err
}

// captureConfig is getAllConfigInfo's source for the capture's programs, out of order.
func captureConfig(f *fake) func() []ConfigInfo {
	return func() []ConfigInfo {
		var out []ConfigInfo
		cmds := map[string]string{"broken": "/nonexistent/bin/app", "manual": "/bin/sleep 1000", "oneshot": "/bin/true",
			"w_00": "/bin/sleep 1000", "w_01": "/bin/sleep 1000",
			"web": "/bin/sh -c 'echo hello-stdout; echo hello-stderr >&2; exec sleep 1000'"}
		for _, p := range f.procs {
			c := ConfigInfo{Name: p.info.Name, Group: p.info.Group, GroupPrio: 999, ProcessPrio: 999,
				InUse: true, AutoStart: p.info.Name != "manual", Directory: "none", ServerURL: "none",
				Command: cmds[p.info.Name], ExitCodes: []int{0}, StartRetries: 3, StartSecs: 1, StopSignal: 15, StopWaitSecs: 10,
				StdoutLogfile: p.info.StdoutLogfile, StdoutLogfileMaxBytes: 52428800, StdoutLogfileBackups: 10,
				StderrLogfile: p.info.StderrLogfile, StderrLogfileMaxBytes: 52428800, StderrLogfileBackups: 10}
			switch p.info.Name {
			case "broken":
				c.StartRetries = 0
			case "oneshot":
				c.StartSecs = 0
			}
			out = append(out, c)
		}
		return out
	}
}
