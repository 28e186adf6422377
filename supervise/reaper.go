package supervise

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// reaper is the one owner of wait4 in this process: on SIGCHLD it calls
// wait4(-1, WNOHANG) until nothing is left and hands each status to the child it belongs to.
// Statuses of unknown pids (orphaned grandchildren reparented to us as a subreaper, or children
// someone else started) are reaped and dropped.
//
// It is a process-wide singleton by necessity (wait4(-1) and SIGCHLD are process-wide); it runs
// only while at least one Serve that uses the fork spawner runs, shared by all of them.
type reaper struct {
	life sync.Mutex // serialises acquire and release
	refs int
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex // guards owners, inflight and early
	owners   map[int]*forkChild
	inflight int                        // forks in progress
	early    map[int]syscall.WaitStatus // exits reaped while forks were in progress, by pid
}

// fork runs forkExec (forks may run in parallel) and registers the new pid as c's. An exit
// reaped before the registration is kept in early while any fork is in progress, so it is
// never lost; statuses nobody claims (grandchildren) are dropped once no fork is in progress.
func (r *reaper) fork(c *forkChild, forkExec func() (int, error)) (int, error) {
	r.mu.Lock()
	r.inflight++
	r.mu.Unlock()
	pid, err := forkExec()
	r.mu.Lock()
	r.inflight--
	ws, early := r.early[pid]
	if err == nil {
		c.pid = pid
		if early {
			delete(r.early, pid)
		} else {
			r.owners[pid] = c
		}
	}
	if r.inflight == 0 {
		r.early = nil
	}
	r.mu.Unlock()
	if err == nil && early {
		c.exited(ws)
	}
	return pid, err
}

var theReaper = &reaper{owners: map[int]*forkChild{}}

const prSetChildSubreaper = 36

// acquire starts the reaper if it is not running and returns the function that releases it.
func (r *reaper) acquire() func() {
	r.life.Lock()
	defer r.life.Unlock()
	r.refs++
	if r.refs == 1 {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGCHLD)
		// Orphaned grandchildren come to us, not to init, and are reaped here.
		syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.loop(sigs, r.stop, r.done)
	}
	var once sync.Once
	return func() { once.Do(r.release) }
}

func (r *reaper) release() {
	r.life.Lock()
	defer r.life.Unlock()
	r.refs--
	if r.refs > 0 {
		return
	}
	r.sweepAdopted()
	close(r.stop)
	<-r.done
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 0, 0)
}

// sweepWait is how long adopted orphans get after SIGTERM before SIGKILL at the end of the
// last Serve.
const sweepWait = time.Second

// sweepAdopted ends the orphans reparented to us (we are a subreaper) that left their group,
// so that nothing the supervisor started outlives the last Serve: SIGTERM, SIGKILL after
// sweepWait. Called with the reaper still running, which reaps them.
func (r *reaper) sweepAdopted() {
	r.mu.Lock()
	known := make(map[int]bool, len(r.owners))
	for pid := range r.owners {
		known[pid] = true
	}
	r.mu.Unlock()
	pids, err := proctree.Adopted(known)
	if err != nil || len(pids) == 0 {
		return
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(sweepWait)
	for len(pids) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		pids, _ = proctree.Adopted(known)
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for i := 0; i < 200 && len(pids) > 0; i++ { // until reaped, at most 1 s more
		time.Sleep(5 * time.Millisecond)
		pids, _ = proctree.Adopted(known)
	}
}

func (r *reaper) loop(sigs chan os.Signal, stop, done chan struct{}) {
	defer close(done)
	defer signal.Stop(sigs)
	r.reapAll()
	for {
		select {
		case <-sigs:
			r.reapAll()
		case <-stop:
			r.reapAll()
			return
		}
	}
}

func (r *reaper) reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		r.mu.Lock()
		c := r.owners[pid]
		delete(r.owners, pid)
		if c == nil && r.inflight > 0 {
			if r.early == nil {
				r.early = map[int]syscall.WaitStatus{}
			}
			r.early[pid] = ws
		}
		r.mu.Unlock()
		if c != nil {
			c.exited(ws)
		}
	}
}
