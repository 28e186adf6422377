package rpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
)

// tcpServer serves opts on 127.0.0.1 with the given credentials and returns the address.
func tcpServer(t *testing.T, opts Options, user, pass string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	opts.Listeners = []Listener{{Network: "tcp", Address: ln.Addr().String(), Listener: ln, Username: user, Password: pass}}
	startServer(t, opts)
	return ln.Addr().String()
}

// The auth captures against [inet_http_server] username=user password=123, with the password
// stored plain and as {SHA}.
func TestAuthGolden(t *testing.T) {
	for _, pass := range []string{"123", "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef"} {
		addr := tcpServer(t, Options{Backend: newCaptureFake()}, "user", pass)
		for _, capture := range []string{"auth_inet_noauth_401", "auth_inet_badpass_401", "auth_inet_ok_200"} {
			t.Run(capture, func(t *testing.T) {
				wantResp, wantBody := golden(t, capture+".response.http")
				resp, body := rawExchange(t, "tcp", addr, readWire(t, capture+".request.http"))
				assert.Equal(t, wantResp.StatusCode, resp.StatusCode)
				assert.Equal(t, wantResp.Header.Get("Content-Type"), resp.Header.Get("Content-Type"))
				assert.Equal(t, wantResp.Header.Get("WWW-Authenticate"), resp.Header.Get("WWW-Authenticate"))
				assert.Equal(t, string(wantBody), string(body))
			})
		}
		// The client gets a typed error, and succeeds with the right password.
		c, err := Dial("http://"+addr, "user", "wrong")
		require.NoError(t, err)
		_, err = c.Call(context.Background(), "supervisor.getState")
		var he *HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, 401, he.StatusCode)
		c.Close()
		c, err = Dial("http://"+addr, "user", "123")
		require.NoError(t, err)
		_, err = c.Call(context.Background(), "supervisor.getState")
		assert.NoError(t, err)
		c.Close()
	}
}

func TestHTTPErrors(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake()})
	post := func(path, body string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
	}
	call := "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.getAPIVersion</methodName>\n</methodCall>\n"
	tests := []struct {
		name string
		req  string
		code int
		body string // substring of the body
	}{
		{"malformed XML", post("/RPC2", "<methodCall><methodName>x"), 400, "Error code 400."},
		{"garbage", post("/RPC2", "\x00\xff\x01"), 400, "Bad Request"},
		{"no method name", post("/RPC2", "<methodCall><params/></methodCall>"), 400, "Error code 400."},
		{"empty method name", post("/RPC2", "<methodCall><methodName></methodName></methodCall>"), 400, "Error code 400."},
		{"GET on RPC2", "GET /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Error code 400."},
		{"any path under /RPC2", post("/RPC2/anything?x=1", call), 200, "<string>3.0</string>"},
		{"params may be omitted", post("/RPC2", call), 200, "<string>3.0</string>"},
		{"unknown path", "GET /nosuch HTTP/1.1\r\nHost: x\r\n\r\n", 404, "Error code 404."},
		{"logtail of unknown process", "GET /logtail/nosuch/stdout HTTP/1.1\r\nHost: \r\n\r\n", 404, "Error code 404."},
		{"logtail of a missing file", "GET /logtail/manual/stdout HTTP/1.1\r\nHost: \r\n\r\n", 404, "Error code 404."},
		{"logtail bad channel", "GET /logtail/web/nosuch HTTP/1.1\r\nHost: \r\n\r\n", 404, "Error code 404."},
		{"POST to logtail", post("/logtail/web/stdout", ""), 400, "Error code 400."},
		{"mainlogtail without a main log", "GET /mainlogtail HTTP/1.1\r\nHost: \r\n\r\n", 404, "Error code 404."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := rawExchange(t, "unix", sock, []byte(tt.req))
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Contains(t, string(body), tt.body)
		})
	}
}

// A body over MaxRequestBytes is refused with 400 without being read to its end.
func TestRequestTooLarge(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake()})
	big := "<methodCall><methodName>supervisor.getPID</methodName><params><param><value><string>" +
		strings.Repeat("x", MaxRequestBytes) + "</string></value></param></params></methodCall>"
	c, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	written := make(chan struct{})
	go func() {
		defer close(written)
		// The server may close before all of it is sent (a broken pipe here).
		_, _ = fmt.Fprintf(c, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(big), big)
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.Close()
	<-written
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, string(body), "Error code 400.")
}

// A client that sends half a request, or never reads, stalls only its own connection.
func TestSlowClientsDoNotStall(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "web.out")
	require.NoError(t, os.WriteFile(out, []byte("x\n"), 0o644))
	f := newCaptureFake()
	f.proc("web", "web").info.StdoutLogfile = out
	sock := serve(t, Options{Backend: f, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})

	half, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer half.Close()
	_, err = half.Write([]byte("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<method"))
	require.NoError(t, err)

	// A tail -f reader that never reads while the log grows.
	stuck, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer stuck.Close()
	_, err = stuck.Write([]byte("GET /logtail/web/stdout HTTP/1.1\r\nHost: \r\n\r\n"))
	require.NoError(t, err)
	lf, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	chunk := bytes.Repeat([]byte("y"), 1<<20)
	for i := 0; i < 8; i++ {
		_, err = lf.Write(chunk)
		require.NoError(t, err)
	}
	require.NoError(t, lf.Close())

	c := dialT(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		v, err := c.Call(ctx, "supervisor.getAllProcessInfo")
		require.NoError(t, err)
		assert.Len(t, v, 6)
	}
	// The half request is dropped after ReadTimeout.
	require.NoError(t, half.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(half)
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server kept the half request open: %v", err)
}

// A waited start blocks only its caller; the caller going away ends the wait.
func TestWaitedStartEndsWithClient(t *testing.T) {
	f := newCaptureFake()
	f.proc("web", "web").info.State = 0
	f.block = make(chan struct{})
	defer close(f.block)
	sock := serve(t, Options{Backend: f})
	c := dialT(t, sock)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, "supervisor.startProcess", "web", true)
		done <- err
	}()
	// Other calls proceed meanwhile (and see the start done, the waiting aside).
	other := dialT(t, sock)
	assert.Eventually(t, func() bool {
		v, err := other.Call(context.Background(), "supervisor.getProcessInfo", "web")
		return err == nil && v.(xmlrpc.Struct).Map()["statename"] == "RUNNING"
	}, 5*time.Second, 10*time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the waited call returned early: %v", err)
	default:
	}
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the waited call did not end")
	}
	// wait=false does not wait.
	f.mu.Lock()
	f.proc("web", "web").info.State = 0
	f.mu.Unlock()
	v, err := c.Call(context.Background(), "supervisor.startProcess", "web", false)
	require.NoError(t, err)
	assert.Equal(t, true, v)
}

func TestLogtailFollows(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "web.out")
	mainLog := filepath.Join(dir, "main.log")
	require.NoError(t, os.WriteFile(out, append(bytes.Repeat([]byte("a"), 2000), '\n'), 0o644))
	require.NoError(t, os.WriteFile(mainLog, []byte("main\n"), 0o644))
	f := newCaptureFake()
	f.proc("web", "web").info.StdoutLogfile = out
	sock := serve(t, Options{Backend: f, MainLog: mainLog})
	c := dialT(t, sock)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- c.Tail(ctx, "/logtail/web/stdout", pw); pw.Close() }()
	br := bufio.NewReader(pr)
	first := make([]byte, 1024)
	_, err := io.ReadFull(br, first)
	require.NoError(t, err)
	assert.Equal(t, append(bytes.Repeat([]byte("a"), 1023), '\n'), first, "the stream starts with the last 1024 bytes")

	appendTo := func(s string) {
		lf, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = lf.WriteString(s)
		require.NoError(t, err)
		require.NoError(t, lf.Close())
	}
	appendTo("more\n")
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "more\n", line)

	// Rotation: the file is renamed and a new one appears.
	require.NoError(t, os.Rename(out, out+".1"))
	require.NoError(t, os.WriteFile(out, []byte("new file\n"), 0o644))
	line, err = br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "new file\n", line)

	// Truncation in place (logrotate's copytruncate): followed from the start again.
	require.NoError(t, os.Truncate(out, 0))
	time.Sleep(200 * time.Millisecond) // let a poll see the empty file
	appendTo("x\n")
	line, err = br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "x\n", line)

	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Tail did not return")
	}

	// /mainlogtail
	var buf bytes.Buffer
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	require.NoError(t, c.Tail(ctx2, "/mainlogtail", &buf))
	assert.Equal(t, "main\n", buf.String())
}

func TestUnixListener(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")

	// A stale socket file (nothing listening) is replaced.
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	require.FileExists(t, sock)

	f := newCaptureFake()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- NewServer(Options{Backend: f, Listeners: []Listener{{Network: "unix", Address: sock, Chmod: 0o770}}}).Serve(ctx)
	}()
	var c *Client
	require.Eventually(t, func() bool {
		c, err = Dial("unix://"+sock, "", "")
		if err != nil {
			return false
		}
		_, err = c.Call(context.Background(), "supervisor.getPID")
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	c.Close()
	st, err := os.Stat(sock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o770), st.Mode().Perm())

	// A second server on the same live socket is refused, and leaves it alone.
	err = NewServer(Options{Backend: f, Listeners: []Listener{{Network: "unix", Address: sock}}}).Serve(context.Background())
	assert.ErrorIs(t, err, ErrAddrInUse)
	var le *ListenerError
	assert.ErrorAs(t, err, &le)
	assert.FileExists(t, sock)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	assert.NoFileExists(t, sock, "the socket is removed at the end")

	// Errors name the listener.
	err = NewServer(Options{Backend: f, Listeners: []Listener{{Network: "unix", Address: filepath.Join(dir, "no/such/dir.sock")}}}).Serve(context.Background())
	assert.ErrorContains(t, err, "no/such/dir.sock")
	err = NewServer(Options{Backend: f, Listeners: []Listener{{Network: "udp", Address: "x"}}}).Serve(context.Background())
	assert.ErrorContains(t, err, "unknown network")
	assert.Error(t, NewServer(Options{Listeners: []Listener{{Network: "unix", Address: sock}}}).Serve(context.Background()))
}

func TestClientErrors(t *testing.T) {
	_, err := Dial("ftp://x", "", "")
	assert.Error(t, err)
	_, err = Dial("unix://", "", "")
	assert.Error(t, err)
	c, err := Dial("unix://"+filepath.Join(t.TempDir(), "none.sock"), "", "")
	require.NoError(t, err)
	_, err = c.Call(context.Background(), "supervisor.getPID")
	assert.ErrorIs(t, err, syscall.ENOENT)
	c.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	c, err = Dial("http://"+addr, "", "")
	require.NoError(t, err)
	_, err = c.Call(context.Background(), "supervisor.getPID")
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	c.Close()
}
