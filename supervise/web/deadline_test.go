package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/supervise"
	"github.com/supervisord-lite/supervisord-lite/supervise/rpc"
)

// A live stream outlives the server's ReadTimeout (and its WriteTimeout): on a real
// http.Server with both short, as the XML-RPC server has them (30 s there), /events and
// /follow held open for several times the timeout still deliver the next event (a read
// deadline left on the connection would end the request's context, and so both streams).
func TestStreamsOutliveServerTimeouts(t *testing.T) {
	t.Run("http.Server", func(t *testing.T) { t.Parallel(); streamsOutliveTimeouts(t, false) })
	t.Run("rpc.Server", func(t *testing.T) { t.Parallel(); streamsOutliveTimeouts(t, true) })
}

// streamsOutliveTimeouts serves the dashboard from a plain http.Server, or (viaRPC) from the
// XML-RPC server's Handlers as the daemon does.
func streamsOutliveTimeouts(t *testing.T, viaRPC bool) {
	const timeout = 200 * time.Millisecond
	mainLog := filepath.Join(t.TempDir(), "supervisord.log")
	require.NoError(t, os.WriteFile(mainLog, []byte("first\n"), 0o600))
	b := newFake(proc("app", "a", supervise.Running))
	h := newTestHandler(t, b, func(o *Options) { o.MainLog = mainLog })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	if viaRPC {
		srv := rpc.NewServer(rpc.Options{Backend: supervise.New(supervise.Options{}), Handlers: map[string]http.Handler{"/": h},
			ReadTimeout: timeout, WriteTimeout: timeout,
			Listeners: []rpc.Listener{{Network: "tcp", Address: ln.Addr().String(), Listener: ln}}})
		sctx, scancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(sctx) }()
		t.Cleanup(func() { scancel(); assert.NoError(t, <-done) })
	} else {
		srv := &http.Server{Handler: h, ReadTimeout: timeout, ReadHeaderTimeout: timeout, WriteTimeout: timeout}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		t.Cleanup(func() {
			_ = srv.Close()
			assert.ErrorIs(t, <-done, http.ErrServerClosed)
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), testenv.WaitTimeout)
	defer cancel()
	open := func(target string) *bufio.Reader {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+target, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return bufio.NewReader(resp.Body)
	}
	infos, _ := b.Status("")
	events := open("/events?" + url.Values{"v": {version(infos, nil)}, "t": {h.token}}.Encode())
	follow := open("/follow?ch=main&from=6")
	testenv.WaitFor(t, "the subscription", func() bool { return b.subscribers() == 1 })

	// Idle well past both timeouts. There is no event to wait for: the point is that time
	// passes with nothing sent, as on a quiet dashboard.
	time.Sleep(5 * timeout)

	b.setState("app:a", supervise.Stopped, 0)
	ev := readEvent(t, events)
	assert.Equal(t, "row", ev.name)
	assert.True(t, strings.HasPrefix(ev.data, `<tr id="p-app:a" class="stopped"`), ev.data)

	f, err := os.OpenFile(mainLog, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("second\n")
	require.NoError(t, errors.Join(err, f.Close()))
	var text string
	require.NoError(t, json.Unmarshal([]byte(readEvent(t, follow).data), &text))
	assert.Equal(t, "second\n", text)
}
