package supervise

import (
	"context"
	"errors"
	"log/slog"
	"syscall"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// A restart with overlap (Program.RestartMode = RestartOverlap, and Supervisor.Deploy) replaces
// a RUNNING process that has held sockets without a moment where nothing accepts: the process
// goroutine hands its child over (the old child leaves the state machine, which goes RUNNING ->
// STOPPING -> STOPPED as for a stop, then STARTING for the new spawn), the new process starts on
// the same held sockets, and only once it is RUNNING (ready, with Checks.Ready) does the old one
// get its StopSignal (to its group with StopAsGroup), then SIGKILL after StopWait (to its group
// with KillAsGroup), so that the requests it is serving finish. With CleanupGroup, what is left
// of the old group is then killed. Both accept on the same sockets meanwhile; the kernel gives
// each connection to one of them.
//
// If the new process does not become RUNNING (it fails to spawn, goes to BACKOFF or FATAL, or is
// stopped), the old one is stopped all the same: it is no longer supervised, and cannot be
// left running. A shutdown of the Supervisor stops a retiring process at once.

// RestartMode says how a restart replaces a running process (Program.RestartMode).
type RestartMode int8

const (
	// RestartStopStart stops the process, waits until it has exited, then starts it again
	// (supervisord's restart). The default.
	RestartStopStart RestartMode = iota
	// RestartOverlap starts the new process on the program's held sockets (Program.Sockets),
	// waits until it is RUNNING, then stops the old one; a program without held sockets, or a
	// process that is not RUNNING, is restarted by stop-then-start.
	RestartOverlap
)

// String is the config value: "stop-start" or "overlap".
func (m RestartMode) String() string {
	if m == RestartOverlap {
		return "overlap"
	}
	return "stop-start"
}

// DeployResult is what a Deploy (or an overlapping restart) of one process did.
type DeployResult struct {
	// Name is the process's group:name.
	Name string
	// OldPid is the pid of the process replaced; 0 when none was running.
	OldPid int
	// NewPid is the pid of the process that runs now; 0 when it failed to start.
	NewPid int
	// Overlap reports that the new process started before the old one was stopped (false:
	// stop-then-start, because the program has no held sockets or the process was not
	// RUNNING).
	Overlap bool
}

// retiree is a child handed over by its process goroutine, to be stopped once its successor is
// ready.
type retiree struct {
	child Child
	pid   int
	prog  *Program
}

// handOver is the process goroutine's part of an overlap: it gives up its RUNNING child and
// spawns a new one. The reply's err is ErrNotRunning when there is nothing to hand over.
func (p *process) handOver() procReply {
	st := &p.st
	if st.state != Running || st.child == nil || st.shutting || len(p.held) == 0 {
		return procReply{err: ErrNotRunning}
	}
	old := &retiree{child: st.child, pid: st.pid, prog: p.prog}
	p.log(slog.LevelInfo, "overlap: '%s' pid %d keeps serving until its successor is RUNNING", p.prog.Name, st.pid)
	p.stopChecks(false)
	p.userStop()
	p.setState(Stopping, true)
	p.setState(Stopped, true)
	p.sv.record(p, 0)
	st.child, st.pid = nil, 0
	p.spawn()
	return procReply{retiree: old, spawns: st.spawns}
}

// retire stops r as a stop of its program does (StopSignal, SIGKILL after StopWait, to the
// group as StopAsGroup and KillAsGroup say, and with CleanupGroup what is left of the group),
// and returns once it has exited; quit ends the grace period at once (shutdown).
func (s *Supervisor) retire(r *retiree, quit <-chan struct{}) {
	prog := r.prog
	s.log(slog.LevelInfo, "overlap: stopping '%s' pid %d with %s", prog.Name, r.pid, SignalName(prog.StopSignal))
	r.child.Signal(prog.StopSignal, prog.StopAsGroup)
	timer := s.clock.NewTimer(prog.StopWait)
	var es ExitStatus
	select {
	case es = <-r.child.Done():
		timer.Stop()
	case <-timer.C():
		s.log(slog.LevelWarn, "overlap: killing '%s' pid %d with SIGKILL", prog.Name, r.pid)
		r.child.Signal(syscall.SIGKILL, prog.KillAsGroup.Or(prog.StopAsGroup))
		es = <-r.child.Done()
	case <-quit:
		timer.Stop()
		r.child.Signal(syscall.SIGKILL, prog.KillAsGroup.Or(prog.StopAsGroup))
		es = <-r.child.Done()
	}
	if prog.CleanupGroup {
		if _, ok := r.child.(groupChild); ok {
			proctree.KillGroup(r.pid, syscall.SIGKILL)
		}
	}
	s.log(slog.LevelInfo, "overlap: stopped '%s' pid %d (%s)", prog.Name, r.pid, es)
}

// Deploy replaces the process name (group:name, or a group's name for its only process) by a
// new one, as a restart with RestartOverlap does whatever the program's RestartMode: with held
// sockets and a RUNNING process, the new process starts first and the old one is stopped once
// the new one is RUNNING; otherwise it is stopped, then started. It returns when the old
// process has exited and the new one is RUNNING or has failed to start (ErrSpawn,
// ErrAbnormalTermination), or when ctx ends (the old process is still stopped then).
func (s *Supervisor) Deploy(ctx context.Context, name string) (DeployResult, error) {
	if err := s.checkServing("deploy", name); err != nil {
		return DeployResult{Name: name}, err
	}
	procs, _, err := s.lookup("deploy", name)
	if err != nil {
		return DeployResult{Name: name}, err
	}
	if len(procs) != 1 {
		return DeployResult{Name: name}, &ProcessError{Op: "deploy", Name: name, Err: ErrNotFound,
			Detail: "not one process: name one (group:name)"}
	}
	return s.deploy(ctx, procs[0])
}

// deploy is Deploy of p.
func (s *Supervisor) deploy(ctx context.Context, p *process) (DeployResult, error) {
	res := DeployResult{Name: namespec(p), OldPid: p.snap.Load().info.Pid}
	r, err := p.call(ctx, procCmd{kind: cmdHandOver})
	if err == nil && r.err == ErrNotRunning {
		// Nothing to overlap: stop-then-start.
		if _, err := s.Stop(ctx, res.Name, true); err != nil && !errors.Is(err, ErrNotRunning) {
			return res, err
		}
		_, err := s.Start(ctx, res.Name, true)
		res.NewPid = p.snap.Load().info.Pid
		return res, err
	}
	if err != nil {
		return res, err
	}
	res.Overlap = true
	done := make(chan struct{})
	ready := make(chan struct{})
	s.wg.Add(1)
	go func() { // the old one is stopped even if ctx ends first
		defer s.wg.Done()
		defer close(done)
		select {
		case <-ready:
		case <-s.quit:
		}
		s.retire(r.retiree, s.quit)
	}()
	werr := waitStarted(ctx, p, r.spawns)
	if werr != nil && ctx.Err() != nil {
		// The caller is gone: the wait for RUNNING goes on without it.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			waitStarted(context.Background(), p, r.spawns)
			close(ready)
		}()
		return res, werr
	}
	close(ready)
	res.NewPid = p.snap.Load().info.Pid
	select {
	case <-done:
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if werr != nil {
		res.NewPid = 0
		return res, &ProcessError{Op: "deploy", Name: res.Name, Err: werr}
	}
	return res, nil
}

// unwrapDeploy gives the sentinel of a deploy error (with its detail), for a Result.
func unwrapDeploy(err error) error {
	var pe *ProcessError
	if errors.As(err, &pe) && pe.Op == "deploy" {
		return pe.Err
	}
	return err
}

// overlapCandidates are the processes of retire that UpdateGroup replaces with overlap: RUNNING,
// with held sockets, and changed (not removed) into a program with RestartOverlap and sockets.
// An update changes the spec, so the successor is a new process (not a hand-over in the same
// one): it takes its own references on the sockets, and the old one keeps its own until it is
// retired.
func (s *Supervisor) overlapCandidates(retire []*process, progs []Program) map[string]*process {
	out := map[string]*process{}
	for _, p := range retire {
		for _, q := range progs {
			if q.Name == p.prog.Name && q.RestartMode == RestartOverlap && len(q.Sockets) > 0 &&
				len(p.held) > 0 && p.snap.Load().info.State == Running {
				out[p.prog.Name] = p
			}
		}
	}
	return out
}

// overlapUpdate starts next, the successor of old in an UpdateGroup, waits until it is
// RUNNING, then stops old and retires it (whether next started or not: old is no longer in the
// group). The error is next's start error.
func (s *Supervisor) overlapUpdate(ctx context.Context, old, next *process) error {
	s.log(slog.LevelInfo, "overlap: '%s' pid %d keeps serving until its successor is RUNNING", old.prog.Name, old.snap.Load().info.Pid)
	r, err := next.call(ctx, procCmd{kind: cmdStart})
	if err = replyErr(r, err); err == nil {
		err = waitStarted(ctx, next, r.spawns)
	}
	if err != nil {
		err = result("start", next, err).Err
	}
	bg := context.Background() // old is stopped even if ctx has ended
	if _, serr := old.call(bg, procCmd{kind: cmdStop}); serr == nil {
		waitSnap(bg, old, gone)
	}
	s.quitRetired(old, true)
	return err
}

// quitRetired ends the goroutine of a process UpdateGroup retired (stopped, or never started),
// closes its logs and drops its socket references.
func (s *Supervisor) quitRetired(p *process, serving bool) {
	if serving {
		p.call(context.Background(), procCmd{kind: cmdQuit})
	}
	p.out.close()
	s.held.release(p.held, s.log)
}

// livePgids are the process groups of the children of the active processes (each child leads
// its own group).
func (s *Supervisor) livePgids() map[int]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]bool{}
	for _, g := range s.groups {
		for _, p := range g.procs {
			if pid := p.snap.Load().info.Pid; pid > 0 {
				out[pid] = true
			}
		}
	}
	return out
}
