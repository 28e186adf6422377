// Package testenv lets tests that need a real tool (Debian's supervisord, gunicorn, pipenv,
// logrotate, openssl, pyenv) skip with a message that names the package to install on a plain
// `go test ./...`, and fail instead under `make test`, which sets E2E=1 after installing them.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// E2E reports whether end-to-end tests are mandatory (the E2E environment variable is set and
// not "0"). `make test` sets E2E=1.
func E2E() bool {
	v := os.Getenv("E2E")
	return v != "" && v != "0"
}

// LookPath returns the absolute path of the executable name, or, when it is missing, skips the
// test (plain `go test`) or fails it (E2E=1) with a message naming pkg, the Debian package that
// provides it.
func LookPath(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	Missing(t, name+" (Debian package "+pkg+")")
	return ""
}

// RequireFile skips (or, with E2E=1, fails) the test when path does not exist; what names the
// thing to install.
func RequireFile(t testing.TB, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, what+": "+path+" not found")
	}
}

// Missing skips the test, or fails it when E2E=1, saying what is missing.
func Missing(t testing.TB, what string) {
	t.Helper()
	if E2E() {
		t.Fatalf("E2E=1 but %s is missing; `make deps` installs it", what)
	}
	t.Skipf("skipped: needs %s (install it, or run `make test`)", what)
}

// Short skips long end-to-end tests under `go test -short`.
func Short(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode")
	}
}

// Supervisord runs bin (Debian's supervisord) in the foreground with the configuration text
// conf, written to a file in a new temporary directory, until the test ends: then it gets
// SIGTERM, and SIGKILL after 20 s. attr, when not nil, is the process's SysProcAttr (to run
// it with other credentials). It returns the process and its combined output.
func Supervisord(t testing.TB, bin, conf string, attr *syscall.SysProcAttr) (*exec.Cmd, *Buffer) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "supervisord.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &Buffer{}
	cmd := exec.Command(bin, "-n", "-c", cfg)
	cmd.Stdout, cmd.Stderr, cmd.SysProcAttr = out, out, attr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return cmd, out
}
