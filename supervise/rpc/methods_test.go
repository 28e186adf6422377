package rpc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/logrotate"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

func dialT(t testing.TB, sock string) *Client {
	t.Helper()
	c, err := Dial("unix://"+sock, "", "")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func faultCode(err error) int {
	var f *Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return -1
}

func TestMethods(t *testing.T) {
	dir := t.TempDir()
	webOut := filepath.Join(dir, "web.out")
	require.NoError(t, os.WriteFile(webOut, []byte("0123456789"), 0o644))
	mainLog := filepath.Join(dir, "main.log")
	require.NoError(t, os.WriteFile(mainLog, []byte("main log\n"), 0o644))
	f := newCaptureFake()
	f.proc("web", "web").info.StdoutLogfile = webOut
	f.proc("web", "web").info.StderrLogfile = ""
	rel := &fakeReloader{active: map[string]bool{"web": true, "busy": true}, inConfig: map[string]bool{"web": true, "new": true},
		added: []string{"new"}}
	var remote []string
	var remoteMu sync.Mutex
	sock := serve(t, Options{Backend: f, Reloader: rel, MainLog: mainLog, Identification: "probe-wire",
		RemoteComm: func(typ, data string) { remoteMu.Lock(); remote = append(remote, typ+"="+data); remoteMu.Unlock() }})
	c := dialT(t, sock)
	ctx := context.Background()

	tests := []struct {
		name   string
		method string
		args   []any
		want   any // expected value when fault == 0
		fault  string
	}{
		{"version", "supervisor.getVersion", nil, "3.0", ""},
		{"identification", "supervisor.getIdentification", nil, "probe-wire", ""},
		{"supervisor version", "supervisor.getSupervisorVersion", nil, "4.2.5", ""},
		{"too many args", "supervisor.getVersion", []any{1}, nil, "INCORRECT_PARAMETERS"},
		{"too few args", "supervisor.startProcess", nil, nil, "INCORRECT_PARAMETERS"},
		{"three dots", "supervisor.getState.x", nil, nil, "UNKNOWN_METHOD"},
		{"no namespace", "getState", nil, nil, "UNKNOWN_METHOD"},
		{"private", "supervisor._update", nil, nil, "UNKNOWN_METHOD"},
		{"unknown namespace", "nosuch.getState", nil, nil, "UNKNOWN_METHOD"},
		{"bad name", "supervisor.getProcessInfo", []any{"web:nosuch"}, nil, "BAD_NAME: web:nosuch"},
		{"group is no process", "supervisor.getProcessInfo", []any{"workers:*"}, nil, "BAD_NAME: workers:*"},
		{"wrong type", "supervisor.getProcessInfo", []any{5}, nil, "INCORRECT_PARAMETERS"},
		{"start group by wildcard", "supervisor.startProcess", []any{"workers:*"}, []any{}, ""},
		{"start unknown group", "supervisor.startProcess", []any{"nosuch:*"}, nil, "BAD_NAME: nosuch:*"},
		{"start group named with colon", "supervisor.startProcessGroup", []any{"a:b"}, nil, "BAD_NAME: a:b"},
		{"start 'all' is a process name", "supervisor.startProcess", []any{"all"}, nil, "BAD_NAME: all"},
		{"stop group by colon", "supervisor.stopProcess", []any{"workers:", false}, []any{
			st("name", "w_00", "group", "workers", "status", int64(80), "description", "OK"),
			st("name", "w_01", "group", "workers", "status", int64(80), "description", "OK")}, ""},
		{"signal number", "supervisor.signalProcess", []any{"web", 1}, true, ""},
		{"signal by SIG name", "supervisor.signalProcess", []any{"web", "sigusr2"}, true, ""},
		{"signal 35 is not valid", "supervisor.signalProcess", []any{"web", "35"}, nil, "BAD_SIGNAL: 35"},
		{"signal checks the name first", "supervisor.signalProcess", []any{"nosuch", "NOPE"}, nil, "BAD_NAME: nosuch"},
		{"signal not running", "supervisor.signalProcess", []any{"manual", "HUP"}, nil, "NOT_RUNNING: manual"},
		{"signal group bad signal", "supervisor.signalProcessGroup", []any{"web", "NOPE"}, []any{
			st("name", "web", "group", "web", "status", int64(11), "description", "BAD_SIGNAL: NOPE")}, ""},
		{"signal all skips non-signallable", "supervisor.signalAllProcesses", []any{"HUP"}, []any{
			st("name", "web", "group", "web", "status", int64(80), "description", "OK")}, ""},
		{"read main log", "supervisor.readLog", []any{0, 0}, "main log\n", ""},
		{"read main log tail", "supervisor.readMainLog", []any{-4, 0}, "log\n", ""},
		{"negative offset needs length 0", "supervisor.readLog", []any{-4, 2}, nil, "BAD_ARGUMENTS"},
		{"negative length", "supervisor.readLog", []any{0, -1}, nil, "BAD_ARGUMENTS"},
		{"read process log", "supervisor.readProcessLog", []any{"web", 2, 3}, "234", ""},
		{"read process log tail", "supervisor.readProcessStdoutLog", []any{"web", -3, 0}, "789", ""},
		{"offsets as strings", "supervisor.readProcessStdoutLog", []any{"web", " 2 ", "3"}, "234", ""},
		{"offset not a number", "supervisor.readProcessStdoutLog", []any{"web", "2x", "3"}, nil, "INCORRECT_PARAMETERS"},
		{"no stderr log", "supervisor.readProcessStderrLog", []any{"web", 0, 0}, nil, "NO_FILE"},
		{"missing log file", "supervisor.readProcessStdoutLog", []any{"manual", 0, 0}, nil,
			"NO_FILE: /srv/fixtures/supervisord/probe/wire/manual-stdout---probe-wire-cgqvkk4m.log"},
		{"tail overflow", "supervisor.tailProcessLog", []any{"web", 0, 4}, []any{"6789", int64(10), true}, ""},
		// supervisord's tailFile: when offset+length passes the end, it returns the last `length`
		// bytes, i.e. here the whole file, not what follows offset.
		{"tail from offset", "supervisor.tailProcessStdoutLog", []any{"web", 8, 100}, []any{"0123456789", int64(10), false}, ""},
		{"tail past the end", "supervisor.tailProcessStdoutLog", []any{"web", 10, 5}, []any{"", int64(10), false}, ""},
		{"tail without file", "supervisor.tailProcessStderrLog", []any{"web", 0, 100}, []any{"", int64(0), false}, ""},
		{"stdin", "supervisor.sendProcessStdin", []any{"web", "hi\n"}, true, ""},
		{"stdin not running", "supervisor.sendProcessStdin", []any{"manual", "hi\n"}, nil, "NOT_RUNNING: manual"},
		{"stdin not a string", "supervisor.sendProcessStdin", []any{"web", 5}, nil, "INCORRECT_PARAMETERS: 5"},
		{"remote comm", "supervisor.sendRemoteCommEvent", []any{"t", "d"}, true, ""},
		{"reload", "supervisor.reloadConfig", nil, []any{[]any{[]any{"new"}, []any{}, []any{}}}, ""},
		{"add unknown", "supervisor.addProcessGroup", []any{"nosuch"}, nil, "BAD_NAME: nosuch"},
		{"add active", "supervisor.addProcessGroup", []any{"web"}, nil, "ALREADY_ADDED: web"},
		{"add", "supervisor.addProcessGroup", []any{"new"}, true, ""},
		{"remove running", "supervisor.removeProcessGroup", []any{"busy"}, nil, "STILL_RUNNING: busy"},
		{"remove unknown", "supervisor.removeProcessGroup", []any{"gone"}, nil, "BAD_NAME: gone"},
		{"help", "system.methodHelp", []any{"supervisor.getPID"}, "Return the PID of supervisord\n\n@return int PID", ""},
		{"help unknown", "system.methodHelp", []any{"x.y"}, nil, "SIGNATURE_UNSUPPORTED"},
		{"signature", "system.methodSignature", []any{"supervisor.tailProcessLog"}, []any{"array", "string", "int", "int"}, ""},
		{"multicall recursion", "system.multicall", []any{[]any{st("methodName", "system.multicall", "params", []any{[]any{}}),
			st("params", []any{}), st("methodName", "supervisor.getPID", "params", []any{1})}},
			[]any{st("faultCode", int64(2), "faultString", "INCORRECT_PARAMETERS: Recursive system.multicall forbidden"),
				st("faultCode", int64(2), "faultString", "INCORRECT_PARAMETERS: No methodName"),
				st("faultCode", int64(2), "faultString", "INCORRECT_PARAMETERS")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := c.Call(ctx, tt.method, tt.args...)
			if tt.fault != "" {
				var fl *Fault
				require.ErrorAs(t, err, &fl)
				assert.Equal(t, tt.fault, fl.String)
				assert.Equal(t, xmlrpc.FaultName(fl.Code), strings.SplitN(tt.fault, ":", 2)[0])
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
	f.mu.Lock()
	assert.Equal(t, []string{"web hangup", "web user defined signal 2", "web hangup"}, f.signals)
	assert.Equal(t, "hi\n", f.stdin["web:web"])
	f.mu.Unlock()
	remoteMu.Lock()
	assert.Equal(t, []string{"t=d"}, remote)
	remoteMu.Unlock()

	// clearLog removes the main log.
	v, err := c.Call(ctx, "supervisor.clearLog")
	require.NoError(t, err)
	assert.Equal(t, true, v)
	assert.NoFileExists(t, mainLog)
	_, err = c.Call(ctx, "supervisor.clearLog")
	assert.Equal(t, FaultNoFile, faultCode(err))
}

func TestListMethodsAndSignaturesMatchSupervisord(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake()})
	c := dialT(t, sock)
	v, err := c.Call(context.Background(), "system.listMethods")
	require.NoError(t, err)
	names := v.([]any)
	require.Len(t, names, 41)

	// Differential: supervisord's own introspection, from the installed package.
	testenv.LookPath(t, "supervisord", "supervisor")
	py := "/usr/bin/python3"
	testenv.RequireFile(t, py, "Debian's python3 (with the supervisor package)")
	out, err := exec.Command(py, "-c", `
from supervisor.xmlrpc import SystemNamespaceRPCInterface
from supervisor.rpcinterface import SupervisorNamespaceRPCInterface as S
s = SystemNamespaceRPCInterface([('supervisor', S(None))])
for m in s.listMethods():
    print(m, ' '.join(s.methodSignature(m)))
`).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(names))
	for i, line := range lines {
		name, sig, _ := strings.Cut(line, " ")
		assert.Equal(t, name, names[i])
		got, err := c.Call(context.Background(), "system.methodSignature", name)
		require.NoError(t, err)
		var parts []string
		for _, p := range got.([]any) {
			parts = append(parts, p.(string))
		}
		assert.Equal(t, sig, strings.Join(parts, " "), name)
	}
}

func TestShutdownState(t *testing.T) {
	var calls []bool
	var mu sync.Mutex
	f := newCaptureFake()
	sock := serve(t, Options{Backend: f, Shutdown: func(restart bool) { mu.Lock(); calls = append(calls, restart); mu.Unlock() }})
	c := dialT(t, sock)
	ctx := context.Background()
	v, err := c.Call(ctx, "supervisor.restart")
	require.NoError(t, err)
	assert.Equal(t, true, v)
	_, err = c.Call(ctx, "supervisor.getState")
	require.NoError(t, err, "restart alone does not refuse calls: the daemon reports its mood")
	v, err = c.Call(ctx, "supervisor.shutdown")
	require.NoError(t, err)
	assert.Equal(t, true, v)
	mu.Lock()
	assert.Equal(t, []bool{true, false}, calls)
	mu.Unlock()
	for _, m := range []string{"supervisor.getVersion", "supervisor.getAllProcessInfo", "supervisor.shutdown"} {
		_, err = c.Call(ctx, m)
		assert.Equal(t, FaultShutdownState, faultCode(err), m)
	}
	// system.* and sendRemoteCommEvent do not check.
	_, err = c.Call(ctx, "system.listMethods")
	assert.NoError(t, err)
	_, err = c.Call(ctx, "supervisor.sendRemoteCommEvent", "a", "b")
	assert.NoError(t, err)
	v, err = c.Call(ctx, "system.multicall", []any{st("methodName", "supervisor.getPID")})
	require.NoError(t, err)
	assert.Equal(t, []any{st("faultCode", int64(6), "faultString", "SHUTDOWN_STATE")}, v)

	// The daemon's mood is consulted too.
	sock2 := serve(t, Options{Backend: f, State: func() supervise.SupervisorState { return supervise.SupervisorRestarting }})
	_, err = dialT(t, sock2).Call(ctx, "supervisor.getState")
	assert.Equal(t, FaultShutdownState, faultCode(err))
}

// Engine errors map to supervisord's faults in faultOf, whatever wraps them.
func TestFaultOf(t *testing.T) {
	pe := func(err error, detail string) error {
		return &supervise.ProcessError{Op: "start", Name: "g:p", Err: err, Detail: detail}
	}
	tests := []struct {
		err  error
		want string
	}{
		{pe(supervise.ErrNotFound, ""), "BAD_NAME: web"},
		{pe(supervise.ErrAlreadyStarted, ""), "ALREADY_STARTED: web"},
		{pe(supervise.ErrNotRunning, ""), "NOT_RUNNING: web"},
		{pe(supervise.ErrSpawn, "some spawnerr"), "SPAWN_ERROR: web"},
		{pe(supervise.ErrAbnormalTermination, ""), "ABNORMAL_TERMINATION: web"},
		{pe(supervise.ErrNoFile, "can't find command 'x'"), "NO_FILE: can't find command 'x'"},
		{pe(supervise.ErrNotExecutable, "command at '/tmp' is a directory"), "NOT_EXECUTABLE: command at '/tmp' is a directory"},
		{pe(supervise.ErrFailed, "web is in an unknown process state"), "FAILED: web is in an unknown process state"},
		{pe(supervise.ErrBadSignal, ""), "BAD_SIGNAL: web"},
		{supervise.ErrAlreadyAdded, "ALREADY_ADDED: web"},
		{supervise.ErrStillRunning, "STILL_RUNNING: web"},
		{supervise.ErrShutdown, "SHUTDOWN_STATE"},
		{&logrotate.FileError{Op: "read", Path: "/x", Kind: logrotate.ErrBadArguments}, "BAD_ARGUMENTS"},
		{&logrotate.FileError{Op: "read", Path: "/x", Kind: logrotate.ErrNoFile}, "NO_FILE: web"},
		{&logrotate.FileError{Op: "read", Path: "/x", Kind: logrotate.ErrFailed}, "FAILED"},
		{context.Canceled, "FAILED: interrupted: context canceled"},
		{errors.New("boom"), "FAILED: boom"},
		{xmlrpc.NewFault(FaultCantReread, "x"), "CANT_REREAD: x"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, faultOf(tt.err, "web").String, tt.err.Error())
	}
}

// st builds a Struct from name, value pairs.
func st(kv ...any) xmlrpc.Struct {
	var s xmlrpc.Struct
	for i := 0; i+1 < len(kv); i += 2 {
		s = append(s, xmlrpc.Member{Name: kv[i].(string), Value: kv[i+1]})
	}
	return s
}
