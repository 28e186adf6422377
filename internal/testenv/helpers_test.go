package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBufferConcurrent(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				fmt.Fprint(&b, "x")
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 400) {
		t.Fatalf("got %d bytes, want 400", len(got))
	}
	c := b.Bytes()
	c[0] = 'y'
	if b.String()[0] != 'x' {
		t.Fatal("Bytes shares the buffer's memory")
	}
}

func TestFreePortListens(t *testing.T) {
	addr := FreeAddr(t)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the free address %s cannot be listened on: %v", addr, err)
	}
	l.Close()
	if p := FreePort(t); p <= 0 || p > 65535 {
		t.Fatalf("port %d", p)
	}
}

func TestPoll(t *testing.T) {
	n := 0
	if !Poll(10*time.Second, func() bool { n++; return n == 5 }) {
		t.Fatal("Poll gave up on a condition that came true")
	}
	if n != 5 {
		t.Fatalf("cond called %d times, want 5", n)
	}
	start := time.Now()
	if Poll(20*time.Millisecond, func() bool { return false }) {
		t.Fatal("Poll reported a condition that never held")
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("Poll gave up before its limit")
	}
	WaitFor(t, "a true condition", func() bool { return true })
}

func TestGoBuild(t *testing.T) {
	Short(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	// A throwaway module of its own, so the build does not depend on this one.
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hello.bin")
	if err := GoBuild(src, out); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("no executable at %s: %v", out, err)
	}
	if err := GoBuild(filepath.Join(dir, "missing"), out); err == nil {
		t.Fatal("building a missing package succeeded")
	}
}

func TestNewPyenvApp(t *testing.T) {
	f := NewPyenvApp(t, "3.11.7", "3.12.1")
	for _, v := range []string{"3.11.7", "3.12.1"} {
		for _, name := range []string{"gunicorn", "python", "celery"} {
			st, err := os.Stat(filepath.Join(f.Root, "versions", v, "bin", name))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s/%s is not executable", v, name)
			}
		}
	}
	if st, err := os.Stat(f.App); err != nil || !st.IsDir() {
		t.Fatalf("app folder: %v", err)
	}
}

func TestLoadCountsServedAndFailed(t *testing.T) {
	ok := 0
	var mu sync.Mutex
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok++
		fail := ok%2 == 0
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	load := StartLoad("http://"+l.Addr().String()+"/", &http.Client{Transport: tr, Timeout: 10 * time.Second}, 2)
	load.WaitServed(t, 10)
	served, failed := load.End()
	mu.Lock()
	total := ok
	mu.Unlock()
	if served < 10 || len(failed) == 0 || served+len(failed) != total {
		t.Fatalf("served %d, failed %d, server saw %d", served, len(failed), total)
	}
	if failed[0].Error() != "status 503" {
		t.Fatalf("failure %q", failed[0])
	}
}
