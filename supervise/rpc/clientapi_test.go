package rpc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func TestNamespec(t *testing.T) {
	tests := []struct {
		in, group, process, back string
	}{
		{"web", "web", "web", "web"},
		{"grp:web", "grp", "web", "grp:web"},
		{"grp:*", "grp", "", "grp:"},
		{"grp:", "grp", "", "grp:"},
		{"a:b:c", "a", "b:c", "a:b:c"},
		{":x", "", "x", ":x"},
	}
	for _, tt := range tests {
		g, p := SplitNamespec(tt.in)
		assert.Equal(t, tt.group, g, tt.in)
		assert.Equal(t, tt.process, p, tt.in)
		assert.Equal(t, tt.back, Namespec(g, p), tt.in)
	}
}

// TestTypedClient calls every typed method against the server over the golden captures'
// processes and checks the decoded values against the untyped answer (every member of
// every struct) and against the fake's state.
func TestTypedClient(t *testing.T) {
	dir := t.TempDir()
	mainLog := filepath.Join(dir, "main.log")
	require.NoError(t, os.WriteFile(mainLog, []byte("main log\n"), 0o644))
	webOut := filepath.Join(dir, "web.out")
	require.NoError(t, os.WriteFile(webOut, []byte("0123456789"), 0o644))
	f := newCaptureFake()
	f.proc("web", "web").info.StdoutLogfile = webOut
	rel := &fakeReloader{active: map[string]bool{"web": true}, inConfig: map[string]bool{"web": true, "new": true},
		added: []string{"new"}, changed: []string{"web"}, removed: []string{"old", "older"}}
	sock := serve(t, Options{Backend: f, Reloader: rel, MainLog: mainLog, Identification: "probe-wire",
		ConfigInfo: captureConfig(f), PID: func() int { return 4242 }})
	c := dialT(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	str := func(v string, err error) string { require.NoError(t, err); return v }
	assert.Equal(t, APIVersion, str(c.GetVersion(ctx)))
	assert.Equal(t, "4.2.5", str(c.GetSupervisorVersion(ctx)))
	assert.Equal(t, "probe-wire", str(c.GetIdentification(ctx)))
	assert.Equal(t, "main log\n", str(c.ReadLog(ctx, 0, 0)))
	assert.Equal(t, "6789", str(c.ReadProcessStdoutLog(ctx, "web", -4, 0)))
	state, err := c.GetState(ctx)
	require.NoError(t, err)
	assert.Equal(t, supervise.SupervisorRunning, state)
	pid, err := c.GetPID(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4242, pid)

	// Every member of getAllProcessInfo's structs, typed.
	raw, err := c.Call(ctx, "supervisor.getAllProcessInfo")
	require.NoError(t, err)
	infos, err := c.GetAllProcessInfo(ctx)
	require.NoError(t, err)
	require.Len(t, infos, len(raw.([]any)))
	for i, r := range raw.([]any) {
		m := r.(xmlrpc.Struct).Map()
		got := infos[i]
		epoch := func(tm time.Time) int64 {
			if tm.IsZero() {
				return 0
			}
			return tm.Unix()
		}
		assert.Equal(t, m, map[string]any{
			"name": got.Name, "group": got.Group, "start": epoch(got.Start), "stop": epoch(got.Stop),
			"now": epoch(got.Now), "state": int64(got.State), "statename": got.StateName,
			"spawnerr": got.SpawnErr, "exitstatus": int64(got.ExitStatus), "logfile": got.Logfile,
			"stdout_logfile": got.StdoutLogfile, "stderr_logfile": got.StderrLogfile,
			"pid": int64(got.Pid), "description": got.Description,
		})
	}
	web, err := c.GetProcessInfo(ctx, "web")
	require.NoError(t, err)
	assert.Equal(t, "web", web.Namespec())
	assert.Equal(t, supervise.Running, web.State)
	assert.Equal(t, 22953, web.Pid)
	assert.Equal(t, webOut, web.StdoutLogfile)

	// getAllConfigInfo decodes to the ConfigInfo the server was given.
	cis, err := c.GetAllConfigInfo(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, captureConfig(f)(), cis)

	// Faults keep supervisord's codes.
	_, err = c.GetProcessInfo(ctx, "nosuch")
	assert.ErrorIs(t, err, &Fault{Code: FaultBadName})
	assert.ErrorIs(t, c.StartProcess(ctx, "web"), &Fault{Code: FaultAlreadyStarted})
	assert.ErrorIs(t, c.StopProcess(ctx, "manual"), &Fault{Code: FaultNotRunning})
	assert.ErrorIs(t, c.SignalProcess(ctx, "web", "BOGUS"), &Fault{Code: FaultBadSignal})
	assert.ErrorIs(t, c.AddProcessGroup(ctx, "web"), &Fault{Code: FaultAlreadyAdded})
	assert.ErrorIs(t, c.SendProcessStdin(ctx, "manual", "x"), &Fault{Code: FaultNotRunning})
	assert.ErrorIs(t, c.UpdateProcessGroup(ctx, "web"), &Fault{Code: FaultUnknownMethod}, "not in supervisord's API")

	// Results of calls on many processes.
	rs, err := c.StopProcessGroup(ctx, "workers")
	require.NoError(t, err)
	assert.Equal(t, []ProcessResult{
		{Name: "w_00", Group: "workers", Status: FaultSuccess, Description: "OK"},
		{Name: "w_01", Group: "workers", Status: FaultSuccess, Description: "OK"},
	}, rs)
	assert.Equal(t, "workers:w_00", rs[0].Namespec())
	rs, err = c.SignalProcessGroup(ctx, "workers", "HUP")
	require.NoError(t, err)
	assert.Empty(t, rs, "a stopped group has nothing to signal")
	rs, err = c.StartProcessGroup(ctx, "workers")
	require.NoError(t, err)
	assert.Len(t, rs, 2)
	require.NoError(t, c.SignalProcess(ctx, "web", "HUP"))
	f.mu.Lock()
	assert.Equal(t, "web hangup", f.signals[len(f.signals)-1])
	f.mu.Unlock()
	require.NoError(t, c.SendProcessStdin(ctx, "web", "hi\n"))
	f.mu.Lock()
	assert.Equal(t, map[string]string{"web:web": "hi\n"}, f.stdin)
	f.mu.Unlock()
	require.NoError(t, c.StopProcess(ctx, "web"))
	require.NoError(t, c.StartProcess(ctx, "web"))
	require.NoError(t, c.ClearProcessLogs(ctx, "web"))
	_, err = c.ClearAllProcessLogs(ctx)
	require.NoError(t, err)
	_, err = c.StopAllProcesses(ctx)
	require.NoError(t, err)
	_, err = c.StartAllProcesses(ctx)
	require.NoError(t, err)
	_, err = c.SignalAllProcesses(ctx, "USR1")
	require.NoError(t, err)

	ch, err := c.ReloadConfig(ctx)
	require.NoError(t, err)
	assert.Equal(t, ConfigChanges{Added: []string{"new"}, Changed: []string{"web"}, Removed: []string{"old", "older"}}, ch)
	require.NoError(t, c.AddProcessGroup(ctx, "new"))
	require.NoError(t, c.RemoveProcessGroup(ctx, "new"))
	require.NoError(t, c.ClearLog(ctx))
}

// TestTypedClientDecodeErrors: an answer of the wrong shape is a *DecodeError naming the
// method and the member, never a panic or a silent zero.
func TestTypedClientDecodeErrors(t *testing.T) {
	answers := map[string]any{
		"supervisor.getProcessInfo":    xmlrpc.Struct{{Name: "name", Value: "web"}, {Name: "pid", Value: "12"}},
		"supervisor.getAllProcessInfo": xmlrpc.Struct{{Name: "name", Value: "web"}},
		"supervisor.reloadConfig":      []any{[]any{[]any{"a"}, []any{}}},
		"supervisor.getPID":            "12",
		"supervisor.getVersion":        int64(3),
		"supervisor.stopAllProcesses":  []any{xmlrpc.Struct{{Name: "status", Value: true}}},
		"supervisor.getAllConfigInfo":  []any{xmlrpc.Struct{{Name: "exitcodes", Value: []any{"0"}}}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		call, err := xmlrpc.DecodeCall(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		out, err := xmlrpc.AppendResponse(nil, answers[call.Method])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(out)
	}))
	defer srv.Close()
	c, err := Dial(srv.URL, "", "")
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()

	check := func(err error, method, member, want string) {
		t.Helper()
		var de *DecodeError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, method, de.Method)
		assert.Equal(t, member, de.Member)
		assert.Equal(t, want, de.Want)
		assert.Contains(t, de.Error(), method)
	}
	_, err = c.GetProcessInfo(ctx, "web")
	check(err, "supervisor.getProcessInfo", "pid", "int")
	_, err = c.GetAllProcessInfo(ctx)
	check(err, "supervisor.getAllProcessInfo", "", "array")
	_, err = c.ReloadConfig(ctx)
	check(err, "supervisor.reloadConfig", "", "array of one [added, changed, removed]")
	_, err = c.GetPID(ctx)
	check(err, "supervisor.getPID", "", "int")
	_, err = c.GetVersion(ctx)
	check(err, "supervisor.getVersion", "", "string")
	_, err = c.StopAllProcesses(ctx)
	check(err, "supervisor.stopAllProcesses", "status", "int")
	_, err = c.GetAllConfigInfo(ctx)
	check(err, "supervisor.getAllConfigInfo", "exitcodes", "int")
}
