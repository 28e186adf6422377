package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/supervisord-lite/supervisord-lite/supervise"
)

// xssMark is in a process name and in the seeds' queries: no HTML answer may carry it
// unescaped.
const xssMark = "<xss>"

// FuzzDashboard sends any request the HTTP server would parse to the dashboard: no panic, no
// server error, no state change without the CSRF token in the request, and nothing from the
// request or the process table reaches an HTML page unescaped. Streams (/events, /follow) are
// served with their request already ended, so they return at once.
func FuzzDashboard(f *testing.F) {
	h, err := New(Options{Backend: newFake(), CSRFKey: []byte("fuzz key"), MainLog: "/nonexistent/main.log"})
	if err != nil {
		f.Fatal(err)
	}
	token := h.token
	form := func(body string) string {
		return "POST /action HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
			strconv.Itoa(len(body)) + "\r\n\r\n" + body
	}
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /?q=%3Cxss%3E HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET /tail?p=app:%3Cxss%3E&ch=stdout HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /tail?ch=main HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /follow?p=app:web&ch=stderr HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /events HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /static/app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\"\r\n\r\n",
		form("do=stop+app:web&csrf=" + token),
		form("do=clear+app:web&csrf=" + token),
		form("do=restartall&csrf=" + token + "&confirm=1"),
		form("do=start+app:%3Cxss%3E&csrf=wrong"),
		"POST /action HTTP/1.1\r\nHost: x\r\nX-Dashboard: 1\r\nSec-Fetch-Site: cross-site\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\ndo=stop+app:web&csrf=" + token[:19],
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return // the server answers 400 before a handler sees it
		}
		b := newFake(proc("app", "web", supervise.Running), proc("app", xssMark, supervise.Fatal))
		h, err := New(Options{Backend: b, CSRFKey: []byte("fuzz key"), MainLog: "/nonexistent/main.log", ActionTimeout: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req.WithContext(ctx))
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d for %q: %s", w.Code, raw, w.Body.String())
		}
		if calls := b.Calls(); len(calls) > 0 && !bytes.Contains(raw, []byte(token)) {
			t.Fatalf("%v done without the CSRF token: %q", calls, raw)
		}
		body := w.Body.Bytes()
		if w.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gzip answer to %q: %v", raw, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("gzip answer to %q: %v", raw, err)
			}
		}
		if strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") && bytes.Contains(body, []byte(xssMark)) {
			t.Fatalf("%q unescaped in the page for %q", xssMark, raw)
		}
	})
}
