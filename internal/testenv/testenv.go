// Package testenv lets tests that need a real tool (Debian's supervisord, gunicorn, pipenv,
// logrotate, openssl, pyenv) skip with a message that names the package to install on a plain
// `go test ./...`, and fail instead under `make test`, which sets E2E=1 after installing them.
package testenv

import (
	"os"
	"os/exec"
	"testing"
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
