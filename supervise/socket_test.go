package supervise

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// askSocket connects to network/addr and returns the line the child answers ("pid N").
func askSocket(network, addr string) (string, error) {
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

// untilReady waits until each of names is RUNNING and has printed "ready"; it returns their pids.
func (h *realHarness) untilReady(names ...string) map[string]int {
	h.t.Helper()
	pids, ready := map[string]int{}, map[string]bool{}
	timeout := time.After(20 * time.Second)
	for len(ready) < len(names) || len(pids) < len(names) {
		select {
		case e := <-h.events:
			switch {
			case e.Kind == EventState && e.To == Running:
				pids[e.Name] = e.Pid
			case e.Kind == EventLog && strings.Contains(string(e.Data), "ready"):
				ready[e.Name] = true
			}
		case <-timeout:
			h.t.Fatalf("not ready: %v %v; log:\n%s", pids, ready, strings.Join(h.log.lines(), "\n"))
		}
	}
	return pids
}

// countLines counts the supervisor log lines that contain text.
func countLines(h *realHarness, text string) int {
	n := 0
	for _, l := range h.log.lines() {
		if strings.Contains(l, text) {
			n++
		}
	}
	return n
}

func TestRealGroupSocketUnix(t *testing.T) {
	h := newReal(t)
	path := filepath.Join(h.dir, "app.sock")
	url := "unix://" + path
	g := Group{Name: "app", Socket: &Socket{Network: "unix", Address: path, Mode: 0o660}}
	for i := 0; i < 2; i++ {
		p := helperProg(t, fmt.Sprintf("app_%d", i), "acceptfd0")
		p.StartSecs = -1
		p.Stdout.Events = true
		g.Programs = append(g.Programs, p)
	}
	require.NoError(t, h.sv.Add(context.Background(), g))
	pids := h.untilReady("app_0", "app_1")
	// Add made and closed the socket once (supervisord's early check), the first spawn made it
	// again and the second shared it.
	assert.Equal(t, 2, countLines(h, "INFO Creating socket "+url), h.log.lines())
	assert.Equal(t, 1, countLines(h, "INFO Closing socket "+url), h.log.lines())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSocket|0o660, fi.Mode())
	seen := map[string]bool{}
	for i := 0; i < 20 && len(seen) < 2; i++ {
		line, err := askSocket("unix", path)
		require.NoError(t, err)
		seen[strings.TrimSpace(line)] = true
	}
	for _, pid := range pids {
		assert.True(t, seen[fmt.Sprintf("pid %d", pid)] || len(seen) == 1, "answers %v", seen)
	}

	err = h.sv.WriteStdin("app:app_0", []byte("x"))
	assert.ErrorIs(t, err, ErrNotRunning)
	assert.ErrorIs(t, err, syscall.EPIPE, "fd 0 is the socket: no stdin channel (supervisord's NO_FILE)")

	// One process stopped: the other keeps the socket open.
	_, err = h.sv.Stop(context.Background(), "app:app_0", true)
	require.NoError(t, err)
	line, err := askSocket("unix", path)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("pid %d\n", pids["app_1"]), line)
	assert.Equal(t, 1, countLines(h, "Closing socket"))

	// The last one stopped: the socket is closed, its file left in place (as supervisord).
	_, err = h.sv.Stop(context.Background(), "app:app_1", true)
	require.NoError(t, err)
	assert.Equal(t, 2, countLines(h, "Closing socket"))
	_, err = askSocket("unix", path)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	_, err = os.Lstat(path)
	assert.NoError(t, err, "supervisord does not unlink the socket file when it closes the socket")
	for _, pid := range pids {
		assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "pid %d outlived its stop", pid)
	}

	// Started again: the file is unlinked and bound anew.
	_, err = h.sv.Start(context.Background(), "app:*", true)
	require.NoError(t, err)
	h.untilReady("app_0", "app_1")
	_, err = askSocket("unix", path)
	require.NoError(t, err)
	assert.Equal(t, 3, countLines(h, "Creating socket"))

	h.stop()
	assert.Equal(t, 3, countLines(h, "Closing socket"), "shutdown closes the socket")
	_, err = askSocket("unix", path)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
}

func TestRealGroupSocketTCPRestart(t *testing.T) {
	h := newReal(t)
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	p := helperProg(t, "one", "acceptfd0")
	p.StartSecs = -1
	p.Stdout.Events = true
	require.NoError(t, h.sv.Add(context.Background(), Group{Name: "one", Programs: []Program{p},
		Socket: &Socket{Network: "tcp", Address: addr, Backlog: 5}}))
	first := h.untilState("one", Running).Pid
	h.untilOutput("one", "ready")
	line, err := askSocket("tcp", addr)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("pid %d\n", first), line)

	// The only process dies and is restarted: as in supervisord the socket's count drops to
	// zero at the exit, so it is closed and made again for the new process.
	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	var second int
	for second == 0 || second == first {
		second = h.untilState("one", Running).Pid
	}
	line, err = askSocket("tcp", addr)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("pid %d\n", second), line)
	lines := h.log.lines()
	var order []string
	for _, l := range lines {
		for _, w := range []string{"Creating socket", "Closing socket", "spawned:", "exited:"} {
			if strings.Contains(l, w) {
				order = append(order, w)
			}
		}
	}
	assert.Equal(t, []string{"Creating socket", "Closing socket", "Creating socket", "spawned:",
		"exited:", "Closing socket", "Creating socket", "spawned:"}, order)
}

func TestGroupSocketErrors(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	sv := New(Options{ChildLogDir: t.TempDir()})
	g := Group{Name: "busy", Programs: []Program{{Name: "busy", Command: "/bin/true"}},
		Socket: &Socket{Network: "tcp", Address: fmt.Sprintf("127.0.0.1:%d", port)}}
	err = sv.Add(context.Background(), g)
	var se *SocketError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, fmt.Sprintf("Could not create FastCGI socket tcp://127.0.0.1:%d: [Errno 98] Address already in use", port), se.Error())
	assert.ErrorIs(t, err, syscall.EADDRINUSE)
	assert.Empty(t, sv.Groups(), "a group whose socket cannot be made is not added")

	dir := t.TempDir()
	err = sv.Add(context.Background(), Group{Name: "nodir", Programs: []Program{{Name: "nodir", Command: "/bin/true"}},
		Socket: &Socket{Network: "unix", Address: filepath.Join(dir, "missing", "s.sock")}})
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "Could not create FastCGI socket unix://"+filepath.Join(dir, "missing", "s.sock")+": [Errno 2] No such file or directory", se.Error())

	for _, bad := range []Socket{
		{Network: "unix", Address: "rel.sock"},
		{Network: "tcp", Address: "nohost"},
		{Network: "udp", Address: "127.0.0.1:1"},
		{Network: "tcp", Address: "127.0.0.1:1", Backlog: -1},
	} {
		bad := bad
		err := Group{Name: "g", Programs: []Program{{Name: "g", Command: "/bin/true"}}, Socket: &bad}.Validate()
		assert.Error(t, err, "%+v", bad)
		assert.False(t, errors.Is(err, syscall.EADDRINUSE))
	}
}

func TestSocketURL(t *testing.T) {
	assert.Equal(t, "unix:///run/php.sock", Socket{Network: "unix", Address: "/run/php.sock"}.URL())
	assert.Equal(t, "tcp://localhost:9000", Socket{Network: "tcp", Address: "LocalHost:9000"}.URL())
	assert.True(t, sameSocket(&Socket{Network: "unix", Address: "/a", Mode: 0o600}, &Socket{Network: "unix", Address: "/a", Mode: 0o700}),
		"supervisord compares sockets by URL only")
	assert.False(t, sameSocket(&Socket{Network: "unix", Address: "/a"}, nil))
	assert.True(t, sameSocket(nil, nil))
}

func TestRealGroupSocketTakenAtSpawn(t *testing.T) {
	h := newReal(t)
	port := testenv.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := helperProg(t, "late", "acceptfd0")
	p.AutoStart = Off
	p.StartRetries = 1
	require.NoError(t, h.sv.Add(context.Background(), Group{Name: "late", Programs: []Program{p},
		Socket: &Socket{Network: "tcp", Address: addr}}))
	// Someone else takes the port after the group was added: each spawn fails to make the
	// socket, which is a spawn error (BACKOFF, then FATAL), not a crash of the supervisor.
	ln, err := net.Listen("tcp4", addr)
	require.NoError(t, err)
	defer ln.Close()
	_, err = h.sv.Start(context.Background(), "late", true)
	require.Error(t, err)
	h.untilState("late", Fatal)
	infos, err := h.sv.Status("late")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, Fatal, infos[0].State)
	assert.Equal(t, 2, countLines(h, fmt.Sprintf("spawnerr: Could not create FastCGI socket tcp://%s: [Errno 98] Address already in use", addr)), h.log.lines())
}

func TestRealGroupSocketUpdate(t *testing.T) {
	h := newReal(t)
	pathA := filepath.Join(h.dir, "a.sock")
	pathB := filepath.Join(h.dir, "b.sock")
	p := helperProg(t, "srv", "acceptfd0")
	p.StartSecs = -1
	p.Stdout.Events = true
	group := func(path string, mode os.FileMode) Group {
		return Group{Name: "srv", Programs: []Program{p}, Socket: &Socket{Network: "unix", Address: path, Mode: mode}}
	}
	require.NoError(t, h.sv.Add(context.Background(), group(pathA, 0o600)))
	first := h.untilReady("srv")["srv"]

	// Another mode only: the same URL, so not a change (supervisord compares sockets by URL).
	added, changed, removed := h.sv.Diff([]Group{group(pathA, 0o666)})
	assert.Empty(t, append(append(added, changed...), removed...))

	// Another path: the group is made again on the new socket, the old one is closed.
	_, changed, _, err := h.sv.Update(context.Background(), []Group{group(pathB, 0o600)})
	require.NoError(t, err, "%s", strings.Join(h.log.lines(), "\n"))
	assert.Equal(t, []string{"srv"}, changed)
	second := h.untilReady("srv")["srv"]
	assert.NotEqual(t, first, second)
	line, err := askSocket("unix", pathB)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("pid %d\n", second), line)
	_, err = askSocket("unix", pathA)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
}
