package supervise

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
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

	mu     sync.Mutex // guards owners; held across fork+register so no exit is missed
	owners map[int]*forkChild
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
	close(r.stop)
	<-r.done
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 0, 0)
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
		r.mu.Unlock()
		if c != nil {
			c.exited(ws)
		}
	}
}
