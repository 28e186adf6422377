package supervise

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The state logic of Program.Checks on the fake clock and spawner. Probes are real (a
// loopback listener or HTTP server the test controls); only time is fake.

// sentBy makes a fake child trust every sd_notify sender (the test sends for it).
func (c *fakeChild) sentBy(int) bool { return true }

// notifySocketOf returns the NOTIFY_SOCKET the child was given.
func notifySocketOf(t *testing.T, c *fakeChild) string {
	t.Helper()
	for _, kv := range c.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
			return v
		}
	}
	t.Fatalf("no NOTIFY_SOCKET in %v", c.cmd.Env)
	return ""
}

// sdNotify sends one datagram to addr, as sd_notify(3) does.
func sdNotify(t *testing.T, addr, msg string) {
	t.Helper()
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte(msg))
	require.NoError(t, err)
}

// waitPending waits until n fake timers are armed (a check goroutine went to sleep).
func (h *harness) waitPending(n int) {
	h.t.Helper()
	testenv.WaitFor(h.t, "the condition", func() bool { return h.clock.pending() >= n })
}

func TestChecksReadyNotify(t *testing.T) {
	h := newHarness(t)
	p := quiet("app")
	p.Checks.Ready = ReadyNotify
	h.add(p)
	h.expect(Starting)
	// startsecs does not apply: still STARTING long after it
	h.clock.Advance(30 * time.Second)
	assert.Equal(t, Starting, h.status("app").State)
	addr := notifySocketOf(t, h.sp.kid(1))
	assert.True(t, strings.HasPrefix(addr, "@supervisord-lite/"), addr)
	sdNotify(t, addr, "STATUS=loading models")
	sdNotify(t, addr, "READY=1\nSTATUS=serving")
	h.expect(Running)
	info := h.settle("app", func(i ProcessInfo) bool { return i.Check == "serving" })
	assert.Contains(t, info.Description(), ", serving")
	assert.Contains(t, h.log.lines(), "INFO success: app entered RUNNING state, process is ready (READY=1)")
	// A kill -9 now is an ordinary exit, restarted at once: no failed start.
	h.sp.kid(1).exit(Killed(syscall.SIGKILL))
	ev := h.expect(Exited, Starting)
	assert.False(t, ev[0].Expected)
	assert.Zero(t, ev[1].Tries, "not a failed start: no backoff count")
	assert.Equal(t, 2, h.sp.count())
}

func TestChecksReadyTimeoutIsAFailedStart(t *testing.T) {
	h := newHarness(t)
	p := quiet("app")
	p.Checks.Ready = ReadyNotify
	p.Checks.ReadyTimeout = 10 * time.Second
	p.StartRetries = -1 // one attempt
	h.add(p)
	h.expect(Starting)
	h.clock.Advance(9 * time.Second)
	assert.Equal(t, Starting, h.status("app").State)
	h.clock.Advance(time.Second)
	h.expect(Stopping, Backoff, Fatal)
	sigs := h.sp.kid(1).sigs()
	require.Len(t, sigs, 1)
	assert.Equal(t, syscall.SIGTERM, sigs[0].sig)
	info := h.status("app")
	assert.Equal(t, "not ready within 10s (ready = notify)", info.SpawnErr)
	assert.Contains(t, h.log.lines(), "WARN app: not ready within 10s (ready = notify); stopping it")
}

func TestChecksExitBeforeReadyIsAFailedStart(t *testing.T) {
	h := newHarness(t)
	p := quiet("app")
	p.Checks.Ready = ReadyNotify
	h.add(p)
	h.expect(Starting)
	h.clock.Advance(20 * time.Second) // far beyond startsecs
	h.sp.kid(1).exit(Exit(0))
	h.expect(Backoff)
	h.clock.Advance(time.Second)
	h.expect(Starting)
	info := h.status("app")
	assert.Zero(t, info.ExitStatus, "a failed start records no exit status")
	assert.Equal(t, 2, h.sp.count())
}

func TestChecksReadyTCP(t *testing.T) {
	// A port with nothing listening: reserve one, close it, listen later.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	h := newHarness(t)
	p := quiet("app")
	p.Checks.Ready = "tcp://" + addr
	h.add(p)
	h.expect(Starting)
	h.waitPending(2) // the ready timeout and the poller's sleep after a refused connect
	h.clock.Advance(5 * time.Second)
	h.waitPending(2)
	assert.Equal(t, Starting, h.status("app").State)
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	defer ln.Close()
	h.clock.Advance(time.Second)
	h.expect(Running)
	assert.Contains(t, h.log.lines(), "INFO success: app entered RUNNING state, process is ready (tcp://"+addr+")")
	testenv.WaitFor(t, "the condition", func() bool { return h.clock.pending() == 0 }) // RUNNING without health checks: no timer
}

// statusServer answers every request with the status in code.
func statusServer(t *testing.T, code *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestChecksHealthRestartsAfterRetries(t *testing.T) {
	var code atomic.Int32
	code.Store(200)
	srv := statusServer(t, &code)
	h := newHarness(t)
	p := quiet("web")
	p.StartSecs = -1
	p.Checks.HealthURL = srv.URL + "/health"
	h.add(p)
	h.expect(Starting, Running)
	// healthy checks every 10 s
	for i := 0; i < 2; i++ {
		h.waitPending(1)
		h.clock.Advance(10 * time.Second)
	}
	h.waitPending(1) // the second check is done (the checker sleeps again)
	code.Store(503)
	for i := 1; i <= 2; i++ {
		h.waitPending(1)
		h.clock.Advance(10 * time.Second)
		want := "health check failed (" + string(rune('0'+i)) + "/3)"
		h.settle("web", func(info ProcessInfo) bool { return strings.HasPrefix(info.Check, want) })
	}
	assert.Equal(t, Running, h.status("web").State)
	h.waitPending(1)
	h.clock.Advance(10 * time.Second)
	var restart Event
	for restart.Kind != EventCheck {
		restart = h.next()
	}
	assert.Equal(t, 1001, restart.Pid)
	assert.Contains(t, restart.Reason, "3 health checks failed in a row, the last: GET "+srv.URL+"/health: 503 Service Unavailable")
	h.expect(Stopping, Stopped, Starting, Running)
	info := h.status("web")
	assert.Equal(t, 1002, info.Pid)
	assert.Contains(t, info.Description(), "restarted at ")
	assert.Contains(t, info.Description(), "503 Service Unavailable")
	assert.Contains(t, strings.Join(h.log.lines(), "\n"), "WARN restarting: web: 3 health checks failed in a row")
	// The new process is checked again; healthy now.
	code.Store(200)
	h.waitPending(1)
	h.clock.Advance(10 * time.Second)
	h.waitPending(1)
	assert.Equal(t, 2, h.sp.count())
	// A user stop ends the checks: no timer is left.
	_, err := h.sv.Stop(context.Background(), "web", true)
	require.NoError(t, err)
	testenv.WaitFor(t, "the condition", func() bool { return h.clock.pending() == 0 })
}

func TestChecksHealthPassResetsTheCount(t *testing.T) {
	var code atomic.Int32
	srv := statusServer(t, &code)
	h := newHarness(t)
	p := quiet("web")
	p.StartSecs = -1
	p.Checks.HealthURL = srv.URL
	p.Checks.HealthRetries = 2
	h.add(p)
	h.expect(Starting, Running)
	for _, c := range []int32{500, 200, 500, 200, 500} {
		code.Store(c)
		h.waitPending(1)
		h.clock.Advance(10 * time.Second)
		h.settle("web", func(info ProcessInfo) bool { return (c == 200) == (info.Check == "") })
	}
	assert.Equal(t, 1, h.sp.count(), "never two failures in a row")
}

func TestChecksWatchdog(t *testing.T) {
	h := newHarness(t)
	p := quiet("app")
	p.Checks.Ready = ReadyNotify
	p.Checks.Watchdog = 30 * time.Second
	h.add(p)
	h.expect(Starting)
	kid := h.sp.kid(1)
	assert.Contains(t, kid.cmd.Env, "WATCHDOG_USEC=30000000")
	addr := notifySocketOf(t, kid)
	sdNotify(t, addr, "READY=1")
	h.expect(Running)
	h.clock.Advance(20 * time.Second)
	sdNotify(t, addr, "WATCHDOG=1")
	h.settle("app", func(ProcessInfo) bool { return true })
	testenv.WaitFor(t, "the condition", func() bool {
		h.clock.mu.Lock()
		defer h.clock.mu.Unlock()
		for _, tm := range h.clock.timers {
			if tm.active && tm.at.Equal(h.clock.now.Add(30*time.Second)) {
				return true
			}
		}
		return false
	})
	h.clock.Advance(20 * time.Second) // 40 s after RUNNING, 20 s after the ping
	assert.Equal(t, Running, h.status("app").State)
	h.clock.Advance(10 * time.Second)
	h.expect(Stopping, Stopped, Starting)
	assert.Contains(t, h.log.lines(), "WARN restarting: app: no WATCHDOG=1 within 30s (watchdog_secs)")
}

func TestChecksNoneCostNothing(t *testing.T) {
	h := newHarness(t)
	p := quiet("app")
	p.StartSecs = -1
	h.add(p)
	h.expect(Starting, Running)
	for _, kv := range h.sp.kid(1).cmd.Env {
		assert.False(t, strings.HasPrefix(kv, "NOTIFY_SOCKET="), kv)
	}
	calls := h.clock.callCount()
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, calls, h.clock.callCount(), "an idle RUNNING process without checks reads no clock")
	assert.Zero(t, h.clock.pending())
}

func TestProbeHTTPStatus(t *testing.T) {
	var code atomic.Int32
	code.Store(404)
	srv := statusServer(t, &code)
	strict, err := newProber(srv.URL+"/x", false)
	require.NoError(t, err)
	defer strict.close()
	lenient, err := newProber(srv.URL+"/x", true)
	require.NoError(t, err)
	defer lenient.close()
	ctx := context.Background()
	assert.EqualError(t, strict.probe(ctx), "GET "+srv.URL+"/x: 404 Not Found")
	assert.NoError(t, lenient.probe(ctx), "HealthAnyStatus: the program answered")
	code.Store(302)
	assert.NoError(t, strict.probe(ctx), "a redirect is an answer, not followed")
	srv.Close()
	assert.ErrorContains(t, lenient.probe(ctx), "connection refused")
	tcp, err := newProber("tcp://"+srv.Listener.Addr().String(), false)
	require.NoError(t, err)
	assert.EqualError(t, tcp.probe(ctx), "connect "+srv.Listener.Addr().String()+": connect: connection refused")
}
