package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
)

// The daemon serves the dashboard (supervise/web) at "/" on every listener of the XML-RPC
// API, behind the same auth: the unix socket, and [inet_http_server] with its password.
// After a reload (SIGHUP) it shows the new run's supervisor.
func TestDaemonDashboard(t *testing.T) {
	t.Parallel()
	port := testenv.FreePort(t)
	body := fmt.Sprintf(`
[inet_http_server]
port=127.0.0.1:%d
username=user
password=123

[program:web]
command=%s
startsecs=0
`, port, dtSleeper)
	d := newDT(t, "lite", slBin, body)
	d.start(t)
	sock := filepath.Join(d.dir, "s.sock")
	unix := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, "unix", sock)
	}}}
	defer unix.CloseIdleConnections()
	get := func(c *http.Client, url, user, pass string) (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return 0, "", err
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	var code int
	var page string
	ok := testenv.Poll(testenv.WaitTimeout, func() bool {
		var err error
		code, page, err = get(unix, "http://localhost/", "", "")
		return err == nil && strings.Contains(page, `<tr id="p-web:web" class="running"`)
	})
	require.Truef(t, ok, "unix socket: %d %s\n%s", code, page, d.log())
	assert.Contains(t, page, `<a class="t" href="tail?ch=main" data-ch="main">main log</a>`)

	tcp := fmt.Sprintf("http://127.0.0.1:%d/", port)
	code, _, err := get(http.DefaultClient, tcp, "", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _, err = get(http.DefaultClient, tcp, "user", "wrong")
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, page, err = get(http.DefaultClient, tcp, "user", "123")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, `<tr id="p-web:web" class="running"`)
	code, page, err = get(http.DefaultClient, tcp+"tail?ch=main", "user", "123")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, page, "success: web entered RUNNING state")

	d.write(t, body+"\n[program:added]\ncommand="+dtSleeper+"\nstartsecs=0\n")
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGHUP))
	ok = testenv.Poll(testenv.WaitTimeout, func() bool {
		var err error
		code, page, err = get(unix, "http://localhost/", "", "")
		// The reload starts both; the page may show one RUNNING before the other.
		return err == nil && strings.Contains(page, `<tr id="p-added:added" class="running"`) &&
			strings.Contains(page, `<tr id="p-web:web" class="running"`)
	})
	require.Truef(t, ok, "after the reload, both RUNNING: %d %s\n%s", code, page, d.log())
}
