package supervise

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/proctree"
)

// The file lists each running child with its pid, group and start time, and nothing once
// Serve has returned.
func TestRealStateFileRecordsChildren(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sv.state")
	h := newRealOpts(t, Options{StateFile: path})
	h.add(helperProg(t, "sleeper", "sleep"))
	run := h.untilState("sleeper", Running)
	id, err := proctree.Identify(run.Pid)
	require.NoError(t, err)
	want := []StateRecord{{Name: "sleeper", Pid: run.Pid, Pgid: run.Pid, StartTicks: id.StartTicks, BootID: id.BootID}}
	var recs []StateRecord
	for i := 0; i < 1000; i++ { // the writer runs after the spawn
		if recs, err = ReadStateFile(path); err == nil && len(recs) == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, err)
	assert.Equal(t, want, recs)
	h.stop()
	recs, err = ReadStateFile(path)
	require.NoError(t, err)
	assert.Empty(t, recs)
	left, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".sv.state.tmp*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file left")
}

// A supervisor killed with SIGKILL leaves its child running and a state file; the next
// Supervisor with that file ends the child before it autostarts anything, and leaves alone a
// recorded pid whose start time differs (a recycled pid).
func TestRealStateFileEndsLeftoversOfACrashedSupervisor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sv.state")
	exe, err := os.Executable()
	require.NoError(t, err)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	null, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer null.Close()
	env := append(os.Environ(), helperEnv+"=minisv")
	old, err := os.StartProcess(exe, []string{exe, path}, &os.ProcAttr{Env: env, Files: []*os.File{null, w, w},
		Sys: &syscall.SysProcAttr{Setsid: true}})
	require.NoError(t, err)
	w.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
		r.Close()
	}()
	var got string
	select {
	case got = <-line:
	case <-time.After(20 * time.Second):
		old.Kill()
		t.Fatal("the first supervisor never reported its child")
	}
	childPid, err := strconv.Atoi(strings.TrimSpace(got))
	require.NoError(t, err, "helper said %q", got)
	child, err := proctree.Identify(childPid)
	require.NoError(t, err)
	require.NoError(t, old.Signal(syscall.SIGKILL))
	_, err = old.Wait()
	require.NoError(t, err)
	require.True(t, child.Alive(), "the crashed supervisor's child lives on")

	// A process whose pid is in the file with another start time is not ours. (Not a child of
	// the test process: those the last Serve ends, as orphans it adopted.)
	decoyPid := startOrphan(t)
	decoy, err := proctree.Identify(decoyPid)
	require.NoError(t, err)
	defer proctree.KillGroup(decoyPid, syscall.SIGKILL)
	doc, err := readStateDoc(path)
	require.NoError(t, err)
	require.Len(t, doc.Processes, 1)
	require.Len(t, doc.Token, 32, "the crashed supervisor's token")
	doc.Processes = append(doc.Processes, StateRecord{Name: "other", Pid: decoyPid, Pgid: decoyPid,
		StartTicks: decoy.StartTicks - 100, BootID: decoy.BootID})
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	// A process that escaped from the crashed supervisor's program (its own session, init's
	// child, in no record) still carries that supervisor's token.
	escapedPid := startOrphan(t, TokenEnv+"="+doc.Token, "SUPERVISOR_PROCESS_NAME=app", "SUPERVISOR_GROUP_NAME=app")
	escaped, err := proctree.Identify(escapedPid)
	require.NoError(t, err)
	defer proctree.KillGroup(escapedPid, syscall.SIGKILL)

	h := newRealOpts(t, Options{StateFile: path})
	assert.False(t, child.Alive(), "ended before Serve serves")
	assert.False(t, escaped.Alive(), "the escaped process is ended before Serve serves")
	assert.True(t, decoy.Alive(), "a recycled pid is never touched")
	app := helperProg(t, "app", "sleep")
	h.add(app)
	h.untilState("app", Running)
	lines := h.log.lines()
	found := indexOf(lines, "WARN found app (process group "+strconv.Itoa(childPid)+": "+strconv.Itoa(childPid)+") left running by a previous supervisor; ending it with SIGTERM", 0)
	ended := indexOf(lines, "WARN ended app (pid "+strconv.Itoa(childPid)+") left by a previous supervisor", 0)
	spawned := indexOf(lines, "INFO spawned: 'app'", 0)
	assert.True(t, found >= 0 && ended > found && spawned > ended, "log:\n%s", strings.Join(lines, "\n"))
	assert.Less(t, indexOf(lines, "WARN found 1 processes started under a previous supervisor, outside its records: "+strconv.Itoa(escapedPid)+";", 0), spawned)
	assert.Contains(t, lines, "DEBG state file: other (pid "+strconv.Itoa(decoyPid)+") is no longer running")
	for _, l := range lines {
		assert.NotContains(t, l, "other (pid "+strconv.Itoa(decoyPid)+") left")
	}
	h.stop()
	assert.True(t, decoy.Alive())
}

// A corrupt, empty or unreadable state file is logged and ignored: the programs start.
func TestRealStateFileBadContent(t *testing.T) {
	tests := []struct {
		name, content, warn string
	}{
		{"garbage", "\x00\xffnot json", "WARN state file %s: invalid character"},
		{"empty", "", ""},
		{"version", `{"version":7,"processes":[]}`, "WARN state file %s: unknown version 7; ignored"},
		{"bad pid", `{"version":2,"processes":[{"name":"x","pid":1,"pgid":1,"start_ticks":5,"boot_id":"b"}]}`,
			`WARN state file %s: record 0 ("x"): bad pid 1, pgid 1, start ticks 5 or boot id "b"; ignored`},
		{"no boot id", `{"version":2,"processes":[{"name":"x","pid":10,"pgid":10,"start_ticks":5}]}`,
			`WARN state file %s: record 0 ("x"): bad pid 10, pgid 10, start ticks 5 or boot id ""; ignored`},
		{"version 1", `{"version":1,"processes":[{"name":"x","pid":10,"pgid":10,"start_ms":5}]}`,
			"WARN state file %s: version 1 (start times in ms, written by an older supervisord-lite) cannot tell"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sv.state")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			h := newRealOpts(t, Options{StateFile: path})
			h.add(helperProg(t, "app", "sleep"))
			h.untilState("app", Running)
			if tc.warn != "" {
				assert.True(t, containsPrefix(h.log.lines(), strings.Replace(tc.warn, "%s", path, 1)), "log:\n%s",
					strings.Join(h.log.lines(), "\n"))
			}
			h.stop()
		})
	}
}

// startOrphan starts a sleeping process that is not a child of the test process (its parent
// exits at once) and returns its pid.
func startOrphan(t *testing.T, env ...string) int {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	null, err := os.Open(os.DevNull)
	require.NoError(t, err)
	defer null.Close()
	p, err := os.StartProcess(exe, []string{exe}, &os.ProcAttr{Env: append(append(os.Environ(), env...), helperEnv+"=orphan"),
		Files: []*os.File{null, w, w}})
	require.NoError(t, err)
	w.Close()
	out, _ := bufio.NewReader(r).ReadString('\n')
	_, err = p.Wait()
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	require.NoError(t, err, "helper said %q", out)
	return pid
}

// Any bytes: records that pass validation, or an error naming the file; never a panic.
func FuzzReadStateFile(f *testing.F) {
	f.Add([]byte(`{"version":2,"supervisor_pid":5,"token":"ab","processes":[{"name":"a","pid":10,"pgid":10,"start_ticks":1700,"boot_id":"x"}]}`))
	f.Add([]byte(`{"version":1,"supervisor_pid":5,"processes":[{"name":"a","pid":10,"pgid":10,"start_ms":1700000000000}]}`))
	f.Add([]byte(`{"version":1,"processes":null}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte("\x00\xff{"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "state")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		recs, err := ReadStateFile(path)
		if err != nil {
			assert.Contains(t, err.Error(), path)
			return
		}
		for _, r := range recs {
			assert.Greater(t, r.Pid, 1)
			assert.NotZero(t, r.StartTicks)
			assert.NotEmpty(t, r.BootID)
		}
	})
}
