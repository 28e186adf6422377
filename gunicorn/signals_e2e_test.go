package gunicorn

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// childPids lists the pids whose parent is pid, from /proc/*/stat.
func childPids(pid int) []int {
	var kids []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the process ended meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces, so cut at the last ')'.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			p, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			kids = append(kids, p)
		}
	}
	sort.Ints(kids)
	return kids
}

// TestSignalsMeaning checks the named signals against a real gunicorn: Reload replaces every
// worker under the same master, MoreWorkers and FewerWorkers add and remove one, and QuickStop
// ends it all with exit 0.
func TestSignalsMeaning(t *testing.T) {
	bin := testenv.LookPath(t, "gunicorn", "gunicorn")
	testenv.Short(t)
	dir := appDir(t)
	port := strconv.Itoa(testenv.FreePort(t))
	cfg := Config{App: "wsgi:app", Bind: []string{"127.0.0.1:" + port}, Workers: 2, Chdir: dir}
	_, err := Checker{Env: e2eEnv(), Dir: dir}.Check(cfg)
	require.NoError(t, err)

	var out strings.Builder
	cmd := exec.Command(bin, cfg.Args()...)
	cmd.Dir, cmd.Env = dir, e2eEnv()
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	master := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			_ = syscall.Kill(-master, syscall.SIGKILL)
			<-done
			t.Logf("gunicorn output:\n%s", out.String())
		}
	}()

	// waitFor polls cond every 50 ms for at most 15 s.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; i < 300; i++ {
			select {
			case err := <-done:
				exited = true
				t.Fatalf("gunicorn exited (%v) while waiting for %s\n%s", err, what, out.String())
			default:
			}
			if cond() {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s; workers %v", what, childPids(master))
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	waitFor("an HTTP answer", func() bool {
		resp, err := client.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	waitFor("2 workers", func() bool { return len(childPids(master)) == 2 })
	before := childPids(master)

	require.NoError(t, cmd.Process.Signal(Reload))
	waitFor("2 new workers after Reload", func() bool {
		now := childPids(master)
		if len(now) != 2 {
			return false
		}
		for _, p := range now {
			for _, q := range before {
				if p == q {
					return false
				}
			}
		}
		return true
	})

	require.NoError(t, cmd.Process.Signal(MoreWorkers))
	waitFor("3 workers after MoreWorkers", func() bool { return len(childPids(master)) == 3 })
	require.NoError(t, cmd.Process.Signal(FewerWorkers))
	waitFor("2 workers after FewerWorkers", func() bool { return len(childPids(master)) == 2 })

	require.NoError(t, cmd.Process.Signal(QuickStop))
	select {
	case err := <-done:
		exited = true
		require.NoError(t, err, "exit 0 after QuickStop\n%s", out.String())
	case <-time.After(cfg.StopWait()):
		t.Fatalf("gunicorn still running %v after QuickStop", cfg.StopWait())
	}
	gone := false
	for i := 0; i < 100 && !gone; i++ {
		gone = errors.Is(syscall.Kill(-master, 0), syscall.ESRCH)
		if !gone {
			time.Sleep(20 * time.Millisecond)
		}
	}
	assert.True(t, gone, "a process of gunicorn's group outlived the master")
	log := out.String()
	for _, s := range []string{"Handling signal: hup", "Handling signal: ttin", "Handling signal: ttou", "Handling signal: int"} {
		assert.Contains(t, log, s)
	}
}
