package supervise

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// This file holds the engine side of Program.Checks. The process goroutine owns all state
// (monitorState, in procState); the checks themselves run in goroutines of their own that
// only observe (a probe result, an sd_notify message, an RSS figure) and hand that over as a
// typed checkResult through monitorState.results, which process.wait selects on. A check
// goroutine never blocks the engine: it sends with a select on its cancellation, and a probe
// that hangs is bounded by its own timeout and delays only its own next attempt.

// checkKind says what a checkResult reports.
type checkKind int8

const (
	checkReady  checkKind = iota // a readiness probe (tcp/http) succeeded
	checkNotify                  // an sd_notify message
	checkHealth                  // a health check ended; err nil = healthy
	checkMemory                  // an RSS sample of the process tree
)

// checkResult is one observation, for the spawn gen (results of an earlier spawn are dropped).
type checkResult struct {
	kind   checkKind
	gen    uint64
	err    error
	notify notifyMsg
	rss    int64
}

// afterStop says what follows the exit of a process a check stopped.
type afterStop int8

const (
	afterNothing afterStop = iota // a user's stop, or no check involved
	afterRestart                  // a health, memory or watchdog restart: start again
	afterBackoff                  // not ready in time: a failed start
)

// monitorState is the process goroutine's part of the checks of the current spawn.
type monitorState struct {
	results chan checkResult // nil until the first spawn of a program with checks
	notify  *notifySocket    // the current child's NOTIFY_SOCKET
	// cancel functions of the goroutines running for spawn gen: the readiness poller while
	// STARTING, the health and memory samplers while RUNNING
	gen          uint64
	readyCancel  context.CancelFunc
	runCancel    context.CancelFunc
	failures     int       // health checks failed in a row
	note         string    // shown in the RUNNING description; "" = nothing to say
	status       string    // the last sd_notify STATUS=
	watchdogAt   time.Time // when a RUNNING process without WATCHDOG=1 is restarted; zero = off
	after        afterStop
	abortMessage string     // the spawnerr of afterBackoff
	stats        checkStats // published in the snapshot
}

// checkStats are the counters of the checks that monitoring reads (Supervisor.Stats).
type checkStats struct {
	failures int    // health checks failed in a row (of the current process)
	restarts uint64 // restarts by a failed check since the program was added
}

// resultBuffer is the capacity of monitorState.results; senders block (cancellably) when full.
const resultBuffer = 8

func (c Checks) any() bool {
	return c.Ready != "" || c.Watchdog > 0 || c.health() || c.MemoryLimit > 0
}

// prepareChecks runs before a spawn: it opens the NOTIFY_SOCKET and adds the variables to
// cmd's environment. An error is a spawn error.
func (p *process) prepareChecks(cmd *Cmd) error {
	c := p.prog.Checks
	m := &p.st.mon
	if !c.any() {
		return nil
	}
	if m.results == nil {
		m.results = make(chan checkResult, resultBuffer)
	}
	p.spawnFailed() // the previous child's socket, when its exit and this spawn share a step
	m.failures, m.status, m.watchdogAt, m.after = 0, "", time.Time{}, afterNothing
	m.stats.failures = 0
	if !c.notify() {
		return nil
	}
	n, err := openNotify()
	if err != nil {
		return &spawnError{msg: err.Error()}
	}
	m.notify = n
	cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+n.addr)
	if c.Watchdog > 0 {
		cmd.Env = append(cmd.Env, "WATCHDOG_USEC="+strconv.FormatInt(c.Watchdog.Microseconds(), 10))
	}
	return nil
}

// spawnFailed closes the NOTIFY_SOCKET (of a spawn that did not happen, or of the previous
// child).
func (p *process) spawnFailed() {
	if m := &p.st.mon; m.notify != nil {
		m.notify.close()
		m.notify = nil
	}
}

// spawned starts the NOTIFY_SOCKET reader of the new child.
func (p *process) spawned() {
	m := &p.st.mon
	if m.notify == nil {
		return
	}
	n, child, gen, results := m.notify, p.st.child, p.st.spawns, m.results
	p.sv.wg.Add(1)
	go func() {
		defer p.sv.wg.Done()
		n.read(child, func(msg notifyMsg) bool {
			select {
			case results <- checkResult{kind: checkNotify, gen: gen, notify: msg}:
				return true
			case <-n.done:
				return false
			}
		})
	}()
}

// syncChecks runs at the end of every step: it starts and stops the check goroutines so that
// the readiness poller runs exactly while STARTING and the health and memory samplers exactly
// while RUNNING, for the current child.
func (p *process) syncChecks() {
	m := &p.st.mon
	if m.results == nil {
		return
	}
	st := &p.st
	alive := st.child != nil && !st.killing
	if m.gen != st.spawns {
		p.stopChecks(false)
		m.gen = st.spawns
	}
	if st.child == nil && m.notify != nil {
		m.notify.close()
		m.notify = nil
	}
	c := p.prog.Checks
	wantReady := alive && st.state == Starting && c.Ready != "" && c.Ready != ReadyNotify
	switch {
	case wantReady && m.readyCancel == nil:
		m.readyCancel = p.goCheck(p.readyLoop)
	case !wantReady && m.readyCancel != nil:
		m.readyCancel()
		m.readyCancel = nil
	}
	wantRun := alive && st.state == Running && (c.health() || c.MemoryLimit > 0)
	switch {
	case wantRun && m.runCancel == nil:
		m.runCancel = p.startRunChecks()
	case !wantRun && m.runCancel != nil:
		m.runCancel()
		m.runCancel = nil
	}
	if st.state != Running {
		m.watchdogAt = time.Time{}
	} else if c.Watchdog > 0 && m.watchdogAt.IsZero() && alive {
		now := p.sv.clock.Now()
		m.watchdogAt = now.Add(c.Watchdog)
		p.armTimer(now)
	}
}

// stopChecks cancels every check goroutine; all also closes the NOTIFY_SOCKET (quit).
func (p *process) stopChecks(all bool) {
	m := &p.st.mon
	if m.readyCancel != nil {
		m.readyCancel()
		m.readyCancel = nil
	}
	if m.runCancel != nil {
		m.runCancel()
		m.runCancel = nil
	}
	if all && m.notify != nil {
		m.notify.close()
		m.notify = nil
	}
}

// goCheck runs loop in a goroutine counted by the Supervisor, with a context cancelled by the
// returned function; loop sends its results with send, which gives up when cancelled.
func (p *process) goCheck(loop func(ctx context.Context, send func(checkResult) bool)) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	results, gen := p.st.mon.results, p.st.spawns
	send := func(r checkResult) bool {
		r.gen = gen
		select {
		case results <- r:
			return true
		case <-ctx.Done():
			return false
		}
	}
	p.sv.wg.Add(1)
	go func() {
		defer p.sv.wg.Done()
		loop(ctx, send)
	}()
	return cancel
}

// sleep waits d on the supervisor's clock; false when ctx ended first.
func (p *process) sleep(ctx context.Context, d time.Duration) bool {
	t := p.sv.clock.NewTimer(d)
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}

// readyLoop tries the Ready target until it answers (the process goroutine applies
// ReadyTimeout with its own timer, and then cancels this loop).
func (p *process) readyLoop(ctx context.Context, send func(checkResult) bool) {
	pr, err := newProber(p.prog.Checks.Ready, false)
	if err != nil {
		return // Validate rejected it already
	}
	defer pr.close()
	for n := 0; ; n++ {
		actx, cancel := context.WithTimeout(ctx, max(pollInterval(n), time.Second))
		err := pr.probe(actx)
		cancel()
		if err == nil {
			send(checkResult{kind: checkReady})
			return
		}
		if !p.sleep(ctx, pollInterval(n)) {
			return
		}
	}
}

// startRunChecks starts the health and memory samplers of a RUNNING process.
func (p *process) startRunChecks() context.CancelFunc {
	c := p.prog.Checks
	var cancels []context.CancelFunc
	if c.health() {
		pr, err := p.healthProber()
		if err != nil {
			p.log(slog.LevelWarn, "health check of %s cannot run: %v", p.prog.Name, err)
		} else {
			cancels = append(cancels, p.goCheck(func(ctx context.Context, send func(checkResult) bool) {
				defer pr.close()
				for p.sleep(ctx, c.HealthInterval) {
					cctx, cancel := context.WithTimeout(ctx, c.HealthTimeout)
					err := pr.probe(cctx)
					timedOut := cctx.Err() != nil && ctx.Err() == nil
					cancel()
					if ctx.Err() != nil {
						return
					}
					if err != nil && timedOut {
						err = fmt.Errorf("%w (timeout %s)", err, seconds(c.HealthTimeout))
					}
					if !send(checkResult{kind: checkHealth, err: err}) {
						return
					}
				}
			}))
		}
	}
	if c.MemoryLimit > 0 {
		pid := p.st.pid
		cancels = append(cancels, p.goCheck(func(ctx context.Context, send func(checkResult) bool) {
			for p.sleep(ctx, c.MemoryInterval) {
				rss, err := proctree.TreeRSS(pid)
				if err != nil {
					continue // the process is going away; its exit arrives on its own
				}
				if !send(checkResult{kind: checkMemory, rss: rss}) {
					return
				}
			}
		}))
	}
	return func() {
		for _, cancel := range cancels {
			cancel()
		}
	}
}

// healthProber returns the prober of HealthURL or HealthCommand.
func (p *process) healthProber() (prober, error) {
	c := p.prog.Checks
	if c.HealthURL != "" {
		return newProber(c.HealthURL, c.HealthAnyStatus)
	}
	cmd, err := p.command("/bin/sh", []string{"/bin/sh", "-c", c.HealthCommand})
	if err != nil {
		return nil, err
	}
	return &commandProber{spawner: p.sv.spawner, cmd: *cmd, line: c.HealthCommand}, nil
}

// checked handles one observation in the process goroutine.
func (p *process) checked(r checkResult) {
	st := &p.st
	m := &st.mon
	if r.gen != st.spawns || st.child == nil {
		return // from an earlier spawn
	}
	c := p.prog.Checks
	name := p.prog.Name
	switch r.kind {
	case checkReady:
		p.ready(c.Ready)
	case checkNotify:
		n := r.notify
		if n.hasStatus {
			m.status = n.status
		}
		if n.ready && c.Ready == ReadyNotify {
			p.ready("READY=1")
		}
		if n.stopping {
			p.log(slog.LevelInfo, "%s is stopping (sd_notify STOPPING=1)", name)
		}
		if n.watchdog && c.Watchdog > 0 && st.state == Running {
			m.watchdogAt = p.sv.clock.Now().Add(c.Watchdog)
		}
	case checkHealth:
		if st.state != Running || st.killing {
			return
		}
		if r.err == nil {
			if m.failures > 0 {
				p.log(slog.LevelInfo, "health check of %s passed after %d failures", name, m.failures)
				m.note = ""
			}
			m.failures = 0
			m.stats.failures = 0
			return
		}
		m.failures++
		m.stats.failures = m.failures
		m.note = fmt.Sprintf("health check failed (%d/%d): %v", m.failures, c.HealthRetries, r.err)
		p.log(slog.LevelWarn, "%s: %s", name, m.note)
		if m.failures >= c.HealthRetries {
			p.checkRestart(fmt.Sprintf("%d health checks failed in a row, the last: %v", m.failures, r.err))
		}
	case checkMemory:
		if st.state == Running && !st.killing && r.rss > c.MemoryLimit {
			p.checkRestart(fmt.Sprintf("memory %s (RSS of its process tree) is over memory_limit %s",
				FormatBytes(r.rss), FormatBytes(c.MemoryLimit)))
		}
	}
}

// ready makes a STARTING process RUNNING.
func (p *process) ready(how string) {
	st := &p.st
	if st.state != Starting || st.killing {
		return
	}
	st.delay, st.backoff = time.Time{}, 0
	p.setState(Running, true)
	p.log(slog.LevelInfo, "success: %s entered RUNNING state, process is ready (%s)", p.prog.Name, how)
}

// checkRestart stops the process because a check failed; it is started again once it exited.
func (p *process) checkRestart(reason string) {
	st := &p.st
	p.log(slog.LevelWarn, "restarting: %s: %s", p.prog.Name, reason)
	st.mon.note = "restarted at " + p.sv.clock.Now().Format("15:04:05") + ": " + reason
	p.queued = append(p.queued, Event{Kind: EventCheck, Time: p.sv.clock.Now(), Group: p.group,
		Name: p.prog.Name, From: st.state, To: st.state, Pid: st.pid, Reason: reason})
	if msg := p.kill(p.prog.StopSignal); msg == "" {
		st.mon.after = afterRestart
		st.mon.stats.restarts++
	}
}

// startingTimer returns when the STARTING process's timer fires: after StartSecs, or at
// ReadyTimeout when Ready is set.
func (p *process) startingTimer() time.Time {
	if p.prog.Checks.Ready != "" {
		return p.st.laststart.Add(p.prog.Checks.ReadyTimeout)
	}
	return p.st.laststart.Add(p.prog.StartSecs + time.Nanosecond) // strictly longer than startsecs
}

// readyDue handles a STARTING process with Ready set (and reports whether Ready is set, in
// which case StartSecs does not apply): past ReadyTimeout, the start has failed.
func (p *process) readyDue(now time.Time) bool {
	st := &p.st
	c := p.prog.Checks
	if c.Ready == "" {
		return false
	}
	if st.child != nil && !st.killing && !now.Before(st.laststart.Add(c.ReadyTimeout)) {
		msg := fmt.Sprintf("not ready within %s (ready = %s)", seconds(c.ReadyTimeout), c.Ready)
		p.log(slog.LevelWarn, "%s: %s; stopping it", p.prog.Name, msg)
		if p.kill(p.prog.StopSignal) == "" {
			st.mon.after, st.mon.abortMessage = afterBackoff, msg
		}
	}
	return true
}

// watchdogDue restarts a RUNNING process whose watchdog expired.
func (p *process) watchdogDue(now time.Time) {
	m := &p.st.mon
	if !m.watchdogAt.IsZero() && !now.Before(m.watchdogAt) && !p.st.killing {
		m.watchdogAt = time.Time{}
		p.checkRestart(fmt.Sprintf("no WATCHDOG=1 within %s (watchdog_secs)", seconds(p.prog.Checks.Watchdog)))
	}
}

// checkedExit handles the exit of a process a check stopped; false when it is an ordinary exit.
func (p *process) checkedExit(es ExitStatus) bool {
	st := &p.st
	if !st.killing || st.mon.after != afterBackoff || st.shutting {
		return false
	}
	st.mon.after = afterNothing
	st.killing = false
	st.exitstatus = 0
	st.spawnerr = st.mon.abortMessage
	p.setState(Backoff, false)
	p.log(slog.LevelWarn, "exited: %s (%s; not ready)", p.prog.Name, es)
	return true
}

// restartDue starts a STOPPED process again after a check restart.
func (p *process) restartDue() {
	if p.st.mon.after == afterRestart {
		p.st.mon.after = afterNothing
		p.spawn()
	}
}

// userStop cancels a pending check restart: a stop by a user wins.
func (p *process) userStop() { p.st.mon.after = afterNothing }

// checkNote is what the checks add to the RUNNING description.
func (p *process) checkNote() string {
	m := &p.st.mon
	switch {
	case m.note != "" && m.status != "":
		return m.status + "; " + m.note
	case m.note != "":
		return m.note
	}
	return m.status
}

// FormatBytes prints a byte count as supervisord's byte sizes are written: "512MB", "1.5GB",
// "300KB", "17B" (1 KB = 1024 bytes, one decimal where it is not whole).
func FormatBytes(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	v := float64(n)
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + units[i]
}

// seconds prints a duration of whole seconds as "90s" (not "1m30s"), others as Go does.
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}
