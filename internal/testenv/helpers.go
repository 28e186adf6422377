package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer that one goroutine may write while another reads (a child's output,
// a logger, Follow). The zero value is empty and ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Bytes returns a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.b.Bytes()...)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago (the kernel chose it and
// the listener is closed again), for a server the test starts in another process.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv.FreePort: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("testenv.FreePort: %v", err)
	}
	return port
}

// FreeAddr is FreePort as "127.0.0.1:port".
func FreeAddr(t testing.TB) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
}

// WaitTimeout is how long WaitFor waits before it fails the test: generous, as tests run on a
// loaded 2-core machine.
const WaitTimeout = 30 * time.Second

// Poll calls cond until it returns true or limit has passed, and reports whether it did. It
// polls every 100 µs at first, backing off to every 10 ms.
func Poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	pause := 100 * time.Microsecond
	for !cond() {
		if time.Now().After(deadline) {
			return cond()
		}
		time.Sleep(pause)
		if pause < 10*time.Millisecond {
			pause *= 2
		}
	}
	return true
}

// WaitFor fails the test (t.Fatalf, naming what) unless cond returns true within WaitTimeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Poll(WaitTimeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", WaitTimeout, what)
	}
}

// GoBuild builds the Go package pkg into the executable out, with `go` from PATH. pkg is an
// import path of this module, or a directory (relative to the calling test's package, or
// absolute; the build runs there, in the module that holds it). It gives up after 5 minutes.
// It takes no testing.TB so that a TestMain can build once for all of a package's tests.
func GoBuild(pkg, out string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "build", "-o", out, pkg)
	if st, err := os.Stat(pkg); err == nil && st.IsDir() {
		if out, err = filepath.Abs(out); err != nil {
			return fmt.Errorf("building %s: %w", pkg, err)
		}
		cmd = exec.CommandContext(ctx, gobin, "build", "-o", out, ".")
		cmd.Dir = pkg
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}
