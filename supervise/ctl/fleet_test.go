package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise/daemon"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// fleetPrograms are the programs of every daemon of the fleet tests.
const fleetPrograms = `
[program:web]
command = /bin/sleep 1000
startsecs = 0
autostart = %s

[program:failing]
command = /bin/false
startsecs = 1
autostart = false
startretries = 0
`

// startLite serves the programs (fleetPrograms with autostart) with a supervise/daemon in
// this process on a unix socket until the test ends, and returns its server URL.
func startLite(t *testing.T, autostart bool) string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "supervisord.conf")
	require.NoError(t, os.WriteFile(config, []byte(`[unix_http_server]
file = %(here)s/s.sock

[supervisord]
logfile = %(here)s/supervisord.log
pidfile = %(here)s/supervisord.pid
childlogdir = %(here)s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`+fmt.Sprintf(fleetPrograms, fmt.Sprint(autostart))), 0o644))
	d := daemon.New(daemon.Options{ConfigFile: config, Signals: make(chan os.Signal), Stdout: io.Discard})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}) // closed when Serve has returned serveErr
	var serveErr error
	go func() { serveErr = d.Serve(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		assert.NoError(t, serveErr)
	})
	url := "unix://" + filepath.Join(dir, "s.sock")
	waitServing(t, url, "", "", done)
	return url
}

// waitServing waits until the server at url answers getVersion; exited closed (the server
// is gone; nil: never) fails the test.
func waitServing(t *testing.T, url, user, pass string, exited <-chan struct{}) {
	t.Helper()
	c, err := rpc.Dial(url, user, pass)
	require.NoError(t, err)
	defer c.Close()
	testenv.WaitFor(t, url+" serving", func() bool {
		select {
		case <-exited:
			t.Fatalf("%s exited", url)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.GetVersion(ctx)
		return err == nil
	})
}

// startReal runs Debian's supervisord 4.2.5 with the programs on an authenticated loopback
// TCP port until the test ends, and returns its server URL.
func startReal(t *testing.T, user, pass string) string {
	t.Helper()
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	dir := t.TempDir()
	port := testenv.FreePort(t)
	_, out := testenv.Supervisord(t, bin, fmt.Sprintf(`[inet_http_server]
port = 127.0.0.1:%d
username = %s
password = %s

[supervisord]
logfile = %s/supervisord.log
pidfile = %s/supervisord.pid
childlogdir = %s

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`, port, user, pass, dir, dir, dir)+fmt.Sprintf(fleetPrograms, "true"), nil)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("supervisord's output:\n%s", out.String())
		}
	})
	waitServing(t, url, user, pass, nil)
	return url
}

// hangingServer accepts connections on loopback and never answers, until the test ends.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// ctlConf writes a config file with an empty [supervisorctl] section, so that no config
// file of the host is read.
func ctlConf(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctl.conf")
	require.NoError(t, os.WriteFile(path, []byte("[supervisorctl]\n"), 0o644))
	return path
}

// writeFleet writes a --fleet file of servers and returns its path.
func writeFleet(t *testing.T, servers []Server) string {
	t.Helper()
	var b strings.Builder
	for _, s := range servers {
		fmt.Fprintf(&b, "[server:%s]\nserverurl = %s\n", s.Name, s.URL)
		if s.Username != "" {
			fmt.Fprintf(&b, "username = %s\npassword = %s\n", s.Username, s.Password)
		}
		b.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "fleet.ini")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return path
}

// runJSON runs ctl with --json and args and decodes the report.
func runJSON(t *testing.T, args ...string) (Report, int) {
	t.Helper()
	out, errOut, rc := run(t, Options{}, append([]string{"--json"}, args...)...)
	require.Empty(t, errOut)
	var r Report
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	assert.Equal(t, rc, r.Exit, "the report's exit is the exit status")
	assert.Equal(t, ReportVersion, r.Version)
	return r, rc
}

// serverOf returns the report of the server named name.
func serverOf(t *testing.T, r Report, name string) ServerReport {
	t.Helper()
	for _, s := range r.Servers {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no server %q in %+v", name, r)
	return ServerReport{}
}

// TestFleetHangingServer runs commands against 20 servers, the 8th a loopback listener
// that never answers: every command returns, the hanging server is reported as timed out,
// the 19 others acted, and the exit status is the worst of them.
func TestFleetHangingServer(t *testing.T) {
	testenv.Short(t)
	var servers []Server
	for i := 1; i <= 20; i++ {
		s := Server{Name: fmt.Sprintf("n%02d", i)}
		if i == 8 {
			s.URL = hangingServer(t)
		} else {
			s.URL = startLite(t, false)
		}
		servers = append(servers, s)
	}
	fleet := writeFleet(t, servers)
	// 5 s: each of the 19 live servers must answer within it while the whole suite runs
	// beside this test under -race (2 s was missed once by a stop on a loaded CI machine).
	args := []string{"-c", ctlConf(t), "--fleet", fleet, "--timeout", "5"}

	out, errOut, rc := run(t, Options{}, append(args, "start", "web")...)
	assert.Empty(t, errOut)
	assert.Equal(t, ExitGeneric, rc, "the hanging server's status")
	var want strings.Builder
	for _, s := range servers {
		want.WriteString(s.Name + ":\n")
		if s.Name == "n08" {
			want.WriteString("  ERROR (timed out after 5s)\n")
		} else {
			want.WriteString("  web: started\n")
		}
	}
	assert.Equal(t, want.String(), out)

	r, rc := runJSON(t, append(args, "status")...)
	assert.Equal(t, ExitStatusUnknown, rc)
	require.Len(t, r.Servers, 20)
	for i, s := range r.Servers {
		assert.Equal(t, servers[i].Name, s.Name, "the servers' order")
		assert.Equal(t, servers[i].URL, s.URL)
		if s.Name == "n08" {
			assert.True(t, s.TimedOut)
			assert.Equal(t, "timed out after 5s", s.Error)
			assert.Equal(t, ExitStatusUnknown, s.Exit)
			assert.Empty(t, s.Processes)
			continue
		}
		assert.False(t, s.TimedOut, s.Name)
		assert.Empty(t, s.Error, s.Name)
		assert.Equal(t, ExitStatusNotRunning, s.Exit, "%s: failing is stopped", s.Name)
		require.Len(t, s.Processes, 2, s.Name)
		assert.Equal(t, "failing", s.Processes[0].Namespec)
		assert.Equal(t, "STOPPED", s.Processes[0].StateName)
		assert.Equal(t, "web", s.Processes[1].Namespec)
		assert.Equal(t, "RUNNING", s.Processes[1].StateName, s.Name)
		assert.Equal(t, 20, s.Processes[1].State)
		assert.Positive(t, s.Processes[1].Pid)
		assert.Positive(t, s.Processes[1].Start)
		assert.Len(t, s.Output, 2)
	}

	out, _, rc = run(t, Options{}, append(args, "status", "web")...)
	assert.Equal(t, ExitStatusUnknown, rc)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 20, out)
	for i, l := range lines {
		if i == 7 {
			assert.Equal(t, "n08   ERROR (timed out after 5s)", l)
			continue
		}
		assert.Regexp(t, `^n\d\d   web {30}RUNNING   pid \d+, uptime \d+:\d\d:\d\d$`, l)
	}

	r, rc = runJSON(t, append(args, "stop", "all")...)
	assert.Equal(t, ExitGeneric, rc)
	for _, s := range r.Servers {
		if s.Name == "n08" {
			assert.True(t, s.TimedOut)
			assert.Empty(t, s.Results)
			continue
		}
		assert.Equal(t, ExitSuccess, s.Exit, "%s: %s", s.Name, s.Error)
		require.Len(t, s.Results, 1, s.Name)
		assert.Equal(t, ProcessOutcome{Action: "stop", Name: "web", Group: "web", Namespec: "web",
			Status: rpc.FaultSuccess, OK: true, Description: "OK", Message: "web: stopped"}, s.Results[0])
	}
}

// reVolatile matches what differs between two servers running the same programs: pids,
// uptimes, dates.
var reVolatile = regexp.MustCompile(`(?m)^\d+$|pid \d+, uptime \d+:\d\d:\d\d|\w{3} \d\d \d\d:\d\d (AM|PM)`)

// TestFleetRealAndLite drives a fleet of a Debian supervisord 4.2.5 (authenticated HTTP), a
// supervisord-lite daemon (unix socket) and a server that is down: both real servers give
// the same answers, the down one is reported and the others still act.
func TestFleetRealAndLite(t *testing.T) {
	testenv.Short(t)
	realURL := startReal(t, "admin", "pw")
	lite := startLite(t, true)
	down := "http://" + testenv.FreeAddr(t)
	fleet := writeFleet(t, []Server{{Name: "real", URL: realURL, Username: "admin", Password: "pw"}, {Name: "lite", URL: lite}, {Name: "down", URL: down}})
	pair := writeFleet(t, []Server{{Name: "real", URL: realURL, Username: "admin", Password: "pw"}, {Name: "lite", URL: lite}})
	withDown := []string{"-c", ctlConf(t), "--fleet", fleet}
	both := []string{"-c", ctlConf(t), "--fleet", pair}

	// The real supervisord's and ours give the same output and exit status for each action.
	same := func(r Report) {
		t.Helper()
		a, b := serverOf(t, r, "real"), serverOf(t, r, "lite")
		assert.Equal(t, a.Exit, b.Exit, "%s: exit", r.Command)
		norm := func(lines []string) string { return reVolatile.ReplaceAllString(strings.Join(lines, "\n"), "X") }
		assert.Equal(t, norm(a.Output), norm(b.Output), r.Command)
		assert.Equal(t, len(a.Results), len(b.Results), r.Command)
		for i := range a.Results {
			if i < len(b.Results) {
				assert.Equal(t, a.Results[i], b.Results[i], r.Command)
			}
		}
	}
	running := func(r Report) bool {
		for _, s := range []string{"real", "lite"} {
			for _, p := range serverOf(t, r, s).Processes {
				if p.Name == "web" && p.StateName != "RUNNING" {
					return false
				}
			}
		}
		return true
	}
	testenv.WaitFor(t, "web RUNNING on both", func() bool {
		r, _ := runJSON(t, append(both, "status", "web")...)
		return running(r)
	})

	out, errOut, rc := run(t, Options{}, append(withDown, "status")...)
	assert.Empty(t, errOut)
	assert.Equal(t, ExitStatusUnknown, rc, "down is unknown, failing is stopped: the worst")
	assert.Regexp(t, `^real   failing +STOPPED   Not started
real   web +RUNNING   pid \d+, uptime [0-9:]+
lite   failing +STOPPED   Not started
lite   web +RUNNING   pid \d+, uptime [0-9:]+
down   `+regexp.QuoteMeta(down)+` refused connection
$`, out)

	r, rc := runJSON(t, append(withDown, "stop", "web")...)
	assert.Equal(t, ExitNoPrivileges, rc, "supervisorctl's status for a refused connection")
	same(r)
	for _, name := range []string{"real", "lite"} {
		s := serverOf(t, r, name)
		assert.Equal(t, ExitSuccess, s.Exit)
		assert.Equal(t, []string{"web: stopped"}, s.Output)
	}
	d := serverOf(t, r, "down")
	assert.Equal(t, ExitNoPrivileges, d.Exit)
	assert.Equal(t, down+" refused connection", d.Error)
	assert.False(t, d.TimedOut)
	assert.Equal(t, []string{down + " refused connection"}, d.Output)

	r, rc = runJSON(t, append(both, "status")...)
	assert.Equal(t, ExitStatusNotRunning, rc)
	same(r)

	out, errOut, rc = run(t, Options{}, append(both, "start", "nosuch", "web", "failing")...)
	assert.Empty(t, errOut)
	assert.Equal(t, ExitNotRunning, rc, "each server's status is supervisorctl's (the last failure): spawn error")
	assert.Equal(t, `real:
  nosuch: ERROR (no such process)
  web: started
  failing: ERROR (spawn error)
lite:
  nosuch: ERROR (no such process)
  web: started
  failing: ERROR (spawn error)
`, out)

	for _, args := range [][]string{
		{"restart", "web"},
		{"signal", "HUP", "web"},
		{"signal", "BOGUS", "web"},
		{"stop", "all"},
		{"start", "web:*"},
		{"clear", "web"},
		{"pid", "web"},
		{"avail"},
		{"reread"},
		{"update"},
		{"status", "web", "nosuch"},
		{"version"},
	} {
		r, rc := runJSON(t, append(both, args...)...)
		same(r)
		assert.Equal(t, max(serverOf(t, r, "real").Exit, serverOf(t, r, "lite").Exit), rc, "%q", args)
		for _, s := range r.Servers {
			assert.Empty(t, s.Error, "%q %s", args, s.Name)
		}
	}
	r, _ = runJSON(t, append(both, "restart", "web")...)
	for _, s := range r.Servers {
		require.Len(t, s.Results, 2)
		assert.Equal(t, "stop", s.Results[0].Action)
		assert.Equal(t, "start", s.Results[1].Action)
		assert.True(t, s.Results[1].OK)
	}

	// Actions that stream or switch servers stay with one server.
	_, errOut, rc = run(t, Options{}, append(both, "tail", "-f", "web")...)
	assert.Equal(t, ExitInvalidArgs, rc)
	assert.Equal(t, "Error: tail -f web cannot run on several servers or with --json\nFor help, use ctl -h\n", errOut)
	// help needs no server: printed once, as supervisorctl prints it.
	out, _, rc = run(t, Options{}, append(both, "help", "start")...)
	assert.Equal(t, ExitSuccess, rc)
	assert.True(t, strings.HasPrefix(out, "start <name>\t\tStart a process\n"), out)

	// Wrong credentials: the real server answers 401, reported under its name.
	bad := writeFleet(t, []Server{{Name: "real", URL: realURL, Username: "admin", Password: "wrong"}, {Name: "lite", URL: lite}})
	r, rc = runJSON(t, "-c", ctlConf(t), "--fleet", bad, "status", "web")
	assert.Equal(t, ExitGeneric, rc)
	assert.Equal(t, []string{"Server requires authentication", "error: <class 'xmlrpc.client.ProtocolError'>, <ProtocolError for 127.0.0.1/RPC2: 401 Unauthorized>"}, serverOf(t, r, "real").Output)
	assert.Equal(t, ExitSuccess, serverOf(t, r, "lite").Exit)
}

// TestJSONOneServer: --json with one server (-s) gives a report of one server whose output
// is supervisorctl's.
func TestJSONOneServer(t *testing.T) {
	testenv.Short(t)
	lite := startLite(t, false)
	plain, _, plainRC := run(t, Options{}, "-c", ctlConf(t), "-s", lite, "status")
	r, rc := runJSON(t, "-c", ctlConf(t), "-s", lite, "status")
	assert.Equal(t, plainRC, rc)
	assert.Equal(t, ExitStatusNotRunning, rc)
	require.Len(t, r.Servers, 1)
	s := r.Servers[0]
	assert.Equal(t, lite, s.Name)
	assert.Equal(t, plain, strings.Join(s.Output, "\n")+"\n", "the output lines are supervisorctl's")
	assert.Equal(t, "status", r.Command)
	require.Len(t, s.Processes, 2)

	// The raw JSON has every field, lists empty rather than null.
	out, _, _ := run(t, Options{}, "-c", ctlConf(t), "-s", lite, "--json", "pid", "web")
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	srv := raw["servers"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "url", "exit", "error", "timed_out", "output", "processes", "results"} {
		assert.Contains(t, srv, k)
	}
	assert.Equal(t, []any{}, srv["processes"])
	assert.Equal(t, []any{"0"}, srv["output"])
}

// TestFleetInterrupted: a command interrupted (its context ended, as by Ctrl-C) reports each
// server it had not finished as interrupted, not as timed out.
func TestFleetInterrupted(t *testing.T) {
	fleet := writeFleet(t, []Server{{Name: "h1", URL: hangingServer(t)}, {Name: "h2", URL: hangingServer(t)}})
	var out, errOut strings.Builder
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rc := New(Options{Argv0: "ctl", Stdout: &out, Stderr: &errOut}).Run(ctx, []string{"-c", ctlConf(t), "--fleet", fleet, "restart", "all"})
	assert.Equal(t, ExitGeneric, rc)
	assert.Equal(t, "h1:\n  ERROR (interrupted)\nh2:\n  ERROR (interrupted)\n", out.String())
	assert.Empty(t, errOut.String())

	out.Reset()
	rc = New(Options{Argv0: "ctl", Stdout: &out, Stderr: &errOut}).Run(ctx, []string{"-c", ctlConf(t), "--fleet", fleet, "--json", "status"})
	assert.Equal(t, ExitStatusUnknown, rc)
	var r Report
	require.NoError(t, json.Unmarshal([]byte(out.String()), &r))
	for _, s := range r.Servers {
		assert.Equal(t, "interrupted", s.Error)
		assert.False(t, s.TimedOut)
		assert.Equal(t, ExitStatusUnknown, s.Exit)
	}
}
