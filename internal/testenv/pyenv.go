package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// PyenvApp is a fake PYENV_ROOT and an app folder beside it, in one temporary directory.
type PyenvApp struct {
	// Root is the PYENV_ROOT: versions/<v>/bin holds gunicorn, python and celery for each
	// version given to NewPyenvApp (shell scripts that exit 0).
	Root string
	// App is an empty app folder (where a .python-version or Pipfile goes).
	App string
}

// NewPyenvApp makes a PyenvApp with the Python versions given (e.g. "3.11.7"); it fails the
// test when a file cannot be written. The directory is removed when the test ends.
func NewPyenvApp(t testing.TB, versions ...string) PyenvApp {
	t.Helper()
	dir := t.TempDir()
	f := PyenvApp{Root: filepath.Join(dir, "pyenv"), App: filepath.Join(dir, "app")}
	if err := os.MkdirAll(f.App, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		bin := filepath.Join(f.Root, "versions", v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"gunicorn", "python", "celery"} {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}
