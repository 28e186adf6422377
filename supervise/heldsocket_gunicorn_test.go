package supervise

import (
	"context"
	"fmt"
	"io"
	"net/http"
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

// masterPidApp writes a WSGI app that answers with the pid of its gunicorn master (the
// worker's parent), after a second for /slow, and returns its directory.
func masterPidApp(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.py"), []byte(
		"import os, time\n"+
			"def app(environ, start_response):\n"+
			"    if environ['PATH_INFO'] == '/slow':\n"+
			"        time.sleep(1)\n"+
			"    start_response('200 OK', [('Content-Type', 'text/plain')])\n"+
			"    return [str(os.getppid()).encode()]\n"), 0o644))
	return dir
}

// heldGunicorn is Debian's gunicorn 20.1 serving masterPidApp on a held socket at addr, as a
// [gunicorn:x] runs it (notify readiness, its group cleaned up after a crash).
func heldGunicorn(t *testing.T, addr string) Program {
	gunicorn := testenv.LookPath(t, "gunicorn", "gunicorn")
	return Program{Name: "web", Command: gunicorn, Dir: masterPidApp(t),
		Args:         []string{"--bind", addr, "--workers", "2", "--graceful-timeout", "5", "app:app"},
		CleanupGroup: true, StopAsGroup: true, KillAsGroup: On, AutoRestart: RestartAlways,
		Sockets: []Socket{{Network: "tcp", Address: addr}},
		Checks:  Checks{Ready: ReadyNotify, ReadyTimeout: 60 * time.Second}}
}

// get asks the app for its master's pid on a new connection.
func get(client *http.Client, addr string) (int, error) { return getPath(client, addr, "/") }

func getPath(client *http.Client, addr, path string) (int, error) {
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return strconv.Atoi(strings.TrimSpace(string(body)))
}

func newClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// TestRealGunicornHeldSocket: gunicorn 20.1 accepts on the daemon's socket (its master holds
// that socket); a request made while it is stopped is served by the next
// master; after a kill -9 of the master, requests made before the new one is ready are served.
func TestRealGunicornHeldSocket(t *testing.T) {
	addr := testenv.FreeAddr(t)
	p := heldGunicorn(t, addr)
	h := newReal(t)
	h.add(p)
	first := h.untilState("web", Running).Pid
	client := newClient()
	defer client.CloseIdleConnections()
	pid, err := get(client, addr)
	require.NoError(t, err)
	assert.Equal(t, first, pid)

	// gunicorn's listening socket is the daemon's own.
	ours, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", heldFile(h.sv, "tcp://"+addr).Fd()))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(ours, "socket:"), ours)
	// gunicorn dups fd 3 and closes it: look for the socket among all of the master's fds.
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", first))
	require.NoError(t, err)
	var links []string
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", first, fd.Name())); err == nil {
			links = append(links, l)
		}
	}
	assert.Contains(t, links, ours, "the master holds the daemon's socket")

	// A request while stopped waits, and the next master answers it.
	_, err = h.sv.Stop(context.Background(), "web", true)
	require.NoError(t, err)
	answered := make(chan int, 1)
	failed := make(chan error, 1)
	go func() {
		pid, err := get(client, addr)
		if err != nil {
			failed <- err
			return
		}
		answered <- pid
	}()
	_, err = h.sv.Start(context.Background(), "web", false)
	require.NoError(t, err)
	second := h.untilState("web", Running).Pid
	select {
	case pid := <-answered:
		assert.Equal(t, second, pid)
	case err := <-failed:
		t.Fatalf("the request made while gunicorn was stopped failed: %v", err)
	}

	// kill -9 of the master: requests made until the next master is ready are all served.
	require.NoError(t, syscall.Kill(second, syscall.SIGKILL))
	h.untilState("web", Exited)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := get(client, addr)
			errs <- err
		}()
	}
	third := h.untilState("web", Running).Pid
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err, "a request made after the kill -9")
	}
	pid, err = get(client, addr)
	require.NoError(t, err)
	assert.Equal(t, third, pid)
	_, err = h.sv.Stop(context.Background(), "web", true)
	require.NoError(t, err)
}

// TestRealGunicornDeployOverlap: Deploy of gunicorn under the load of 4 clients loses no
// request, and a request in flight when it begins is answered by the old master.
func TestRealGunicornDeployOverlap(t *testing.T) {
	addr := testenv.FreeAddr(t)
	p := heldGunicorn(t, addr)
	h := newReal(t)
	h.add(p)
	old := h.untilState("web", Running).Pid
	client := newClient()
	defer client.CloseIdleConnections()

	slow := make(chan error, 1)
	slowPid := make(chan int, 1)
	go func() {
		pid, err := getPath(client, addr, "/slow")
		slowPid <- pid
		slow <- err
	}()
	load := testenv.StartLoad("http://"+addr+"/", client, 4)
	load.WaitServed(t, 20)
	res, err := h.sv.Deploy(context.Background(), "web")
	require.NoError(t, err)
	assert.True(t, res.Overlap)
	assert.Equal(t, old, res.OldPid)
	assert.NotEqual(t, old, res.NewPid)
	load.WaitServed(t, 20) // by the new master
	served, failures := load.End()
	assert.Empty(t, failures, "requests failed during the deploy (of %d served)", served)
	require.NoError(t, <-slow, "the request in flight finished")
	assert.Equal(t, old, <-slowPid)
	pid, err := get(client, addr)
	require.NoError(t, err)
	assert.Equal(t, res.NewPid, pid)
	_, err = h.sv.Stop(context.Background(), "web", true)
	require.NoError(t, err)
}
