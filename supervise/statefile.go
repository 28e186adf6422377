package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// StateRecord is one running child as recorded in Options.StateFile.
type StateRecord struct {
	// Name is the process's namespec ("group:name", or "name" when both are equal).
	Name string `json:"name"`
	// Pid is the process id; Pgid its process group (the pid itself for our children).
	Pid  int `json:"pid"`
	Pgid int `json:"pgid"`
	// StartTicks is the process's start time in clock ticks after boot, exactly as the kernel
	// keeps it (/proc/PID/stat field 22), and BootID the boot it belongs to
	// (/proc/sys/kernel/random/boot_id): with Pid they name the process, so neither a recycled
	// pid nor a clock step nor a reboot makes another process look like it, or it like another.
	StartTicks uint64 `json:"start_ticks"`
	BootID     string `json:"boot_id"`
}

// stateVersion is the file format: 2 has start ticks and the boot id (1, before it, had
// gopsutil's start time in ms, which a clock step or the boot time's rounding could make
// differ for the same process; its files are refused with a message).
const stateVersion = 2

// stateFileDoc is the file's content.
type stateFileDoc struct {
	Version    int `json:"version"`
	Supervisor int `json:"supervisor_pid"`
	// Token is the supervisor's TokenEnv value: the next one ends what still carries it.
	Token     string        `json:"token,omitempty"`
	Processes []StateRecord `json:"processes"`
}

// stateFile records the running children in Options.StateFile. Spawns and exits mark it
// dirty; one writer goroutine (started by Serve) rewrites the file, so a burst of spawns costs
// one write, not one per spawn.
type stateFile struct {
	path string
	kick chan struct{}

	mu    sync.Mutex
	pids  map[*process]int
	start map[int]proctree.ID // identity by pid, read once per child
}

func newStateFile(path string) *stateFile {
	return &stateFile{path: path, kick: make(chan struct{}, 1), pids: map[*process]int{}, start: map[int]proctree.ID{}}
}

// record notes that p now runs as pid (0 = no longer runs); no-op without a state file.
func (s *Supervisor) record(p *process, pid int) {
	sf := s.state
	if sf == nil {
		return
	}
	if _, real := p.st.child.(*forkChild); !real && pid > 0 {
		return // only real children: a fake's pid names some other process
	}
	sf.mu.Lock()
	if pid > 0 {
		sf.pids[p] = pid
	} else {
		delete(sf.pids, p)
	}
	sf.mu.Unlock()
	select {
	case sf.kick <- struct{}{}:
	default:
	}
}

// stateBatch is how long the writer lets further spawns and exits accumulate after the first
// one before it rewrites the file: a burst (500 programs starting) costs a few writes, and the
// file lags the truth by at most about this long.
const stateBatch = 20 * time.Millisecond

// run rewrites the file whenever it is kicked (batching what comes within stateBatch), and
// once more when stop is closed.
func (sf *stateFile) run(sv *Supervisor, stop <-chan struct{}) {
	batch := time.NewTimer(stateBatch)
	batch.Stop()
	defer batch.Stop()
	for {
		select {
		case <-sf.kick:
			batch.Reset(stateBatch)
			select {
			case <-batch.C:
			case <-stop:
				sf.write(sv)
				return
			}
		case <-stop:
			sf.write(sv)
			return
		}
		sf.write(sv)
	}
}

// write replaces the file atomically (a temporary file renamed over it).
func (sf *stateFile) write(sv *Supervisor) {
	sf.mu.Lock()
	doc := stateFileDoc{Version: stateVersion, Supervisor: os.Getpid(), Token: sv.token, Processes: []StateRecord{}}
	live := map[int]bool{}
	for p, pid := range sf.pids {
		live[pid] = true
		id, ok := sf.start[pid]
		if !ok {
			var err error
			if id, err = proctree.Identify(pid); err != nil {
				continue // gone already: its exit is on its way
			}
			sf.start[pid] = id
		}
		doc.Processes = append(doc.Processes, StateRecord{Name: namespec(p), Pid: pid, Pgid: pid,
			StartTicks: id.StartTicks, BootID: id.BootID})
	}
	for pid := range sf.start {
		if !live[pid] {
			delete(sf.start, pid)
		}
	}
	sf.mu.Unlock()
	sort.Slice(doc.Processes, func(i, j int) bool { return doc.Processes[i].Name < doc.Processes[j].Name })
	b, err := json.MarshalIndent(doc, "", "  ")
	if err == nil {
		err = writeAtomic(sf.path, append(b, '\n'))
	}
	if err != nil {
		sv.log(slog.LevelError, "state file %s: %v", sf.path, err)
	}
}

func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// ReadStateFile reads a state file written by a Supervisor with Options.StateFile. A missing
// file gives no records and no error; a file that cannot be parsed gives an error naming it.
func ReadStateFile(path string) ([]StateRecord, error) {
	doc, err := readStateDoc(path)
	return doc.Processes, err
}

// readStateDoc reads the whole file: the records and the token.
func readStateDoc(path string) (stateFileDoc, error) {
	var doc stateFileDoc
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return doc, nil
	}
	if err != nil {
		return doc, fmt.Errorf("state file %s: %w", path, err)
	}
	if len(b) == 0 {
		return doc, nil
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return stateFileDoc{}, fmt.Errorf("state file %s: %w", path, err)
	}
	switch {
	case doc.Version == 1:
		return stateFileDoc{}, fmt.Errorf("state file %s: version 1 (start times in ms, written by an older supervisord-lite) "+
			"cannot tell its processes from recycled pids safely; they are left alone", path)
	case doc.Version != stateVersion:
		return stateFileDoc{}, fmt.Errorf("state file %s: unknown version %d", path, doc.Version)
	}
	for i, r := range doc.Processes {
		if r.Pid <= 1 || r.Pgid < 0 || r.StartTicks == 0 || r.BootID == "" {
			return stateFileDoc{}, fmt.Errorf("state file %s: record %d (%q): bad pid %d, pgid %d, start ticks %d or boot id %q",
				path, i, r.Name, r.Pid, r.Pgid, r.StartTicks, r.BootID)
		}
	}
	return doc, nil
}

// recoverWait is how long a process left by a previous supervisor gets after SIGTERM when
// no program of that name is configured now.
const recoverWait = 10 * time.Second

// recoverState ends the processes a previous supervisor recorded in the state file and that
// still run (pid and start time both match): SIGTERM to the group (to the pid alone if it
// left its group), SIGKILL after the program's StopWait (10 s for a name not configured now).
// Problems are logged, never fatal.
func (s *Supervisor) recoverState(path string) {
	doc, err := readStateDoc(path)
	if err != nil {
		s.log(slog.LevelWarn, "%v; ignored", err)
		return
	}
	recs := doc.Processes
	waits := map[string]time.Duration{}
	s.mu.Lock()
	for _, g := range s.groups {
		for _, p := range g.procs {
			waits[namespec(p)] = p.prog.StopWait
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range recs {
		id := proctree.ID{Pid: r.Pid, StartTicks: r.StartTicks, BootID: r.BootID}
		if !id.Alive() {
			s.log(slog.LevelDebug, "state file: %s (pid %d) is no longer running", r.Name, r.Pid)
			continue
		}
		wait, ok := waits[r.Name]
		if !ok {
			wait = recoverWait
		}
		wg.Add(1)
		go func(r StateRecord, id proctree.ID, wait time.Duration) {
			defer wg.Done()
			s.endLeftover(r, id, wait)
		}(r, id, wait)
	}
	wg.Wait()
	s.recoverMarked(doc.Token, waits)
}

// endLeftover ends one recorded process that outlived its supervisor, and its group.
func (s *Supervisor) endLeftover(r StateRecord, id proctree.ID, wait time.Duration) {
	group := r.Pgid > 1
	if g, err := syscall.Getpgid(r.Pid); err != nil || g != r.Pgid {
		group = false
	}
	signal := func(sig syscall.Signal) {
		if group {
			proctree.KillGroup(r.Pgid, sig)
		} else {
			syscall.Kill(r.Pid, sig)
		}
	}
	running := func() bool {
		if id.Alive() {
			return true
		}
		if !group {
			return false
		}
		m, err := proctree.GroupMembers(r.Pgid)
		return err == nil && len(m) > 0
	}
	what := fmt.Sprintf("pid %d", r.Pid)
	if group {
		if m, err := proctree.GroupMembers(r.Pgid); err == nil {
			what = fmt.Sprintf("process group %d: %s", r.Pgid, pidList(m))
		}
	}
	s.log(slog.LevelWarn, "found %s (%s) left running by a previous supervisor; ending it with SIGTERM", r.Name, what)
	deadline := s.clock.Now().Add(wait)
	signal(syscall.SIGTERM)
	killed := false
	s.untilGone(deadline, time.Second, func() bool { return !running() }, func() {
		s.log(slog.LevelWarn, "killing %s (pid %d) left by a previous supervisor with SIGKILL", r.Name, r.Pid)
		signal(syscall.SIGKILL)
		killed = true
	})
	how := ""
	if killed {
		how = " (SIGKILL was needed)"
	}
	s.log(slog.LevelWarn, "ended %s (pid %d) left by a previous supervisor%s", r.Name, r.Pid, how)
}
