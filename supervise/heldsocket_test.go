package supervise

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
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
	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// listenFDsHelper is the child side of the held-socket tests: it checks the activation
// variables as sd_listen_fds(3) does (LISTEN_PID must be its own pid), prints "ready", and
// answers each connection on each inherited socket with one line:
// "pid PID fds N names NAMES argv0 ARGV0".
// With HELPER_FAIL_IF=PATH it exits 3 at once while PATH exists.
func listenFDsHelper() int {
	if path := os.Getenv("HELPER_FAIL_IF"); path != "" {
		if _, err := os.Stat(path); err == nil {
			fmt.Println("failing:", path, "exists")
			return 3
		}
	}
	if pid := os.Getenv("LISTEN_PID"); pid != strconv.Itoa(os.Getpid()) {
		fmt.Printf("LISTEN_PID is %q, not %d\n", pid, os.Getpid())
		return 3
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		fmt.Printf("LISTEN_FDS is %q\n", os.Getenv("LISTEN_FDS"))
		return 3
	}
	answer := fmt.Sprintf("pid %d fds %d names %s argv0 %s\n", os.Getpid(), n, os.Getenv("LISTEN_FDNAMES"), os.Args[0])
	errs := make(chan error, n)
	for fd := listenFDsStart; fd < listenFDsStart+n; fd++ {
		go func(fd int) {
			for {
				nfd, _, err := syscall.Accept(fd)
				if err == syscall.EINTR {
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("accept fd %d: %w", fd, err)
					return
				}
				syscall.Write(nfd, []byte(answer))
				syscall.Close(nfd)
			}
		}(fd)
	}
	fmt.Println("ready")
	fmt.Println(<-errs)
	return 3
}

func TestParseSocketURL(t *testing.T) {
	good := []struct {
		in   string
		want Socket
	}{
		{"tcp://127.0.0.1:8000", Socket{Network: "tcp", Address: "127.0.0.1:8000"}},
		{"tcp://[::1]:8000", Socket{Network: "tcp", Address: "[::1]:8000"}},
		{"tcp://:8000", Socket{Network: "tcp", Address: ":8000"}},
		{"tcp://localhost:65535", Socket{Network: "tcp", Address: "localhost:65535"}},
		{"unix:///run/app.sock", Socket{Network: "unix", Address: "/run/app.sock"}},
	}
	for _, c := range good {
		got, err := ParseSocketURL(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		assert.Equal(t, strings.ToLower(c.in), got.URL(), "URL gives the text back")
	}
	bad := []struct{ in, msg string }{
		{"127.0.0.1:8000", "not tcp://HOST:PORT or unix:///PATH"},
		{"tcp://127.0.0.1", "not tcp://HOST:PORT"},
		{"tcp://127.0.0.1:0", `port "0" is not 1..65535`},
		{"tcp://127.0.0.1:http", `port "http" is not 1..65535`},
		{"tcp://::1:80", "not tcp://HOST:PORT"},
		{"unix://run/app.sock", "needs an absolute path"},
		{"udp://127.0.0.1:53", "not tcp://HOST:PORT or unix:///PATH"},
	}
	for _, c := range bad {
		_, err := ParseSocketURL(c.in)
		require.Error(t, err, c.in)
		assert.Contains(t, err.Error(), c.msg, c.in)
		assert.Contains(t, err.Error(), c.in, "the error names the value")
	}
}

func TestProgramValidateSockets(t *testing.T) {
	p := Program{Name: "web", Command: "/bin/true", Sockets: []Socket{{Network: "tcp", Address: "127.0.0.1"}, {Network: "unix", Address: "rel.sock"}}}
	err := p.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Sockets[0]")
	assert.Contains(t, err.Error(), "Sockets[1]")
}

// TestHeldSocketCommand checks what the spawner is asked for: fds, variables and the shell
// that sets LISTEN_PID for a program with sockets, and exactly the old command for one without.
func TestHeldSocketCommand(t *testing.T) {
	h := newHarness(t)
	addr := testenv.FreeAddr(t)
	with := quiet("with")
	with.Args = []string{"-c", "exit 0"}
	with.Env = []string{"LISTEN_FDS=7", "LISTEN_PID=1"} // an inherited activation is dropped
	with.Sockets = []Socket{{Network: "tcp", Address: addr}}
	without := quiet("without")
	without.Args = []string{"-c", "exit 0"}
	without.Env = []string{"LISTEN_FDS=7"} // left alone: the program did not opt in
	h.add(with)
	h.add(without) // both autostart
	testenv.WaitFor(t, "two spawns", func() bool { return h.sp.count() == 2 })
	byName := map[string]*Cmd{}
	for i := 1; i <= 2; i++ {
		c := h.sp.kid(i).cmd
		byName[c.Name] = c
	}

	c := byName["with"]
	assert.Equal(t, listenShell, c.Path)
	assert.Equal(t, []string{listenShell, "-c", listenScript, "/bin/sh", "-c", "exit 0"}, c.Args)
	require.Len(t, c.ExtraFiles, 1)
	sa, err := syscall.Getsockname(int(c.ExtraFiles[0].Fd()))
	require.NoError(t, err)
	assert.Equal(t, addr, net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)))
	assert.Contains(t, c.Env, "LISTEN_FDS=1")
	assert.Contains(t, c.Env, "LISTEN_FDNAMES=with")
	assert.NotContains(t, c.Env, "LISTEN_FDS=7")
	assert.NotContains(t, c.Env, "LISTEN_PID=1")

	c = byName["without"]
	assert.Equal(t, "/bin/sh", c.Path)
	assert.Equal(t, []string{"/bin/sh", "-c", "exit 0"}, c.Args)
	assert.Nil(t, c.ExtraFiles)
	assert.Contains(t, c.Env, "LISTEN_FDS=7")
	for _, kv := range c.Env {
		assert.False(t, strings.HasPrefix(kv, "LISTEN_FDNAMES="), kv)
	}
}

// ask connects to addr on network and returns the line the helper answers.
func ask(t *testing.T, network, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line)
}

func heldProg(t *testing.T, name string, sockets ...Socket) Program {
	p := helperProg(t, name, "listenfds")
	p.Sockets = sockets
	p.Stdout.Events = true
	p.RedirectStderr = true
	return p
}

func pidOf(t *testing.T, sv *Supervisor, name string) int {
	t.Helper()
	st, err := sv.Status(name)
	require.NoError(t, err)
	return st[0].Pid
}

// TestRealHeldSocketBacklog: a connection made while the program is stopped waits in the
// backlog of the held socket and is answered by the next process.
func TestRealHeldSocketBacklog(t *testing.T) {
	h := newReal(t)
	addr := testenv.FreeAddr(t)
	h.add(heldProg(t, "web", Socket{Network: "tcp", Address: addr}))
	h.untilOutput("web", "ready")
	first := pidOf(t, h.sv, "web")
	exe, err := os.Executable()
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("pid %d fds 1 names web argv0 %s", first, exe), ask(t, "tcp", addr))

	_, err = h.sv.Stop(context.Background(), "web", true)
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err, "the port stays open while the program is stopped")
	defer conn.Close()

	_, err = h.sv.Start(context.Background(), "web", false)
	require.NoError(t, err)
	second := pidOf(t, h.sv, "web")
	require.NotEqual(t, first, second)
	require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, fmt.Sprintf("pid %d ", second)), line)
}

// TestRealHeldSocketKill9: connections made after a kill -9 of the process wait and are served
// by the process started in its place.
func TestRealHeldSocketKill9(t *testing.T) {
	h := newReal(t)
	addr := testenv.FreeAddr(t)
	p := heldProg(t, "web", Socket{Network: "tcp", Address: addr})
	p.AutoRestart = RestartAlways
	h.add(p)
	first := h.untilState("web", Running).Pid
	require.NoError(t, syscall.Kill(first, syscall.SIGKILL))
	// Once it is dead (before that, it may take a connection with it, as any server would).
	h.untilState("web", Exited)
	for i := 0; i < 5; i++ {
		line := ask(t, "tcp", addr)
		assert.False(t, strings.HasPrefix(line, fmt.Sprintf("pid %d ", first)), line)
	}
}

// TestRealHeldSocketIPv6AndUnix: several sockets of several families are fds 3.. in order.
func TestRealHeldSocketIPv6AndUnix(t *testing.T) {
	h := newReal(t)
	path := filepath.Join(t.TempDir(), "app.sock")
	socks := []Socket{{Network: "unix", Address: path}}
	v6 := ""
	if l, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		v6 = l.Addr().String()
		l.Close()
		socks = append(socks, Socket{Network: "tcp", Address: v6})
	} else {
		t.Logf("no IPv6 loopback here (%v): the unix socket only", err)
	}
	h.add(heldProg(t, "web", socks...))
	h.untilOutput("web", "ready")
	pid := pidOf(t, h.sv, "web")
	names := strings.TrimSuffix(strings.Repeat("web:", len(socks)), ":")
	want := fmt.Sprintf("pid %d fds %d names %s ", pid, len(socks), names)
	assert.True(t, strings.HasPrefix(ask(t, "unix", path), want))
	if v6 != "" {
		assert.True(t, strings.HasPrefix(ask(t, "tcp6", v6), want))
	}
	h.stop()
	_, err := os.Stat(path)
	assert.True(t, errors.Is(err, os.ErrNotExist), "the socket file is removed when the socket is closed: %v", err)
}

// openFds counts this process's open file descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// TestRealHeldSocket100Restarts: restarts leak neither descriptors nor processes.
func TestRealHeldSocket100Restarts(t *testing.T) {
	testenv.Short(t)
	h := newReal(t)
	addr := testenv.FreeAddr(t)
	p := heldProg(t, "web", Socket{Network: "tcp", Address: addr})
	p.Stdout.Events = false
	h.add(p)
	waitServed := func() int {
		var line string
		testenv.WaitFor(t, "an answer", func() bool {
			conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				return false
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			line, _ = bufio.NewReader(conn).ReadString('\n')
			return line != ""
		})
		var pid int
		fmt.Sscanf(line, "pid %d", &pid)
		return pid
	}
	first := waitServed()
	fds := openFds(t)
	self, err := proctree.Descendants(os.Getpid())
	require.NoError(t, err)
	pids := map[int]bool{first: true}
	for i := 0; i < 100; i++ {
		_, err := h.sv.Restart(context.Background(), "web")
		require.NoError(t, err)
		pid := waitServed()
		require.Equal(t, pidOf(t, h.sv, "web"), pid, "restart %d: the new process answers", i)
		pids[pid] = true
	}
	assert.Len(t, pids, 101, "each restart made a new process")
	assert.Equal(t, fds, openFds(t), "open descriptors after 100 restarts")
	after, err := proctree.Descendants(os.Getpid())
	require.NoError(t, err)
	assert.Equal(t, len(self), len(after), "descendants after 100 restarts")
}

// TestHeldSocketLife: a held socket is closed when its program is removed or stops naming it
// on update, kept when the update changes something else, and bound again at once by a
// new Supervisor after the first one ended.
func TestHeldSocketLife(t *testing.T) {
	h := newHarness(t)
	a, b := testenv.FreeAddr(t), testenv.FreeAddr(t)
	p := quiet("web")
	p.AutoStart = ToggleOf(false)
	p.Sockets = []Socket{{Network: "tcp", Address: a}}
	h.add(p)
	file := func(addr string) *os.File { return heldFile(h.sv, "tcp://"+addr) }
	before := file(a)
	require.NotNil(t, before)
	conn, err := net.Dial("tcp", a)
	require.NoError(t, err, "listening from the Add")
	conn.Close()

	// Another setting changes: the socket is the same one.
	p.Args = []string{"-c", "exit 0"}
	_, err = h.sv.UpdateGroup(context.Background(), Group{Name: "web", Programs: []Program{p}})
	require.NoError(t, err)
	assert.Same(t, before, file(a), "kept across an update that does not change it")

	// The socket changes: the old one is closed.
	p.Sockets = []Socket{{Network: "tcp", Address: b}}
	_, err = h.sv.UpdateGroup(context.Background(), Group{Name: "web", Programs: []Program{p}})
	require.NoError(t, err)
	assert.Nil(t, file(a))
	_, err = net.Dial("tcp", a)
	assert.Error(t, err, "the old address is closed")
	conn, err = net.Dial("tcp", b)
	require.NoError(t, err, "the new address listens")
	conn.Close()

	// A socket that cannot be created does not fail the Add: the error is logged, and each
	// spawn tries again and fails with it until the address is free.
	q := quiet("other")
	q.AutoStart = ToggleOf(false)
	q.StartRetries = -1 // 0: one attempt
	q.Sockets = []Socket{{Network: "tcp", Address: b}, {Network: "tcp", Address: a}}
	l, err := net.Listen("tcp", a)
	require.NoError(t, err)
	require.NoError(t, h.sv.Add(context.Background(), Group{Name: "other", Programs: []Program{q}}))
	want := "program other: could not create socket tcp://" + a + ": [Errno 98] Address already in use"
	assert.Contains(t, h.log.String(), "ERRO "+want)
	assert.NotNil(t, file(b), "the other program's socket is shared")
	_, err = h.sv.Start(context.Background(), "other", true)
	require.Error(t, err)
	st, err := h.sv.Status("other")
	require.NoError(t, err)
	assert.Equal(t, want, st[0].SpawnErr)
	assert.Equal(t, 0, h.sp.count(), "nothing was spawned")
	l.Close()
	_, err = h.sv.Start(context.Background(), "other", false)
	require.NoError(t, err, "the address is free again")
	assert.NotNil(t, file(a))
	_, err = h.sv.Stop(context.Background(), "other", true)
	require.NoError(t, err)
	require.NoError(t, h.sv.Remove(context.Background(), "other"))
	assert.Nil(t, file(a), "closed with the only program naming it")
	assert.NotNil(t, file(b), "still named by web")

	require.NoError(t, h.sv.Remove(context.Background(), "web"))
	assert.Nil(t, file(b))
	_, err = net.Dial("tcp", b)
	assert.Error(t, err, "closed with its program")

	// After a Supervisor ends, its address is free at once (SO_REUSEADDR), even with a
	// connection in TIME_WAIT.
	p.Sockets = []Socket{{Network: "tcp", Address: a}}
	h.add(p)
	conn, err = net.Dial("tcp", a)
	require.NoError(t, err)
	conn.Close()
	h.cancel()
	assert.Nil(t, file(a), "closed when Serve ends")
	sv := New(Options{Spawner: &fakeSpawner{clock: newFakeClock()}, ChildLogDir: t.TempDir()})
	require.NoError(t, sv.Add(context.Background(), Group{Name: "web", Programs: []Program{p}}))
	require.NoError(t, sv.Remove(context.Background(), "web"))
}

// heldFile is the open file of the held socket url of sv, nil when it has none.
func heldFile(sv *Supervisor, url string) *os.File {
	sv.held.mu.Lock()
	defer sv.held.mu.Unlock()
	if hs := sv.held.byURL[url]; hs != nil {
		return hs.file
	}
	return nil
}
