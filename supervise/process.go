package supervise

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// process is one supervised process instance. Its state is owned by its goroutine chain (wait
// and step, below); everything else talks to it through cmds and reads the immutable snapshot
// it publishes.
type process struct {
	sv    *Supervisor
	group string
	prog  *Program      // with defaults applied; shared with the group's config, never modified
	out   *output       // where its stdout and stderr go
	sock  *sharedSocket // the group's Socket, given to each child as fd 0; nil = a stdin pipe
	held  []*heldSocket // prog.Sockets, given to each child as fds 3.. (heldsocket.go)

	cmds chan procCmd
	done chan struct{} // closed when the goroutine chain ends (cmdQuit)
	snap atomic.Pointer[snapshot]

	// Owned by the goroutine chain only.
	st     procState
	queued []Event // state events of the current step, published once the step is complete
}

type procState struct {
	state      State
	laststart  time.Time
	laststop   time.Time
	backoff    int       // supervisord's `backoff`: consecutive failed starts
	delay      time.Time // backoff deadline (BACKOFF) or SIGKILL deadline (STOPPING)
	spawnerr   string
	exitstatus int
	killing    bool
	shutting   bool // supervisord's mood <= RESTARTING: spawn nothing more
	child      Child
	pid        int
	spawns     uint64
	timer      Timer
	timerAt    time.Time
	retryAt    time.Time // FatalRetry: when FATAL gets a new round of attempts; zero = none
	// cleanup of the group of an exited main process (Program.CleanupGroup): its result
	// arrives on cleaned; no spawn while it runs
	cleaned chan cleanupResult
	// sockHeld: this process holds a reference on its group's socket, from the spawn until
	// the child is reaped (supervisord's fcgi_sock)
	sockHeld bool
	mon      monitorState // Program.Checks (monitor.go)
}

// snapshot is what readers see of a process; it is replaced, never mutated, and changed is
// closed when a newer snapshot is published.
type snapshot struct {
	info     ProcessInfo
	spawns   uint64
	cleaning bool // the group of the exited main process is being cleaned up
	changed  chan struct{}

	checks checkStats // counters of Program.Checks (monitor.go)
}

type cmdKind int

const (
	cmdStart     cmdKind = iota // startProcess
	cmdAutostart                // autostart of a never-started process
	cmdStop                     // stopProcess
	cmdStopAll                  // a group's stop_all at shutdown: BACKOFF -> FATAL, others stop
	cmdSignal                   // signalProcess
	cmdShutdown                 // no more spawns (supervisord's mood SHUTDOWN)
	cmdStdin                    // hand out the stdin writer
	cmdQuit                     // end the goroutine
	cmdHandOver                 // give up the RUNNING child and spawn its successor (overlap.go)
)

type procCmd struct {
	kind  cmdKind
	sig   syscall.Signal
	reply chan procReply
}

type procReply struct {
	err     error
	spawns  uint64
	stdin   io.Writer
	retiree *retiree // cmdHandOver: the child handed over
}

func newProcess(sv *Supervisor, group string, prog *Program, out *output) *process {
	p := &process{sv: sv, group: group, prog: prog, out: out, cmds: make(chan procCmd), done: make(chan struct{})}
	p.snap.Store(&snapshot{info: p.info(), changed: make(chan struct{})})
	return p
}

// call sends c to the process goroutine and waits for the reply.
func (p *process) call(ctx context.Context, c procCmd) (procReply, error) {
	c.reply = make(chan procReply, 1)
	select {
	case p.cmds <- c:
	case <-p.done:
		return procReply{}, ErrShutdown
	case <-ctx.Done():
		return procReply{}, ctx.Err()
	}
	select {
	case r := <-c.reply:
		return r, nil
	case <-p.done:
		return procReply{}, ErrShutdown
	}
}

// The process's state is owned by one goroutine at a time, in a chain: wait blocks until
// something happens to the process (a command, its timer, its child's exit, the end of a
// group cleanup) and hands it to a new step goroutine, which runs that step of the state
// machine and hands over to a new wait. A goroutine's stack grows for the deepest call it
// ever made (a spawn, a log line) and the runtime never shrinks a parked one below 4 kB; a
// wait never calls deeper than the select, so each idle process costs one 2 kB stack and
// not the 4-8 kB of a goroutine that has done a step. The `go` statements order the
// goroutines of the chain, and the Supervisor's WaitGroup counts the chain once (startGoroutine)
// until the quit step ends it.

// wake is what ended a wait.
type wake struct {
	kind    wakeKind
	cmd     procCmd
	exit    ExitStatus
	cleaned cleanupResult
	check   checkResult
}

type wakeKind int

const (
	wakeCmd wakeKind = iota
	wakeTimer
	wakeExit
	wakeCleaned
	wakeCheck
)

func (p *process) wait() {
	var tc <-chan time.Time
	if p.st.timer != nil {
		tc = p.st.timer.C()
	}
	var dc <-chan ExitStatus
	if p.st.child != nil {
		dc = p.st.child.Done()
	}
	var w wake
	select {
	case w.cleaned = <-p.st.cleaned:
		w.kind = wakeCleaned
	case w.cmd = <-p.cmds:
		w.kind = wakeCmd
	case <-tc:
		w.kind = wakeTimer
	case w.exit = <-dc:
		w.kind = wakeExit
	case w.check = <-p.st.mon.results:
		w.kind = wakeCheck
	}
	go p.step(w)
}

// step runs one step and starts the next wait, or ends the chain after cmdQuit.
func (p *process) step(w wake) {
	switch w.kind {
	case wakeCleaned:
		p.st.cleaned = nil
		p.cleanupDone(w.cleaned)
		p.settle()
	case wakeCmd:
		r := p.handle(w.cmd)
		p.settle()
		w.cmd.reply <- r
		if w.cmd.kind == cmdQuit {
			p.stopTimer()
			p.stopChecks(true)
			close(p.done)
			p.sv.wg.Done()
			return
		}
	case wakeTimer:
		due := p.st.timerAt
		p.st.timer, p.st.timerAt = nil, time.Time{}
		p.rebase(due)
		p.settle()
	case wakeExit:
		p.finish(w.exit)
		p.settle()
	case wakeCheck:
		p.checked(w.check)
		p.settle()
	}
	go p.wait()
}

// rebase runs when the timer armed for due fires. A timer measures its wait on a monotonic
// clock; if Now is still before due, the wall clock was set back since (a Clock whose times
// carry no monotonic reading: the real clock's comparisons are monotonic already). The
// process's instants move back with it, so the wait that just ended counts as ended, and the
// next ones (startsecs, backoff, stopwaitsecs, FatalRetry) last their own length, not an
// hour more.
func (p *process) rebase(due time.Time) {
	lag := due.Sub(p.sv.clock.Now())
	if lag <= 0 {
		return
	}
	st := &p.st
	for _, t := range []*time.Time{&st.laststart, &st.laststop, &st.delay, &st.retryAt} {
		if !t.IsZero() {
			*t = t.Add(-lag)
		}
	}
}

func (p *process) handle(c procCmd) procReply {
	st := &p.st
	switch c.kind {
	case cmdStart:
		if _, _, err := p.resolve(); err != nil {
			var se *spawnError
			if errors.As(err, &se) && se.notFound {
				return procReply{err: ErrNoFile, stdin: nil}.detail(err.Error())
			}
			return procReply{err: ErrNotExecutable}.detail(err.Error())
		}
		if st.state.IsRunning() {
			return procReply{err: ErrAlreadyStarted}
		}
		if st.state == Unknown {
			return procReply{err: ErrFailed}.detail(p.prog.Name + " is in an unknown process state")
		}
		if st.shutting {
			return procReply{err: ErrShutdown}
		}
		if st.cleaned != nil {
			// A manual start while the group of the last process is being ended waits for
			// the end (bounded by StopWait and SIGKILL), so the new one finds its port free.
			r := <-st.cleaned
			st.cleaned = nil
			p.cleanupDone(r)
		}
		p.spawn()
		if st.spawnerr != "" {
			return procReply{err: ErrSpawn}.detail(st.spawnerr)
		}
		return procReply{spawns: st.spawns}
	case cmdAutostart:
		if !st.shutting && st.state == Stopped && st.laststart.IsZero() && p.prog.AutoStart.Or(true) {
			p.spawn()
		}
	case cmdStop:
		p.userStop()
		if st.state == Fatal && !st.retryAt.IsZero() {
			st.retryAt = time.Time{}
			p.log(slog.LevelInfo, "stopped: %s will stay FATAL (retry cancelled)", p.prog.Name)
		}
		if !st.state.IsRunning() {
			return procReply{err: ErrNotRunning}
		}
		if msg := p.kill(p.prog.StopSignal); msg != "" {
			return procReply{err: ErrFailed}.detail(msg)
		}
	case cmdStopAll:
		p.userStop()
		switch st.state {
		case Running, Starting:
			p.kill(p.prog.StopSignal)
		case Backoff:
			p.giveUp()
		}
	case cmdSignal:
		if !st.state.IsSignallable() {
			return procReply{err: ErrNotRunning}
		}
		if msg := p.signal(c.sig); msg != "" {
			return procReply{err: ErrFailed}.detail(msg)
		}
	case cmdShutdown:
		st.shutting = true
	case cmdHandOver:
		return p.handOver()
	case cmdStdin:
		if st.child == nil || st.killing {
			return procReply{err: ErrNotRunning}
		}
		return procReply{stdin: st.child.Stdin()}
	}
	return procReply{}
}

// detail wraps r.err with a supervisord message (the fault text).
func (r procReply) detail(msg string) procReply {
	r.err = &detailError{err: r.err, msg: msg}
	return r
}

type detailError struct {
	err error
	msg string
}

func (e *detailError) Error() string { return e.err.Error() + ": " + e.msg }
func (e *detailError) Unwrap() error { return e.err }

func (p *process) log(level slog.Level, format string, args ...any) {
	p.sv.log(level, format, args...)
}

// setState changes the state and publishes the event (supervisord's change_state).
func (p *process) setState(to State, expected bool) {
	st := &p.st
	from := st.state
	if from == to {
		return
	}
	st.state = to
	now := p.sv.clock.Now()
	if to == Backoff {
		st.backoff++
		st.delay = now.Add(time.Duration(st.backoff) * time.Second)
	}
	p.queued = append(p.queued, Event{Kind: EventState, Time: now, Group: p.group, Name: p.prog.Name,
		From: from, To: to, Pid: st.pid, Tries: st.backoff, Expected: expected})
}

func (p *process) spawn() {
	st := &p.st
	if st.child != nil {
		p.log(slog.LevelWarn, "process '%s' already running", p.prog.Name)
		return
	}
	st.killing = false
	st.spawnerr = ""
	st.exitstatus = 0
	st.retryAt = time.Time{}
	st.laststart = p.sv.clock.Now()
	st.spawns++
	p.setState(Starting, true)

	// supervisord's FastCGISubprocess takes its reference on the socket before anything else
	// of the spawn, and drops it when the spawn fails.
	var sock *os.File
	var err error
	if p.sock != nil {
		if sock, err = p.sock.acquire(); err == nil {
			st.sockHeld = true
		}
	}
	var path string
	var argv []string
	if err == nil {
		path, argv, err = p.resolve()
	}
	if err == nil {
		var cmd *Cmd
		if cmd, err = p.command(path, argv); err == nil {
			cmd.Stdin = sock
			if err = p.passSockets(cmd); err == nil { // heldsocket.go
				err = p.prepareChecks(cmd) // monitor.go
			}
		}
		if err == nil {
			var child Child
			if child, err = p.sv.spawner.Spawn(cmd); err != nil {
				p.spawnFailed()
			} else {
				st.child, st.pid = child, child.Pid()
				startSpawnWriters(cmd, st.pid) // protocol.go

				for i := range p.queued { // the STARTING event of this step names the new pid
					if p.queued[i].To == Starting {
						p.queued[i].Pid = st.pid
					}
				}
				p.log(slog.LevelInfo, "spawned: '%s' with pid %d", p.prog.Name, st.pid)
				p.sv.record(p, st.pid)
				p.spawned()
				if p.prog.StartSecs == 0 && p.prog.Checks.Ready == "" {
					// Crash protection off: RUNNING as soon as any time has passed.
					st.backoff, st.delay = 0, time.Time{}
					p.setState(Running, true)
					p.log(slog.LevelInfo, "success: %s entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)", p.prog.Name)
				}
				return
			}
		}
	}
	st.spawnerr = err.Error()
	p.log(slog.LevelInfo, "spawnerr: %s", st.spawnerr)
	p.setState(Backoff, true)
	p.releaseSocket()
	// The log files this spawn opened would stay open through BACKOFF and FATAL: under fd
	// exhaustion that keeps the shortage going. A later write or spawn opens them again.
	p.out.close()
}

// releaseSocket drops this process's reference on its group's socket, if it holds one.
func (p *process) releaseSocket() {
	if p.st.sockHeld {
		p.st.sockHeld = false
		p.sock.release()
	}
}

// kill is supervisord's Subprocess.kill: it returns "" when the signal was sent (or the
// process was in BACKOFF), else a message.
func (p *process) kill(sig syscall.Signal) string {
	st := &p.st
	name := p.prog.Name
	if st.state == Backoff {
		p.log(slog.LevelDebug, "Attempted to kill %s, which is in BACKOFF state.", name)
		p.setState(Stopped, true)
		return ""
	}
	if st.child == nil {
		msg := fmt.Sprintf("attempted to kill %s with sig %s but it wasn't running", name, SignalName(sig))
		p.log(slog.LevelDebug, "%s", msg)
		return msg
	}
	group := p.prog.StopAsGroup
	if st.state == Stopping {
		group = p.prog.KillAsGroup.Or(p.prog.StopAsGroup)
	}
	asGroup := ""
	if group {
		asGroup = "process group "
	}
	p.log(slog.LevelDebug, "killing %s (pid %d) %swith signal %s", name, st.pid, asGroup, SignalName(sig))
	st.killing = true
	st.delay = p.sv.clock.Now().Add(p.prog.StopWait)
	p.setState(Stopping, true)
	if err := st.child.Signal(sig, group); err != nil && !errors.Is(err, syscall.ESRCH) {
		msg := fmt.Sprintf("unknown problem killing %s (%d):%v", name, st.pid, err)
		p.log(LevelCritical, "%s", msg)
		p.setState(Unknown, true)
		st.killing = false
		st.delay = time.Time{}
		return msg
	}
	return ""
}

func (p *process) signal(sig syscall.Signal) string {
	st := &p.st
	name := p.prog.Name
	if st.child == nil {
		msg := fmt.Sprintf("attempted to send %s sig %s but it wasn't running", name, SignalName(sig))
		p.log(slog.LevelDebug, "%s", msg)
		return msg
	}
	p.log(slog.LevelDebug, "sending %s (pid %d) sig %s", name, st.pid, SignalName(sig))
	if err := st.child.Signal(sig, false); err != nil && !errors.Is(err, syscall.ESRCH) {
		msg := fmt.Sprintf("unknown problem sending sig %s (%d):%v", name, st.pid, err)
		p.log(LevelCritical, "%s", msg)
		p.setState(Unknown, true)
		return msg
	}
	return ""
}

func (p *process) giveUp() {
	st := &p.st
	st.delay = time.Time{}
	st.backoff = 0
	p.setState(Fatal, true)
}

// finish handles the exit of the current child (supervisord's Subprocess.finish).
func (p *process) finish(es ExitStatus) {
	st := &p.st
	now := p.sv.clock.Now()
	st.laststop = now
	name := p.prog.Name
	// With Checks.Ready, any exit before ready (while STARTING) is a failed start.
	tooQuickly := now.Sub(st.laststart) < p.prog.StartSecs || p.prog.Checks.Ready != ""
	expected := false
	for _, c := range p.prog.ExitCodes {
		if c == es.Code {
			expected = true
		}
	}
	wasKilling := st.killing
	switch {
	case p.checkedExit(es): // stopped for not being ready in time: a failed start
	case st.killing:
		st.killing = false
		st.delay = time.Time{}
		st.exitstatus = es.Code
		p.setState(Stopped, true)
		level := slog.LevelWarn
		if expected {
			level = slog.LevelInfo
		}
		p.log(level, "stopped: %s (%s)", name, es)
	case tooQuickly && st.state == Starting:
		st.exitstatus = 0
		st.spawnerr = "Exited too quickly (process log may have details)"
		p.setState(Backoff, false)
		p.log(slog.LevelWarn, "exited: %s (%s; not expected)", name, es)
	default:
		st.delay = time.Time{}
		st.backoff = 0
		st.exitstatus = es.Code
		if st.state == Starting {
			p.setState(Running, true)
		}
		if expected {
			p.setState(Exited, true)
			p.log(slog.LevelInfo, "exited: %s (%s; expected)", name, es)
		} else {
			st.spawnerr = fmt.Sprintf("Bad exit code %d", es.Code)
			p.setState(Exited, false)
			p.log(slog.LevelWarn, "exited: %s (%s; not expected)", name, es)
		}
	}
	if st.pid > 0 {
		p.sv.record(p, 0)
	}
	p.afterExit(wasKilling)
	st.child, st.pid = nil, 0
	p.releaseSocket()
}

// transition is supervisord's Subprocess.transition, run after every event instead of on a
// 1 s poll; it also arms the one timer the current state needs.
func (p *process) transition() {
	st := &p.st
	now := p.sv.clock.Now()
	if !st.shutting && st.cleaned == nil {
		switch st.state {
		case Fatal:
			if !st.retryAt.IsZero() && !now.Before(st.retryAt) {
				p.log(slog.LevelInfo, "retrying: %s left FATAL after %s, new round of %d start attempts",
					p.prog.Name, p.prog.FatalRetry, p.prog.StartRetries+1)
				st.backoff = 0
				p.spawn()
			}
		case Exited:
			restart := false
			switch p.prog.AutoRestart {
			case RestartAlways:
				restart = true
			case RestartUnexpected:
				restart = true
				for _, c := range p.prog.ExitCodes {
					if c == st.exitstatus {
						restart = false
					}
				}
			}
			if restart {
				p.spawn()
			}
		case Backoff:
			if st.backoff <= p.prog.StartRetries && !now.Before(st.delay) {
				p.spawn()
			}
		case Stopped:
			p.restartDue() // a check stopped it to restart it
		}
	}
	switch st.state {
	case Starting:
		if p.readyDue(now) {
			break // Checks.Ready decides, not StartSecs
		}
		if st.child != nil && now.Sub(st.laststart) > p.prog.StartSecs {
			st.delay, st.backoff = time.Time{}, 0
			p.setState(Running, true)
			p.log(slog.LevelInfo, "success: %s entered RUNNING state, process has stayed up for > than %s seconds (startsecs)",
				p.prog.Name, pySeconds(p.prog.StartSecs))
		}
	case Backoff:
		if st.backoff > p.prog.StartRetries {
			p.giveUp()
			p.log(slog.LevelInfo, "gave up: %s entered FATAL state, too many start retries too quickly", p.prog.Name)
			if p.prog.FatalRetry > 0 && !st.shutting {
				st.retryAt = now.Add(p.prog.FatalRetry)
			}
		}
	case Running:
		p.watchdogDue(now)
	case Stopping:
		if !now.Before(st.delay) && st.child != nil {
			p.log(slog.LevelWarn, "killing '%s' (%d) with SIGKILL", p.prog.Name, st.pid)
			p.kill(syscall.SIGKILL)
			// Re-sent every StopWait until it dies; never in a tight loop when StopWait is 0.
			if p.prog.StopWait < time.Second {
				st.delay = now.Add(time.Second)
			}
		}
	}
	p.armTimer(now)
}

// armTimer keeps exactly the timer the state needs, and none when nothing is due.
func (p *process) armTimer(now time.Time) {
	st := &p.st
	var at time.Time
	switch st.state {
	case Starting:
		if st.child != nil && !st.killing {
			at = p.startingTimer()
		}
	case Running:
		at = st.mon.watchdogAt
	case Backoff:
		if !st.shutting && st.backoff <= p.prog.StartRetries {
			at = st.delay
		}
	case Fatal:
		if !st.shutting {
			at = st.retryAt
		}
	case Stopping:
		if st.child != nil {
			at = st.delay
		}
	}
	if at.Equal(st.timerAt) && (st.timer != nil) == !at.IsZero() {
		return
	}
	p.stopTimer()
	if !at.IsZero() {
		st.timer = p.sv.clock.NewTimer(at.Sub(now))
		st.timerAt = at
	}
}

func (p *process) stopTimer() {
	if p.st.timer != nil {
		p.st.timer.Stop()
		p.st.timer, p.st.timerAt = nil, time.Time{}
	}
}

// info returns the process's status as of its own state (Now unset).
func (p *process) info() ProcessInfo {
	st := &p.st
	return ProcessInfo{
		Name: p.prog.Name, Group: p.group,
		Start: st.laststart, Stop: st.laststop,
		State: st.state, SpawnErr: st.spawnerr, ExitStatus: st.exitstatus, Pid: st.pid,
		StdoutLogfile: p.out.stdoutPath, StderrLogfile: p.out.stderrPath,
		RetryAt: st.retryAt, Check: p.checkNote(),
	}
}

// settle ends one step of the state machine: supervisord's transition, the new snapshot, the
// step's events, and only then the wake-up of those waiting for the snapshot to change. So a
// subscriber that sees an event also sees its state in Status, and what a waiter does next
// (a depends_on start, say) comes after the events of the state it waited for.
func (p *process) settle() {
	p.transition()
	p.syncChecks()
	changed := p.publish()
	for _, e := range p.queued {
		p.sv.hub.publish(e)
	}
	p.queued = nil // an idle process holds no event buffer
	if changed != nil {
		close(changed)
	}
}

// publish replaces the snapshot when anything readers can see changed, and returns the
// replaced one's changed channel for settle to close (nil: nothing changed).
func (p *process) publish() chan struct{} {
	old := p.snap.Load()
	info := p.info()
	cleaning := p.st.cleaned != nil
	checks := p.st.mon.stats
	if info == old.info && p.st.spawns == old.spawns && cleaning == old.cleaning && checks == old.checks {
		return nil
	}
	p.snap.Store(&snapshot{info: info, spawns: p.st.spawns, cleaning: cleaning, checks: checks, changed: make(chan struct{})})
	return old.changed
}

// pySeconds prints a duration as Python prints supervisord's startsecs (an int): "1", "0".
func pySeconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprint(int64(d / time.Second))
	}
	return fmt.Sprint(d.Seconds())
}
