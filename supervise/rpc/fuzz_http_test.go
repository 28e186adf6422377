package rpc

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supervisord-lite/supervisord-lite/internal/xmlrpc"
)

// pathLogs is a LogReader that reads nothing and records every path it was asked for, so that
// a test can check that no request reached a file outside the processes' own logs.
type pathLogs struct {
	mu    sync.Mutex
	paths []string
}

func (l *pathLogs) note(path string) {
	l.mu.Lock()
	l.paths = append(l.paths, path)
	l.mu.Unlock()
}

func (l *pathLogs) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.paths
	l.paths = nil
	return p
}

func (l *pathLogs) ReadFile(path string, _, _ int64) ([]byte, error) {
	l.note(path)
	return nil, nil
}

func (l *pathLogs) TailFile(path string, _, _ int64) ([]byte, int64, bool, error) {
	l.note(path)
	return nil, 0, false, nil
}

func (l *pathLogs) Follow(_ context.Context, path string, _ int64, _ io.Writer) error {
	l.note(path)
	return nil
}

const fuzzMainLog = "/var/log/supervisord-lite/main.log"

// knownLogs is every log path the capture fake's processes have, and the main log.
func knownLogs(f *fake) map[string]bool {
	known := map[string]bool{fuzzMainLog: true}
	for _, p := range f.procs {
		known[p.info.StdoutLogfile] = true
		known[p.info.StderrLogfile] = true
	}
	return known
}

// The user and password of the fuzzed server, and the Authorization header that carries them.
const (
	fuzzUser, fuzzPass = "user", "pass"
	fuzzAuth           = "Basic dXNlcjpwYXNz"
)

// Any bytes sent to a server that requires a password get an HTTP answer (or a closed
// connection), never a hang or a crash; nothing but a request carrying the right credentials
// gets 200, and no request makes the server read a file other than a process log or the main
// log.
func FuzzServeHTTP(f *testing.F) {
	call, err := xmlrpc.AppendCall(nil, "supervisor.getAllProcessInfo")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: " + strconv.Itoa(len(call)) + "\r\n\r\n" + string(call),
		"POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: " + fuzzAuth + "\r\nContent-Length: " + strconv.Itoa(len(call)) + "\r\n\r\n" + string(call),
		"POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjp3cm9uZw==\r\nContent-Length: 3\r\n\r\nabc",
		"GET /logtail/web HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /logtail/web/stderr HTTP/1.1\r\nHost: x\r\nAuthorization: " + fuzzAuth + "\r\n\r\n",
		"GET /logtail/..%2f..%2fetc%2fpasswd/stdout HTTP/1.1\r\nHost: x\r\nAuthorization: " + fuzzAuth + "\r\n\r\n",
		"GET /mainlogtail HTTP/1.0\r\nAuthorization: " + fuzzAuth + "\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"GET http://x/RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: basic   dXNlcjpwYXNz  \r\n\r\n",
		"POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: " + fuzzAuth + "\r\n\r\n5\r\n<?xml\r\n0\r\n\r\n",
		"\x00\xff garbage\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	fk := newCaptureFake()
	known := knownLogs(fk)
	logs := &pathLogs{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	srv := NewServer(Options{Backend: fk, ConfigInfo: captureConfig(fk), Reloader: &fakeReloader{}, Logs: logs,
		MainLog: fuzzMainLog, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		Listeners: []Listener{{Network: "tcp", Address: ln.Addr().String(), Listener: ln, Username: fuzzUser, Password: fuzzPass}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	f.Cleanup(func() {
		cancel()
		<-done
	})
	addr := ln.Addr().String()
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// The server must answer (or close) without more input; 10 s is far beyond an answer.
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(raw); err != nil {
			return // the server may close on garbage before reading everything
		}
		_ = c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("no answer within 10 s to %q (got %q)", raw, got)
		}
		for _, p := range logs.take() {
			if !known[p] {
				t.Fatalf("request %q made the server read %q", raw, p)
			}
		}
		if len(got) == 0 {
			return
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		if err != nil {
			t.Fatalf("answer to %q is not HTTP: %q", raw, got)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && !bytes.Contains(raw, []byte("dXNlcjpwYXNz")) {
			t.Fatalf("200 without credentials for %q", raw)
		}
	})
}

// A /logtail request for any name streams only a process's own log, never another file.
func FuzzLogtailPath(f *testing.F) {
	for _, s := range []string{"web", "web/stderr", "workers:w_00/stdout", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd/stdout",
		"%2e%2e/%2e%2e/x", "web/../../x", "/etc/passwd", "web%00/stdout", "web/stdout/../../stderr", ""} {
		f.Add(s)
	}
	fk := newCaptureFake()
	known := knownLogs(fk)
	f.Fuzz(func(t *testing.T, name string) {
		logs := &pathLogs{}
		h := NewServer(Options{Backend: fk, Logs: logs, MainLog: fuzzMainLog}).Handler()
		u := "/logtail/" + name
		if _, err := url.ParseRequestURI(u); err != nil || strings.ContainsAny(u, " \r\n\t#?") {
			u = "/logtail/" + url.PathEscape(name)
		}
		req := httptest.NewRequest(http.MethodGet, "http://x"+u, nil)
		req.RequestURI = u
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound {
			t.Fatalf("status %d for %q", rec.Code, u)
		}
		for _, p := range logs.take() {
			if !known[p] || p == fuzzMainLog {
				t.Fatalf("/logtail %q read %q", u, p)
			}
		}
		// The same name through XML-RPC's log readers.
		for _, m := range []string{"supervisor.readProcessStdoutLog", "supervisor.tailProcessStderrLog"} {
			body, err := xmlrpc.AppendCall(nil, m, name, int64(0), int64(10))
			if err != nil {
				return // not representable in XML (invalid UTF-8 or control characters)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/RPC2", bytes.NewReader(body)))
			for _, p := range logs.take() {
				if !known[p] || p == fuzzMainLog {
					t.Fatalf("%s(%q) read %q", m, name, p)
				}
			}
		}
	})
}
