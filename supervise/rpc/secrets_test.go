package rpc

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// No secret of the configuration (the server's password, environment= values) shows in the
// supervisor's log at its most verbose level, in the server's log, or in any answer a client
// gets: status, errors of every kind, logs read through the API.
func TestSecretsStayOut(t *testing.T) {
	const envSecret, passSecret = "S3CRET-ENV-VALUE", "S3CRET-PASSWORD"
	var engineLog, serverLog testenv.Buffer
	dir := t.TempDir()
	sv := runEngineOpts(t, supervise.Options{ChildLogDir: dir, Identifier: "secrets",
		Logger: slog.New(supervise.NewLogHandler(&engineLog, supervise.LevelTrace))})
	ctx := context.Background()
	env := []string{"TOKEN=" + envSecret}
	none := supervise.Log{Path: supervise.LogNone}
	require.NoError(t, sv.Add(ctx, supervise.Group{Name: "app", Programs: []supervise.Program{
		// Crashes at once (BACKOFF, then FATAL), a spawn error, an unknown user, and one that runs.
		{Name: "crash", Command: "/bin/sh", Args: []string{"-c", "exit 3"}, Env: env, StartRetries: 1, Stdout: none, Stderr: none},
		{Name: "missing", Command: "/nonexistent/bin/app", Env: env, StartRetries: 1, Stdout: none, Stderr: none},
		{Name: "nouser", Command: "/bin/sleep", Args: []string{"100"}, User: "no-such-user-x", Env: env, StartRetries: 1, Stdout: none, Stderr: none},
		{Name: "runs", Command: "/bin/sleep", Args: []string{"100"}, Env: env, StartSecs: -1,
			Stdout: supervise.Log{Path: filepath.Join(dir, "runs.log")}, Stderr: none},
	}}))
	addr := tcpServer(t, Options{Backend: sv, MainLog: filepath.Join(dir, "nosuch.log"),
		Logger: slog.New(slog.NewTextHandler(&serverLog, &slog.HandlerOptions{Level: slog.LevelDebug}))}, "user", passSecret)
	c, err := Dial("http://"+addr, "user", passSecret)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.Eventually(t, func() bool {
		v, err := c.Call(ctx, "supervisor.getProcessInfo", "app:crash")
		return err == nil && v.(xmlrpc.Struct).Map()["statename"] == "FATAL"
	}, 30*time.Second, 20*time.Millisecond)

	var answers strings.Builder
	for _, call := range [][]any{
		{"supervisor.getAllProcessInfo"}, {"supervisor.getProcessInfo", "app:missing"}, {"supervisor.getProcessInfo", "app:nouser"},
		{"supervisor.startProcess", "app:missing"}, {"supervisor.startProcess", "app:nouser"}, {"supervisor.startProcess", "app:crash"},
		{"supervisor.readProcessStdoutLog", "app:runs", int64(0), int64(0)}, {"supervisor.readLog", int64(0), int64(0)},
		{"supervisor.getAllConfigInfo"}, {"supervisor.signalProcess", "app:runs", "NOPE"}, {"supervisor.nosuch"},
		{"system.multicall", []any{map[string]any{"methodName": "supervisor.getState"}, "x"}},
	} {
		v, err := c.Call(ctx, call[0].(string), call[1:]...)
		fmt.Fprintf(&answers, "%v %v\n", v, err)
	}
	// Wrong passwords, garbage and failed authentications are logged without secrets.
	bad, err := Dial("http://"+addr, "user", passSecret+"x")
	require.NoError(t, err)
	_, err = bad.Call(ctx, "supervisor.getState")
	fmt.Fprintf(&answers, "%v\n", err)
	bad.Close()
	resp, body := rawExchange(t, "tcp", addr, []byte("POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: "+basic("user:"+passSecret)+"\r\nContent-Length: 5\r\n\r\n<bad>"))
	fmt.Fprintf(&answers, "%d %s\n", resp.StatusCode, body)

	require.Contains(t, answers.String(), "FATAL", "the answers were collected")
	require.Contains(t, engineLog.String(), "spawnerr", "the engine log was collected")
	for what, text := range map[string]string{"answers": answers.String(), "engine log": engineLog.String(), "server log": serverLog.String()} {
		assert.NotContains(t, text, envSecret, what)
		assert.NotContains(t, text, passSecret, what)
		assert.NotContains(t, text, basic("user:" + passSecret)[6:], what)
	}
}
