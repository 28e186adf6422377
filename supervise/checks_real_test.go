package supervise

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// Real-process tests of each check kind: the children are this test binary (checks_helper_test.go)
// or Debian's gunicorn.

func (h *realHarness) untilCheck(name string) Event {
	h.t.Helper()
	return h.until(name, func(e Event) bool { return e.Kind == EventCheck })
}

func TestRealReadyNotify(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "app", "notify")
	p.StartSecs = 0 // default 1 s, not used with Ready
	p.Checks.Ready = ReadyNotify
	h.add(p)
	h.untilState("app", Running)
	info, err := h.sv.Status("app")
	require.NoError(t, err)
	assert.Equal(t, "serving", info[0].Check)
	assert.Contains(t, h.log.lines(), "INFO success: app entered RUNNING state, process is ready (READY=1)")
}

func TestRealNotifyFromAnotherProcessIsIgnored(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "app", "sleep")
	p.Checks.Ready = ReadyNotify
	p.Checks.ReadyTimeout = 1500 * time.Millisecond
	p.StartRetries = -1
	h.add(p)
	h.untilState("app", Starting)
	var addr string
	info, err := h.sv.Status("app")
	require.NoError(t, err)
	// the socket address the child got, from its environment
	env, err := os.ReadFile("/proc/" + strconv.Itoa(info[0].Pid) + "/environ")
	require.NoError(t, err)
	for _, kv := range strings.Split(string(env), "\x00") {
		if v, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
			addr = v
		}
	}
	require.NotEmpty(t, addr)
	sdNotify(t, addr, "READY=1") // from the test process: not the child, not in its group
	h.untilState("app", Backoff)
	h.untilState("app", Fatal)
	info, err = h.sv.Status("app")
	require.NoError(t, err)
	assert.Equal(t, "not ready within 1.5s (ready = notify)", info[0].SpawnErr)
}

func TestRealReadyTCP(t *testing.T) {
	h := newReal(t)
	port := strconv.Itoa(testenv.FreePort(t))
	p := helperProg(t, "app", "listen", port, "400")
	p.Checks.Ready = "tcp://127.0.0.1:" + port
	h.add(p)
	h.untilState("app", Running)
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	require.NoError(t, err, "RUNNING means the port answers")
	c.Close()
}

func TestRealReadyAndHealthHTTPS(t *testing.T) {
	h := newReal(t)
	port := strconv.Itoa(testenv.FreePort(t))
	sick := filepath.Join(t.TempDir(), "sick")
	p := helperProg(t, "web", "https", port, sick)
	p.Checks.Ready = "https://127.0.0.1:" + port + "/"
	p.Checks.HealthURL = "https://127.0.0.1:" + port + "/health"
	p.Checks.HealthInterval = 100 * time.Millisecond
	p.Checks.HealthRetries = 2
	h.add(p)
	first := h.untilState("web", Running)
	require.NoError(t, os.WriteFile(sick, nil, 0o600))
	e := h.untilCheck("web")
	assert.Equal(t, first.Pid, e.Pid)
	assert.Contains(t, e.Reason, "2 health checks failed in a row, the last: GET https://127.0.0.1:"+port+"/health: 503 Service Unavailable")
	require.NoError(t, os.Remove(sick))
	second := h.untilState("web", Running)
	assert.NotEqual(t, first.Pid, second.Pid)
	info, err := h.sv.Status("web")
	require.NoError(t, err)
	assert.Contains(t, info[0].Description(), "503 Service Unavailable")
}

func TestRealHealthHTTP(t *testing.T) {
	h := newReal(t)
	port := strconv.Itoa(testenv.FreePort(t))
	sick := filepath.Join(t.TempDir(), "sick")
	p := helperProg(t, "web", "http", port, sick)
	p.Checks.Ready = "http://127.0.0.1:" + port + "/"
	p.Checks.HealthURL = "http://127.0.0.1:" + port + "/"
	p.Checks.HealthInterval = 100 * time.Millisecond
	p.Checks.HealthRetries = 1
	h.add(p)
	h.untilState("web", Running)
	resp, err := http.Get("http://127.0.0.1:" + port + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.NoError(t, os.WriteFile(sick, nil, 0o600))
	e := h.untilCheck("web")
	assert.Contains(t, e.Reason, "503 Service Unavailable")
	h.untilState("web", Stopped)
	os.Remove(sick)
	h.untilState("web", Running)
}

func TestRealHealthCommand(t *testing.T) {
	h := newReal(t)
	sick := filepath.Join(t.TempDir(), "sick")
	p := helperProg(t, "app", "sleep")
	p.Checks.HealthCommand = "echo checking; test ! -e " + sick
	p.Checks.HealthInterval = 100 * time.Millisecond
	p.Checks.HealthRetries = 2
	h.add(p)
	first := h.untilState("app", Running)
	require.NoError(t, os.WriteFile(sick, nil, 0o600))
	e := h.untilCheck("app")
	assert.Contains(t, e.Reason, "test ! -e "+sick+": exit status 1: checking")
	require.NoError(t, os.Remove(sick))
	second := h.untilState("app", Running)
	assert.NotEqual(t, first.Pid, second.Pid)
}

func TestRealHealthCommandThatHangs(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "app", "sleep")
	pidFile := filepath.Join(t.TempDir(), "pid")
	p.Checks.HealthCommand = "echo $$ > " + pidFile + "; exec sleep 60"
	p.Checks.HealthInterval = 50 * time.Millisecond
	p.Checks.HealthTimeout = 300 * time.Millisecond
	p.Checks.HealthRetries = 1
	h.add(p)
	h.untilState("app", Running)
	e := h.untilCheck("app")
	assert.Contains(t, e.Reason, "no answer within the timeout (killed) (timeout 300ms)")
	// The hung check was killed (and reaped).
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	testenv.WaitFor(t, "the condition", func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH })
	h.untilState("app", Running)
}

func TestRealMemoryLimitCountsTheTree(t *testing.T) {
	h := newReal(t)
	p := helperProg(t, "fat", "alloc", "24", "tree") // 24 MB here and 24 MB in a grandchild
	p.Stdout.Events = true
	p.Checks.MemoryLimit = 40 << 20
	p.Checks.MemoryInterval = 100 * time.Millisecond
	p.StopAsGroup = true
	h.add(p)
	h.untilState("fat", Running)
	e := h.untilCheck("fat")
	assert.Contains(t, e.Reason, "(RSS of its process tree) is over memory_limit 40MB")
	h.untilState("fat", Stopped)
	found := false
	for _, l := range h.log.lines() {
		if strings.HasPrefix(l, "WARN restarting: fat: memory ") && strings.Contains(l, "MB (RSS of its process tree) is over memory_limit 40MB") {
			found = true
		}
	}
	assert.True(t, found, "log:\n%s", strings.Join(h.log.lines(), "\n"))
	h.untilState("fat", Running)
}

// gunicornApp writes a WSGI app and returns its directory.
func gunicornApp(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte(
		"def app(environ, start_response):\n"+
			"    start_response('200 OK', [('Content-Type', 'text/plain')])\n"+
			"    return [b'hello\\n']\n"), 0o644))
	return dir
}

func TestRealGunicornSpeaksNotify(t *testing.T) {
	gunicorn := testenv.LookPath(t, "gunicorn", "gunicorn")
	h := newReal(t)
	port := strconv.Itoa(testenv.FreePort(t))
	p := Program{Name: "web", Command: gunicorn, Dir: gunicornApp(t),
		Args:         []string{"--bind", "127.0.0.1:" + port, "--workers", "2", "app:app"},
		StartSecs:    30 * time.Second, // would keep it STARTING for 30 s without Ready
		CleanupGroup: true, StopAsGroup: true,
		Checks: Checks{Ready: ReadyNotify, ReadyTimeout: 60 * time.Second}}
	h.add(p)
	first := h.untilState("web", Running)
	resp, err := http.Get("http://127.0.0.1:" + port + "/")
	require.NoError(t, err, "RUNNING means gunicorn listens")
	resp.Body.Close()
	info, err := h.sv.Status("web")
	require.NoError(t, err)
	assert.Equal(t, "Gunicorn arbiter booted", info[0].Check)
	// kill -9 of a master that was serving is an exit, not a failed start.
	require.NoError(t, syscall.Kill(first.Pid, syscall.SIGKILL))
	ex := h.untilState("web", Exited)
	assert.False(t, ex.Expected)
	second := h.untilState("web", Running)
	assert.Zero(t, second.Tries)
	_, err = h.sv.Stop(context.Background(), "web", true)
	require.NoError(t, err)
}
