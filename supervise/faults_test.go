package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// Fault injection in the engine: what a kill -9 of the supervisor, fd exhaustion or a stepped
// wall clock would otherwise get wrong. The daemon-level kill -9 runs are in
// examples/supervisord-lite (faults_e2e_test.go).

// stateProbe is a Spawner standing in for the fork spawner of a Supervisor that has a token:
// at each spawn it reads the state file, as the next supervisor would after a kill -9 right
// after that spawn, and refuses the spawn.
type stateProbe struct {
	path string
	mu   sync.Mutex
	seen []stateFileDoc
}

func (s *stateProbe) Spawn(cmd *Cmd) (Child, error) {
	doc, err := readStateDoc(s.path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.seen = append(s.seen, doc)
	}
	return nil, errors.New("probe: no spawn")
}

func (s *stateProbe) docs() []stateFileDoc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]stateFileDoc(nil), s.seen...)
}

// A supervisor killed right after its first spawn leaves a child that carries its token: the
// state file must name that token before the fork, or the next supervisor cannot find the
// child. The file is written before the first autostart spawn, not a batch interval later.
func TestStateFileWrittenBeforeFirstSpawn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sv.children")
	require.NoError(t, writeAtomic(path, []byte(`{"version":2,"supervisor_pid":1,"token":"previous","processes":[]}`+"\n")))
	probe := &stateProbe{path: path}
	log := &logBuffer{}
	sv := New(Options{StateFile: path, ChildLogDir: t.TempDir(), Logger: logTo(log)})
	sv.spawner = probe // keeps the token made for the fork spawner
	p := quiet("first")
	p.StartRetries = -1
	require.NoError(t, sv.Add(bg, Group{Name: "first", Programs: []Program{p}}))
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	testenv.WaitFor(t, "first FATAL", func() bool {
		infos, err := sv.Status("first")
		return err == nil && infos[0].State == Fatal
	})
	cancel()
	require.NoError(t, <-done)
	docs := probe.docs()
	require.NotEmpty(t, docs, "the spawner read the state file")
	assert.Equal(t, sv.token, docs[0].Token, "the token is on disk before the first spawn")
}

// fdFiller holds every free descriptor of the process under a lowered soft RLIMIT_NOFILE.
type fdFiller struct {
	t     *testing.T
	old   syscall.Rlimit
	held  []int
	limit uint64
}

// fillFds lowers the soft limit to 64 above the highest descriptor in use and opens /dev/null
// until EMFILE. Cleanup frees everything and restores the limit.
func fillFds(t *testing.T) *fdFiller {
	f := &fdFiller{t: t}
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &f.old))
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	high := 0
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > high {
			high = n
		}
	}
	f.limit = uint64(high) + 64
	lim := f.old
	lim.Cur = f.limit
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	t.Cleanup(f.release)
	for len(f.held) < int(f.limit) {
		fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			require.ErrorIs(t, err, syscall.EMFILE)
			return f
		}
		f.held = append(f.held, fd)
	}
	t.Fatal("never reached EMFILE")
	return f
}

// free closes n held descriptors, so that exactly n are free.
func (f *fdFiller) free(n int) {
	for i := 0; i < n && len(f.held) > 0; i++ {
		syscall.Close(f.held[len(f.held)-1])
		f.held = f.held[:len(f.held)-1]
	}
}

// release closes all held descriptors and restores the limit.
func (f *fdFiller) release() {
	f.free(len(f.held))
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &f.old)
}

// openPaths returns how many descriptors of this process are open on path.
func openPaths(t *testing.T, path string) int {
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == path {
			n++
		}
	}
	return n
}

// fd exhaustion at every step of a spawn (0 to 12 free descriptors: log files, the three
// pipes, the fork's own pipe): a start either succeeds or fails with a spawn error that names
// the program and says why ("too many open files"), never as an exec failure of the command;
// a failed spawn holds none of the log files it opened; once descriptors are free again the
// same program starts.
func TestRealFdExhaustion(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "fdless", "sleep")
	p.AutoStart = ToggleOf(false)
	p.StartRetries = -1
	p.StartSecs = 0
	p.Stdout.Path = filepath.Join(h.dir, "fdless.out")
	p.Stderr.Path = filepath.Join(h.dir, "fdless.err")
	h.add(p)
	for free := 0; free <= 12; free++ {
		f := fillFds(t)
		f.free(free)
		_, err := h.sv.Start(bg, "fdless", true)
		infos, serr := h.sv.Status("fdless")
		f.release() // before any assertion: testify needs descriptors too
		require.NoError(t, serr)
		info := infos[0]
		if err == nil && info.State == Running {
			_, err = h.sv.Stop(bg, "fdless", true)
			require.NoError(t, err, "%d free", free)
			continue
		}
		require.ErrorIs(t, err, ErrSpawn, "%d free: %s", free, info.SpawnErr)
		assert.Contains(t, info.SpawnErr, "too many open files to spawn", "%d free", free)
		assert.Contains(t, info.SpawnErr, "'fdless'", "%d free: the message names the program", free)
		assert.Equal(t, 0, openPaths(t, p.Stdout.Path)+openPaths(t, p.Stderr.Path), "%d free: log files released", free)
	}
	assert.NotContains(t, strings.Join(h.log.lines(), "\n"), "couldn't exec")
	_, err := h.sv.Start(bg, "fdless", true)
	require.NoError(t, err, "starts once descriptors are free")
	_, err = h.sv.Stop(bg, "fdless", true)
	require.NoError(t, err)
}

// A child stopped with SIGSTOP cannot act on the stop signal: as supervisord 4.2.5 (which
// sends no SIGCONT), the stop ends in SIGKILL after StopWait, the process is gone and the
// program STOPPED.
func TestRealStopOfStoppedChild(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "frozen", "sleep")
	p.StopWait = 300 * time.Millisecond
	h.add(p)
	run := h.untilState("frozen", Running)
	require.NoError(t, syscall.Kill(run.Pid, syscall.SIGSTOP))
	testenv.WaitFor(t, "the child stopped (state T)", func() bool { return pidState(run.Pid) == "T" })
	_, err := h.sv.Stop(bg, "frozen", true)
	require.NoError(t, err)
	infos, err := h.sv.Status("frozen")
	require.NoError(t, err)
	assert.Equal(t, Stopped, infos[0].State)
	assert.Equal(t, "", pidState(run.Pid), "the stopped child is gone")
	lines := h.log.lines()
	assert.Contains(t, lines, fmt.Sprintf("WARN killing 'frozen' (%d) with SIGKILL", run.Pid))
	assert.Contains(t, lines, "WARN stopped: frozen (terminated by SIGKILL)")
}

// pidState returns the state letter of pid in /proc/PID/stat ("" when gone or a zombie).
func pidState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) || s[i+2] == 'Z' {
		return ""
	}
	return s[i+2 : i+3]
}
