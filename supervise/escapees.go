package supervise

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// TokenEnv is the environment variable that carries a Supervisor's token into every child it
// starts with the real Spawner (after the program's own Env, so a program cannot change it).
// Children pass their environment on, so the token marks every process started under the
// Supervisor, also one that left its program's process group (setsid, a double fork) and was
// reparented to init, which is how the engine finds such processes without a child subreaper
// (Linux < 3.4) and after a crash (see Options.StateFile). A descendant exec'd with an emptied
// environment is not found. Not in supervisord; the name does not start with SUPERVISOR_.
const TokenEnv = "SUPERVISORD_LITE_TOKEN"

// The environment entries supervisord gives every child, read back from /proc to tell which
// program a marked process belongs to.
const (
	envProcessName = "SUPERVISOR_PROCESS_NAME"
	envGroupName   = "SUPERVISOR_GROUP_NAME"
)

// newToken returns a fresh random token (32 hex digits).
func newToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on Linux (getrandom, or /dev/urandom before 3.17).
		panic(fmt.Sprintf("supervise: no random token: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// marked returns the live processes carrying token whose program (from their environment)
// passes keep; keep nil = all.
func marked(token string, keep func(m proctree.Marked) bool) ([]proctree.Marked, error) {
	all, err := proctree.FindByEnv(TokenEnv+"="+token, envProcessName, envGroupName)
	if err != nil || keep == nil {
		return all, err
	}
	return filterMarked(all, keep), nil
}

// markScan lets the look-ups of endEscapees that run at the same time share one scan of /proc.
// A scan reads the environment of every process on the machine, so "stop all" of N programs
// scanning once each would cost N*N reads (3.5 s for 500 programs); shared, it costs a few
// scans. A look-up is answered only by a scan that started after it asked, so it sees every
// process that existed when it asked, as its own scan would.
type markScan struct {
	mu      sync.Mutex
	running bool                  // a scan is running
	waiting []chan markScanResult // asked while it ran: served by the next scan
}

// markScanResult is a shared scan's answer to one waiting look-up, or, with scan set, the
// turn to run the next scan for itself and the others waiting.
type markScanResult struct {
	ms   []proctree.Marked
	err  error
	scan bool
}

// markedShared is marked(s.token, keep) on a scan shared with the concurrent callers.
func (s *Supervisor) markedShared(keep func(m proctree.Marked) bool) ([]proctree.Marked, error) {
	sc := &s.markScan
	sc.mu.Lock()
	if sc.running {
		ch := make(chan markScanResult, 1)
		sc.waiting = append(sc.waiting, ch)
		sc.mu.Unlock()
		if r := <-ch; !r.scan {
			return filterMarked(r.ms, keep), r.err
		}
		sc.mu.Lock() // this caller's turn to scan; running stays true
	}
	sc.running = true
	batch := sc.waiting // they all asked before the scan below starts
	sc.waiting = nil
	sc.mu.Unlock()

	ms, err := marked(s.token, nil)
	for _, ch := range batch {
		ch <- markScanResult{ms: ms, err: err}
	}
	sc.mu.Lock()
	if len(sc.waiting) == 0 {
		sc.running = false
	} else {
		next := sc.waiting[0]
		sc.waiting = sc.waiting[1:]
		next <- markScanResult{scan: true}
	}
	sc.mu.Unlock()
	return filterMarked(ms, keep), err
}

func filterMarked(all []proctree.Marked, keep func(m proctree.Marked) bool) []proctree.Marked {
	var out []proctree.Marked
	for _, m := range all {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

func markedSpec(m proctree.Marked) string {
	return makeSpec(m.Env[envGroupName], m.Env[envProcessName])
}

// makeSpec is a namespec from a group and a process name ("name" when both are equal).
func makeSpec(group, name string) string {
	if group == name || group == "" {
		return name
	}
	return group + ":" + name
}

func markedPids(ms []proctree.Marked) string {
	pids := make([]int, len(ms))
	for i, m := range ms {
		pids[i] = m.Pid
	}
	return pidList(pids)
}

// endMarked sends sig to each process of ms that still is the one found, SIGKILL once wait has
// passed on the supervisor's clock (again every second), and returns when all are gone;
// killed says whether SIGKILL was needed.
func (s *Supervisor) endMarked(ms []proctree.Marked, sig syscall.Signal, wait time.Duration) (killed bool) {
	send := func(sig syscall.Signal) {
		for _, m := range ms {
			if m.Alive() { // not a recycled pid
				syscall.Kill(m.Pid, sig)
			}
		}
	}
	alive := func() bool {
		for _, m := range ms {
			if m.Alive() {
				return true
			}
		}
		return false
	}
	deadline := s.clock.Now().Add(wait)
	send(sig)
	s.untilGone(deadline, time.Second, func() bool { return !alive() }, func() {
		send(syscall.SIGKILL)
		killed = true
	})
	return killed
}

// endEscapees runs after a requested stop of p's process whose group was pgid: the processes
// of p's program outside that group (they left it: setsid, a double fork) are ended with the
// program's stop signal, SIGKILL after StopWait. It runs beside the process goroutine like a
// group cleanup (a start waits for it). At shutdown it is left to the one sweep at the end of
// Serve.
func (p *process) endEscapees(pgid int) {
	sv, st := p.sv, &p.st
	if sv.token == "" || st.shutting {
		return
	}
	ch := make(chan cleanupResult, 1)
	st.cleaned = ch
	name, group, sig, wait := p.prog.Name, p.group, p.prog.StopSignal, p.prog.StopWait
	sv.wg.Add(1)
	go func() {
		defer sv.wg.Done()
		r := cleanupResult{pgid: pgid, outside: true}
		// The group of a process of the same name that runs now is not an escapee: the
		// successor of a process replaced with overlap (overlap.go). Read after the scan
		// (keep runs on its result), so a successor started while a shared scan ran is seen.
		var live map[int]bool
		ms, err := sv.markedShared(func(m proctree.Marked) bool {
			if live == nil {
				live = sv.livePgids()
			}
			return m.Env[envProcessName] == name && m.Env[envGroupName] == group && m.Pgid != pgid && !live[m.Pgid]
		})
		if err != nil {
			sv.log(slog.LevelWarn, "stopped: %s: cannot look for its processes outside its process group: %v", name, err)
		}
		if len(ms) > 0 {
			r.ended = len(ms)
			sv.log(slog.LevelWarn, "stopped: %s left %d processes outside its process group: %s; ending them with %s",
				name, len(ms), markedPids(ms), SignalName(sig))
			r.killed = sv.endMarked(ms, sig, wait)
		}
		ch <- r
	}()
}

// sweepMarked ends, when Serve ends, every process still carrying this Supervisor's token
// (escaped from a program that stopped or exited): SIGTERM, SIGKILL after sweepWait.
func (s *Supervisor) sweepMarked() {
	if s.token == "" {
		return
	}
	ms, err := marked(s.token, nil)
	if err != nil {
		s.log(slog.LevelWarn, "shutdown: cannot look for processes started under this supervisor: %v", err)
		return
	}
	if len(ms) == 0 {
		return
	}
	s.log(slog.LevelWarn, "shutdown: %d processes started under this supervisor are still running outside its programs: %s; ending them with SIGTERM",
		len(ms), markedPids(ms))
	how := ""
	if s.endMarked(ms, syscall.SIGTERM, sweepWait) {
		how = " (SIGKILL was needed)"
	}
	s.log(slog.LevelInfo, "shutdown: ended %s%s", markedPids(ms), how)
}

// recoverMarked ends the processes still carrying the token of the supervisor that wrote the
// state file (escaped from its programs, not in its records): the stop signal SIGTERM, SIGKILL
// after their program's StopWait (recoverWait for a name not configured now).
func (s *Supervisor) recoverMarked(token string, waits map[string]time.Duration) {
	if token == "" {
		return
	}
	ms, err := marked(token, nil)
	if err != nil {
		s.log(slog.LevelWarn, "state file: cannot look for processes of the previous supervisor: %v", err)
		return
	}
	if len(ms) == 0 {
		return
	}
	wait := time.Duration(0)
	for _, m := range ms {
		w, ok := waits[markedSpec(m)]
		if !ok {
			w = recoverWait
		}
		wait = max(wait, w)
	}
	s.log(slog.LevelWarn, "found %d processes started under a previous supervisor, outside its records: %s; ending them with SIGTERM",
		len(ms), markedPids(ms))
	how := ""
	if s.endMarked(ms, syscall.SIGTERM, wait) {
		how = " (SIGKILL was needed)"
	}
	s.log(slog.LevelWarn, "ended %s left by a previous supervisor%s", markedPids(ms), how)
}
