package rpc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/supervisord-lite/supervisord-lite/internal/testenv"
	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// authCase is one way a client may present (or not) credentials.
type authCase struct {
	name   string
	header string // the Authorization header; "" = none
}

func basic(userpass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

// authCases are tried against username "user", password "123" (plain or {SHA}).
var authCases = []authCase{
	{"none", ""},
	{"right", basic("user:123")},
	{"scheme in lower case", "basic " + base64.StdEncoding.EncodeToString([]byte("user:123"))},
	{"wrong password", basic("user:1234")},
	{"password prefix", basic("user:12")},
	{"empty password", basic("user:")},
	{"no colon", basic("user123")},
	{"wrong user", basic("User:123")},
	{"user prefix", basic("use:123")},
	{"the stored SHA as password", basic("user:40bd001563085fc35165329ea1ff5c5ecbdbbeef")},
	{"the stored text as password", basic("user:{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef")},
	{"bad base64", "Basic !!!notbase64"},
	{"empty cookie", "Basic "},
	{"bearer", "Bearer user:123"},
	{"digest", `Digest username="user"`},
}

// routes are every kind of path the server knows, and some it does not, each with a request
// that would do something (read a log, stop a process) if it got through.
func routes() map[string]string {
	stop, _ := xmlrpc.AppendCall(nil, "supervisor.stopProcess", "web")
	post := func(path string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n{auth}\r\n%s", path, len(stop), stop)
	}
	get := func(path string) string { return "GET " + path + " HTTP/1.1\r\nHost: x\r\n{auth}\r\n" }
	return map[string]string{
		"RPC2":             post("/RPC2"),
		"RPC2 subpath":     post("/RPC2/x?y"),
		"RPC2 GET":         get("/RPC2"),
		"absolute URI":     post("http://x/RPC2"),
		"logtail":          get("/logtail/web/stdout"),
		"logtail escaped":  get("/logtail/%2e%2e%2f%2e%2e%2fetc%2fpasswd/stdout"),
		"mainlogtail":      get("/mainlogtail"),
		"root":             get("/"),
		"unknown":          get("/nosuch"),
		"double slash":     get("//RPC2"),
		"HEAD logtail":     "HEAD /logtail/web/stdout HTTP/1.1\r\nHost: x\r\n{auth}\r\n",
		"OPTIONS asterisk": "OPTIONS * HTTP/1.1\r\nHost: x\r\n{auth}\r\n",
	}
}

// request puts the Authorization header (if any) in place of a route's {auth}.
func request(route, header string) []byte {
	h := ""
	if header != "" {
		h = "Authorization: " + header + "\r\n"
	}
	return []byte(strings.Replace(route, "{auth}", h, 1))
}

// No route is reachable without the right credentials, over TCP or a unix socket, with the
// password stored plain or as {SHA}: each answer is 401 (400 for a cookie that is not base64,
// as supervisord), and nothing was done: no log read, no process stopped.
func TestUnauthenticatedReachesNothing(t *testing.T) {
	for _, pass := range []string{"123", "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef"} {
		for _, network := range []string{"tcp", "unix"} {
			fk := newCaptureFake()
			logs := &pathLogs{}
			var logBuf testenv.Buffer
			opts := Options{Backend: fk, Logs: logs, MainLog: fuzzMainLog,
				Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			var addr string
			if network == "tcp" {
				addr = tcpServer(t, opts, "user", pass)
			} else {
				addr = filepath.Join(t.TempDir(), "s.sock")
				opts.Listeners = []Listener{{Network: "unix", Address: addr, Username: "user", Password: pass}}
				startServer(t, opts)
			}
			for rname, route := range routes() {
				for _, ac := range authCases {
					if ac.name == "right" || ac.name == "scheme in lower case" {
						continue
					}
					t.Run(fmt.Sprintf("%s/%s/%s/%s", pass[:3], network, rname, ac.name), func(t *testing.T) {
						resp, _ := rawExchange(t, network, addr, request(route, ac.header))
						want := http.StatusUnauthorized
						if ac.name == "bad base64" {
							want = http.StatusBadRequest
						}
						assert.Equal(t, want, resp.StatusCode)
						if want == http.StatusUnauthorized {
							assert.Equal(t, `Basic realm="default"`, resp.Header.Get("WWW-Authenticate"))
						}
						assert.Empty(t, logs.take(), "a log was read")
					})
				}
			}
			web := fk.proc("web", "web")
			assert.Equal(t, supervise.Running, web.info.State, "web was stopped by an unauthenticated request")
			// With the right credentials the same request does get through (the test reaches
			// the guarded code).
			resp, _ := rawExchange(t, network, addr, request(routes()["RPC2"], basic("user:123")))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, supervise.Stopped, web.info.State)
			// Neither the stored password nor the ones tried are logged.
			assert.NotContains(t, logBuf.String(), "40bd0015")
			assert.NotContains(t, logBuf.String(), "1234")
			assert.NotContains(t, logBuf.String(), "dXNlcjoxMjM")
		}
	}
}

// The server's answer to each credential form is supervisord's, for the password stored
// plain, as {SHA} with a lower-case digest, and as {SHA} with an upper-case one (which
// supervisord never accepts: it compares the text with the lower-case hex digest).
func TestAuthMatchesSupervisord(t *testing.T) {
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	for form, pass := range map[string]string{"plain": "123", "sha": "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef",
		"SHA upper": "{SHA}40BD001563085FC35165329EA1FF5C5ECBDBBEEF"} {
		theirs := runSupervisordTCP(t, bin, "user", pass)
		ours := tcpServer(t, Options{Backend: newCaptureFake()}, "user", pass)
		getState, _ := xmlrpc.AppendCall(nil, "supervisor.getState")
		route := fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n{auth}\r\n%s", len(getState), getState)
		for _, ac := range authCases {
			t.Run(form+"/"+ac.name, func(t *testing.T) {
				want, _ := rawExchange(t, "tcp", theirs, request(route, ac.header))
				got, _ := rawExchange(t, "tcp", ours, request(route, ac.header))
				if want.StatusCode == http.StatusInternalServerError {
					// supervisord fails on a cookie without a colon (or an empty one) with an
					// unhandled exception; a refusal either way, ours is the 401 of any wrong
					// credentials.
					assert.Contains(t, []string{"no colon", "empty cookie"}, ac.name, "an unexpected 500 from supervisord")
					assert.Equal(t, http.StatusUnauthorized, got.StatusCode)
					return
				}
				assert.Equal(t, want.StatusCode, got.StatusCode)
				assert.Equal(t, want.Header.Get("WWW-Authenticate"), got.Header.Get("WWW-Authenticate"))
			})
		}
	}
}

// runSupervisordTCP runs Debian's supervisord with [inet_http_server] on a loopback port with
// the given credentials until the test ends and returns the address.
func runSupervisordTCP(t *testing.T, bin, username, password string) string {
	t.Helper()
	addr := testenv.FreeAddr(t)
	dir := t.TempDir()
	_, out := testenv.Supervisord(t, bin, fmt.Sprintf(`[supervisord]
nodaemon=true
user=root
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
[inet_http_server]
port=%[2]s
username=%[3]s
password=%[4]s
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`, dir, addr, username, password), nil)
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "supervisord did not listen: %s", out)
	return addr
}

// The unix socket gets chmod= and chown= before anyone can connect (it is bound under a
// temporary name and linked into place), as Debian's supervisord leaves its socket for
// [unix_http_server] chmod=0750 chown=nobody:nogroup.
func TestUnixSocketModeAndOwnerMatchSupervisord(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root (chown= needs it)")
	}
	bin := testenv.LookPath(t, "supervisord", "supervisor")
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err)
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	grp, err := user.LookupGroupId(nobody.Gid)
	require.NoError(t, err)

	dir := t.TempDir()
	theirs := filepath.Join(dir, "theirs.sock")
	testenv.Supervisord(t, bin, fmt.Sprintf(`[supervisord]
nodaemon=true
user=root
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
[unix_http_server]
file=%[2]s
chmod=0750
chown=nobody:%[3]s
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
`, dir, theirs, grp.Name), nil)
	require.Eventually(t, func() bool { _, err := os.Stat(theirs); return err == nil }, 30*time.Second, 50*time.Millisecond)

	ours := filepath.Join(dir, "ours.sock")
	startServer(t, Options{Backend: newCaptureFake(),
		Listeners: []Listener{{Network: "unix", Address: ours, Chmod: 0o750, Chown: true, UID: uid, GID: gid}}})
	require.Eventually(t, func() bool { _, err := os.Stat(ours); return err == nil }, 30*time.Second, 50*time.Millisecond)

	stat := func(p string) (os.FileMode, uint32, uint32) {
		st, err := os.Stat(p)
		require.NoError(t, err)
		sys := st.Sys().(*syscall.Stat_t)
		return st.Mode(), sys.Uid, sys.Gid
	}
	tm, tu, tg := stat(theirs)
	om, ou, og := stat(ours)
	assert.Equal(t, tm, om)
	assert.Equal(t, tu, ou)
	assert.Equal(t, tg, og)
	assert.Equal(t, os.ModeSocket|0o750, om)
	assert.Equal(t, uint32(uid), ou)
	// No temporary name is left beside the socket.
	names, err := filepath.Glob(ours + ".*")
	require.NoError(t, err)
	assert.Empty(t, names)
}

// A client that sends its headers one byte at a time (slowloris) is cut off at ReadTimeout,
// however long it keeps trickling; other clients are served meanwhile.
func TestSlowlorisHeadersCutOff(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake(), ReadTimeout: time.Second})
	c, err := net.Dial("unix", sock)
	require.NoError(t, err)
	defer c.Close()
	closed := make(chan struct{})
	var got []byte
	go func() {
		got, _ = io.ReadAll(c)
		close(closed)
	}()
	req := "POST /RPC2 HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200)
	cutOff := false
	for i := 0; i < len(req) && !cutOff; i++ {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			cutOff = true
			break
		}
		select {
		case <-closed:
			cutOff = true
		case <-time.After(100 * time.Millisecond): // 20 s in all: far beyond ReadTimeout
		}
		if i == 5 {
			// Meanwhile another client is served.
			cl := dialT(t, sock)
			_, err := cl.Call(context.Background(), "supervisor.getState")
			assert.NoError(t, err)
		}
	}
	require.True(t, cutOff, "the server kept a connection trickling headers for 20 s")
	<-closed
	assert.NotContains(t, string(got), "200 OK")
}

// The default limits are the documented ones.
func TestServerLimitsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	assert.Equal(t, 30*time.Second, o.ReadTimeout)
	assert.Equal(t, 30*time.Second, o.WriteTimeout)
	assert.Equal(t, 60*time.Second, o.IdleTimeout)
	assert.Equal(t, 1<<20, MaxRequestBytes)
	assert.Equal(t, 64<<10, maxHeaderBytes)
}

// A body announced larger than MaxRequestBytes is refused before it is sent; a chunked one
// is cut at MaxRequestBytes; headers over 64 KiB get 431.
func TestOversizedRequestsRefused(t *testing.T) {
	sock := serve(t, Options{Backend: newCaptureFake()})
	t.Run("announced", func(t *testing.T) {
		// Only the headers are sent: the answer must not wait for the body.
		resp, body := rawExchange(t, "unix", sock, []byte("POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n"))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, string(body), "Error code 400.")
	})
	t.Run("chunked", func(t *testing.T) {
		c, err := net.Dial("unix", sock)
		require.NoError(t, err)
		defer c.Close()
		require.NoError(t, c.SetDeadline(time.Now().Add(60*time.Second)))
		_, err = c.Write([]byte("POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
		require.NoError(t, err)
		chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", 64<<10, bytes.Repeat([]byte("x"), 64<<10)))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 64; i++ { // 4 MiB offered
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		c.Close()
		wg.Wait()
	})
	t.Run("headers", func(t *testing.T) {
		resp, _ := rawExchange(t, "unix", sock, []byte("GET /RPC2 HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 128<<10)+"\r\n\r\n"))
		assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	})
}

// Names in log requests are looked up among the processes; none reaches a file outside their
// logs, however it is spelled.
func TestLogNamesCannotEscape(t *testing.T) {
	fk := newCaptureFake()
	known := knownLogs(fk)
	logs := &pathLogs{}
	sock := serve(t, Options{Backend: fk, Logs: logs, MainLog: fuzzMainLog})
	names := []string{"../../../../etc/passwd", "web/../../../etc/passwd", "/etc/passwd", "..", ".", "web/..",
		"web\x00", "web%00", "web:../web", "*", "web:*", "", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"}
	for _, name := range names {
		for _, path := range []string{"/logtail/" + name, "/logtail/" + name + "/stdout", "/logtail/" + name + "/stderr",
			"/logtail/" + urlEscape(name) + "/stdout"} {
			if strings.ContainsAny(path, "\x00 ") {
				continue
			}
			resp, _ := rawExchange(t, "unix", sock, []byte("GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"))
			assert.Contains(t, []int{http.StatusNotFound, http.StatusBadRequest}, resp.StatusCode, path)
		}
		c := dialT(t, sock)
		for _, m := range []string{"supervisor.readProcessStdoutLog", "supervisor.readProcessStderrLog",
			"supervisor.tailProcessStdoutLog", "supervisor.tailProcessStderrLog", "supervisor.clearProcessLogs"} {
			args := []any{name, int64(0), int64(100)}
			if m == "supervisor.clearProcessLogs" {
				args = args[:1]
			}
			_, err := c.Call(context.Background(), m, args...)
			var fault *xmlrpc.Fault
			if assert.ErrorAs(t, err, &fault, "%s(%q)", m, name) {
				assert.Contains(t, []int{10, 2}, fault.Code, "%s(%q): BAD_NAME or INCORRECT_PARAMETERS", m, name) // BAD_NAME
			}
		}
	}
	for _, p := range logs.take() {
		assert.True(t, known[p] && p != fuzzMainLog, "read %q", p)
	}
}

func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}
