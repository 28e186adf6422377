package web

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// realDashboard runs a real Supervisor with real children (a ticker that writes "tick N" to
// its log five times a second, two sleepers, a program that cannot start and is retried
// later, one with a hostile name) and serves the dashboard through the XML-RPC server's
// Handlers at "/", as the daemon does, on 127.0.0.1. Everything ends with the test.
func realDashboard(t *testing.T) (sv *supervise.Supervisor, base, tickerLog string) {
	t.Helper()
	dir := t.TempDir()
	tickerLog = filepath.Join(dir, "ticker.log")
	none := supervise.Log{Path: supervise.LogNone}
	quick := 200 * time.Millisecond
	sv = supervise.New(supervise.Options{ChildLogDir: dir, Identifier: "e2e"})
	ctx, cancel := context.WithCancel(context.Background())
	svDone := make(chan error, 1)
	go func() { svDone <- sv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-svDone
	})
	groups := []supervise.Group{
		{Name: "app", Programs: []supervise.Program{
			{Name: "ticker", Command: "/bin/sh", StartSecs: quick, StopAsGroup: true, StopWait: 2 * time.Second,
				Args:   []string{"-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"},
				Stdout: supervise.Log{Path: tickerLog}, Stderr: none},
			{Name: "sleeper", Command: "/bin/sleep", Args: []string{"1000"}, StartSecs: quick, Stdout: none, Stderr: none},
		}},
		{Name: "lonely", Programs: []supervise.Program{{Name: "lonely", Command: "/bin/sleep", Args: []string{"1000"},
			StartSecs: quick, Stdout: none, Stderr: none}}},
		{Name: "broken", Programs: []supervise.Program{{Name: "broken", Command: "/nonexistent/prog",
			StartRetries: -1, FatalRetry: 5 * time.Minute, Stdout: none, Stderr: none}}},
		{Name: "<i>hostile</i>", Programs: []supervise.Program{{Name: "<i>hostile</i>", Command: "/bin/sleep",
			Args: []string{"1000"}, AutoStart: supervise.Off, Stdout: none, Stderr: none}}},
	}
	for _, g := range groups {
		require.NoError(t, sv.Add(ctx, g))
	}
	h, err := New(Options{Backend: sv, Identifier: "e2e"})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := rpc.NewServer(rpc.Options{Backend: sv, Handlers: map[string]http.Handler{"/": h},
		Listeners: []rpc.Listener{{Network: "tcp", Address: ln.Addr().String(), Listener: ln}}})
	srvCtx, srvCancel := context.WithCancel(context.Background())
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Serve(srvCtx) }()
	t.Cleanup(func() {
		srvCancel()
		<-srvDone
	})
	testenv.WaitFor(t, "the programs to settle", func() bool {
		infos, _ := sv.Status("")
		want := map[string]supervise.State{"app:ticker": supervise.Running, "app:sleeper": supervise.Running,
			"lonely:lonely": supervise.Running, "broken:broken": supervise.Fatal}
		for _, i := range infos {
			if st, ok := want[i.Group+":"+i.Name]; ok && i.State != st {
				return false
			}
		}
		return true
	})
	return sv, "http://" + ln.Addr().String(), tickerLog
}
