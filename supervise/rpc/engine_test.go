package rpc

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// runEngine serves a real Supervisor with group until the test ends.
func runEngine(t testing.TB, groups ...supervise.Group) *supervise.Supervisor {
	t.Helper()
	return runEngineOpts(t, supervise.Options{ChildLogDir: t.TempDir(), Identifier: "rpctest"}, groups...)
}

// runEngineOpts is runEngine with options.
func runEngineOpts(t testing.TB, opts supervise.Options, groups ...supervise.Group) *supervise.Supervisor {
	t.Helper()
	sv := supervise.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("Supervisor.Serve did not return")
		}
	})
	for _, g := range groups {
		require.NoError(t, sv.Add(ctx, g))
	}
	return sv
}

// The server over the real engine: states, start/stop/signal faults and the shutdown refusal.
func TestWithEngine(t *testing.T) {
	none := supervise.Log{Path: supervise.LogNone}
	out := filepath.Join(t.TempDir(), "sleeper.log")
	sv := runEngine(t, supervise.Group{Name: "app", Programs: []supervise.Program{
		{Name: "sleeper", Command: "/bin/sleep", Args: []string{"1000"}, StartSecs: -1, Stdout: supervise.Log{Path: out}, Stderr: none},
		{Name: "manual", Command: "/bin/sleep", Args: []string{"1000"}, StartSecs: -1, AutoStart: supervise.Off, Stdout: none, Stderr: none},
		{Name: "missing", Command: "/nonexistent/bin/app", AutoStart: supervise.Off, Stdout: none, Stderr: none},
	}})
	sock := serve(t, Options{Backend: sv})
	c := dialT(t, sock)
	ctx := context.Background()

	require.Eventually(t, func() bool {
		v, err := c.Call(ctx, "supervisor.getProcessInfo", "app:sleeper")
		return err == nil && v.(xmlrpc.Struct).Map()["statename"] == "RUNNING"
	}, 10*time.Second, 20*time.Millisecond)

	v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
	require.NoError(t, err)
	var names []string
	for _, p := range v.([]any) {
		m := p.(xmlrpc.Struct).Map()
		names = append(names, fmt.Sprintf("%s:%s %s %s", m["group"], m["name"], m["statename"], m["description"]))
	}
	require.Len(t, names, 3)
	assert.Equal(t, "app:manual STOPPED Not started", names[0])
	assert.Equal(t, "app:missing STOPPED Not started", names[1])
	assert.Regexp(t, `^app:sleeper RUNNING pid \d+, uptime 0:00:0\d$`, names[2])

	steps := []struct {
		method string
		args   []any
		want   any
		fault  string
	}{
		{"supervisor.startProcess", []any{"app:manual"}, true, ""},
		{"supervisor.startProcess", []any{"app:manual"}, nil, "ALREADY_STARTED: app:manual"},
		{"supervisor.startProcess", []any{"app:missing"}, nil, "NO_FILE"},
		{"supervisor.signalProcess", []any{"app:manual", "USR1"}, nil, ""},
		{"supervisor.stopProcess", []any{"app:manual"}, true, ""},
		{"supervisor.stopProcess", []any{"app:manual"}, nil, "NOT_RUNNING: app:manual"},
		{"supervisor.signalProcess", []any{"app:manual", "HUP"}, nil, "NOT_RUNNING: app:manual"},
		{"supervisor.startProcess", []any{"app"}, nil, "BAD_NAME: app"},
		{"supervisor.stopProcessGroup", []any{"app"}, []any{
			st("name", "sleeper", "group", "app", "status", int64(80), "description", "OK")}, ""},
		{"supervisor.tailProcessStdoutLog", []any{"app:sleeper", 0, 10}, []any{"", int64(0), false}, ""},
		{"supervisor.clearProcessLogs", []any{"app:sleeper"}, true, ""},
	}
	for _, s := range steps {
		v, err := c.Call(ctx, s.method, s.args...)
		if s.fault != "" {
			var f *Fault
			require.ErrorAs(t, err, &f, "%s %v", s.method, s.args)
			assert.Contains(t, f.String, s.fault, "%s %v", s.method, s.args)
			continue
		}
		require.NoError(t, err, "%s %v", s.method, s.args)
		if s.want != nil {
			assert.Equal(t, s.want, v, "%s %v", s.method, s.args)
		}
	}
	v, err = c.Call(ctx, "supervisor.getProcessInfo", "app:sleeper")
	require.NoError(t, err)
	assert.Equal(t, "STOPPED", v.(xmlrpc.Struct).Map()["statename"])
}
